"""Every service's domain errors are answered by the one handler of the platform, each with
the status and body it had when every service had its own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from marketplace_platform.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from marketplace_platform.http import install_error_handlers
from marketplace_platform.outbox import ConcurrentModification
from needs.domain.errors import IllegalPhaseMove, InvalidInput, NotFoundError, NotPermitted
from suppliers.domain.errors import RuleViolation


def answer(error: Exception) -> tuple[int, dict[str, Any]]:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/")
    async def refuse() -> None:
        raise error

    response = TestClient(app).get("/")
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (NotFound("no solution x"), 404, {"detail": "no solution x"}),
        (Forbidden("not yours"), 403, {"detail": "not yours"}),
        (
            Conflict("not paused", field="status"),
            409,
            {
                "detail": "not paused",
                "errors": [{"field": "status", "rule": "conflict", "message": "not paused"}],
            },
        ),
        (
            Invalid("bad cursor", field="cursor"),
            422,
            {
                "detail": "bad cursor",
                "errors": [{"field": "cursor", "rule": "invalid", "message": "bad cursor"}],
            },
        ),
        (
            InvalidInput("unknown CPV code", field="cpv_codes.0"),
            422,
            {
                "detail": "unknown CPV code",
                "errors": [
                    {"field": "cpv_codes.0", "rule": "InvalidInput", "message": "unknown CPV code"}
                ],
            },
        ),
        (
            IllegalPhaseMove("cannot move", allowed=["validation", "withdrawn"]),
            409,
            {"detail": "cannot move", "allowed": ["validation", "withdrawn"]},
        ),
        (NotPermitted("owner only"), 403, {"detail": "owner only"}),
        (NotFoundError("no need 'x'"), 404, {"detail": "no need 'x'"}),
        (
            RuleViolation("contact.email", "must be an e-mail address"),
            422,
            {
                "detail": "contact.email: must be an e-mail address",
                "errors": [
                    {
                        "field": "contact.email",
                        "rule": "invalid",
                        "message": "must be an e-mail address",
                    }
                ],
            },
        ),
        (
            ConcurrentModification("solutions/x keeps changing"),
            409,
            {"detail": "solutions/x keeps changing; retry the request"},
        ),
    ],
)
def test_each_refusal_has_its_status_and_body(
    error: Exception, status: int, body: dict[str, Any]
) -> None:
    assert answer(error) == (status, body)


def test_a_rule_violation_stays_a_value_error_named_by_its_field() -> None:
    # pydantic turns a ValueError raised in a validator into that field's error.
    violation = RuleViolation("secret", "must be at least 16 characters")
    assert isinstance(violation, ValueError) and isinstance(violation, DomainError)
    assert str(violation) == "secret: must be at least 16 characters"


class Body(BaseModel):
    title: str = Field(min_length=1)
    code: str = Field(pattern=r"^\d{8}$")


def test_a_refused_body_names_each_field_its_rule_and_the_value_refused() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/")
    async def take(body: Body) -> None:
        return None

    client = TestClient(app)
    answer = client.post("/", json={"title": "", "code": "805"}).json()
    assert [(e["field"], e["rule"], e.get("value")) for e in answer["errors"]] == [
        ("title", "string_too_short", ""),
        ("code", "string_pattern_mismatch", "805"),
    ]
    # A value that cannot be written back (a lone surrogate) is left out, not echoed.
    odd = client.post(
        "/",
        content=b'{"title": "\\ud800", "code": "\\ud800"}',
        headers={"content-type": "application/json"},
    )
    assert odd.status_code == 422 and "value" not in odd.json()["errors"][0]
