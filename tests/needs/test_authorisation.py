"""Authorisation matrix: role x ownership x action, and tampered or expired tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from .conftest import NEED, Needs, auth, token

pytestmark = pytest.mark.infra

OWNER = ("owner-org", "buyer")
OTHER_BUYER = ("other-org", "buyer")
SUPPLIER = ("supplier-org", "supplier")
ADMIN = ("admin-org", "admin")
ACTORS = {"owner": OWNER, "other buyer": OTHER_BUYER, "supplier": SUPPLIER, "admin": ADMIN}

# action -> (state of the need, method, path, body, {actor: expected status})
MATRIX: dict[str, tuple[str, str, str, Any, dict[str, int]]] = {
    "read draft": (
        "draft", "GET", "/v1/needs/{id}", None,
        {"owner": 200, "other buyer": 404, "supplier": 404, "admin": 404},
    ),
    "publish": (
        "draft", "POST", "/v1/needs/{id}/publish", None,
        {"owner": 200, "other buyer": 404, "supplier": 403, "admin": 403},
    ),
    "edit draft": (
        "draft", "PATCH", "/v1/needs/{id}", {"title": "Ny titel"},
        {"owner": 200, "other buyer": 404, "supplier": 403, "admin": 403},
    ),
    "read published": (
        "published", "GET", "/v1/needs/{id}", None,
        {"owner": 200, "other buyer": 200, "supplier": 200, "admin": 200},
    ),
    "edit published": (
        "published", "PATCH", "/v1/needs/{id}", {"title": "Ny titel"},
        {"owner": 200, "other buyer": 403, "supplier": 403, "admin": 403},
    ),
    "move phase": (
        "published", "POST", "/v1/needs/{id}/phase", {"phase": "validation"},
        {"owner": 200, "other buyer": 403, "supplier": 403, "admin": 403},
    ),
    "withdraw": (
        "published", "POST", "/v1/needs/{id}/withdraw", {"reason": "x"},
        {"owner": 200, "other buyer": 403, "supplier": 403, "admin": 403},
    ),
    "cosign": (
        "published", "POST", "/v1/needs/{id}/cosign", {"municipality_code": "1761"},
        {"owner": 409, "other buyer": 200, "supplier": 403, "admin": 403},
    ),
    "cosign draft": (
        "draft", "POST", "/v1/needs/{id}/cosign", None,
        {"owner": 409, "other buyer": 404, "supplier": 403, "admin": 403},
    ),
    "read matches": (
        "published", "GET", "/v1/needs/{id}/matches", None,
        {"owner": 200, "other buyer": 403, "supplier": 403, "admin": 403},
    ),
    "record implementation": (
        "published", "POST", "/v1/needs/{id}/implementation", {"solution_id": "s"},
        {"owner": 409, "other buyer": 403, "supplier": 403, "admin": 403},
    ),
    "adopt with another's need": (
        "published", "POST", "/v1/adoptions", {"solution_id": "s", "need_id": "{id}"},
        {"owner": 201, "other buyer": 403, "supplier": 403, "admin": 403},
    ),
    "create": (
        "none", "POST", "/v1/needs", NEED,
        {"owner": 201, "other buyer": 201, "supplier": 403, "admin": 403},
    ),
    "own needs": (
        "none", "GET", "/v1/needs/mine", None,
        {"owner": 200, "other buyer": 200, "supplier": 403, "admin": 403},
    ),
    "inbox": (
        "none", "GET", "/v1/inbox", None,
        {"owner": 200, "other buyer": 200, "supplier": 403, "admin": 403},
    ),
}  # fmt: skip

CASES = [
    pytest.param(action, actor, expected, id=f"{action}-{actor}")
    for action, (*_, table) in MATRIX.items()
    for actor, expected in table.items()
]


def _fill(value: Any, need_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", need_id)
    if isinstance(value, dict):
        return {k: _fill(v, need_id) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("action", "actor", "expected"), CASES)
async def test_authorisation_matrix(
    needs_service: Needs, action: str, actor: str, expected: int
) -> None:
    state, method, path, body, _ = MATRIX[action]
    need_id = "none"
    if state == "draft":
        need_id = (await needs_service.create(OWNER[0]))["id"]
    elif state == "published":
        need_id = (await needs_service.published(OWNER[0]))["id"]
    org, role = ACTORS[actor]
    response = await needs_service.client.request(
        method,
        _fill(path, need_id),
        json=_fill(body, need_id),
        headers=auth(org, role),  # type: ignore[arg-type]
    )
    assert response.status_code == expected, response.text
    if state != "none" and expected >= 400:
        after = await needs_service.client.get(f"/v1/needs/{need_id}", headers=auth(OWNER[0]))
        assert after.json()["version"] <= 1, "a refused request changed the need"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(None, id="no token"),
        pytest.param(token("owner-org", ttl=timedelta(seconds=-5)), id="expired"),
        pytest.param(token("owner-org")[:-3] + "abc", id="tampered signature"),
        pytest.param(
            jwt.encode(
                {"org": "owner-org", "role": "buyer", "sub": "x", "iss": "marketplace", "exp": 4e9},
                "another-secret-that-is-long-enough-for-hs256",
                algorithm="HS256",
            ),
            id="foreign key",
        ),
        pytest.param(
            jwt.encode(
                {"org": "owner-org", "role": "buyer", "sub": "x", "iss": "marketplace", "exp": 4e9},
                None,
                algorithm="none",
            ),
            id="alg none",
        ),
    ],
)
async def test_missing_tampered_or_expired_tokens_are_rejected(
    needs_service: Needs, bad: str | None
) -> None:
    headers = {"Authorization": f"Bearer {bad}"} if bad else {}
    for method, path in [("POST", "/v1/needs"), ("GET", "/v1/needs"), ("GET", "/v1/inbox")]:
        response = await needs_service.client.request(
            method, path, json=NEED if method == "POST" else None, headers=headers
        )
        assert response.status_code == 401, (path, response.text)
