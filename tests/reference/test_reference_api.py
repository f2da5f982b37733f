"""The CPV reference API on the real needs service process, Kafka and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from marketplace_platform.auth import Role
from tests.needs.conftest import auth
from tests.support.infra import start_service, unique, wait_healthy

pytestmark = pytest.mark.infra

CPV = "/v1/reference/cpv"
SUGGEST = "/v1/reference/cpv/suggest"
BODY = {
    "title": "Städning av förskolor",
    "problem": "Lokalerna städas för sällan.",
    "language": "sv",
}


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a real needs service process, as tests/needs starts it."""
    handle = start_service("needs", tmp_path_factory.mktemp("needs"), topic_prefix=unique("t"))
    try:
        await wait_healthy(handle)
        async with httpx.AsyncClient(base_url=handle.url, timeout=15) as http:
            yield http
    finally:
        handle.process.stop()


def first_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"]
    return dict(body["errors"][0])


async def test_a_token_is_required(client: httpx.AsyncClient) -> None:
    c = client
    assert (await c.get(CPV, params={"q": "städ"})).status_code == 401
    assert (await c.post(SUGGEST, json=BODY)).status_code == 401


@pytest.mark.parametrize("role", ["buyer", "supplier", "admin"])
async def test_every_role_can_search_and_get_suggestions(
    client: httpx.AsyncClient, role: Role
) -> None:
    c, headers = client, auth("acme", role)
    found = await c.get(CPV, params={"q": "städ"}, headers=headers)
    assert found.status_code == 200, found.text
    codes = [i["code"] for i in found.json()["items"]]
    assert "90910000" in codes
    suggested = await c.post(SUGGEST, json=BODY, headers=headers)
    assert suggested.status_code == 200, suggested.text
    first = suggested.json()["items"][0]
    assert set(first) == {"code", "full", "label", "level", "score", "reason"}
    assert first["code"].startswith("909") and first["reason"].startswith("matchar")


async def test_items_carry_code_check_digit_label_parent_and_level(
    client: httpx.AsyncClient,
) -> None:
    c, headers = client, auth("karlstad")
    found = await c.get(CPV, params={"q": "80500000-9", "lang": "en"}, headers=headers)
    assert found.json() == {
        "items": [
            {
                "code": "80500000",
                "full": "80500000-9",
                "label": "Training services",
                "parent": "80000000",
                "level": "group",
            }
        ],
        "next": None,
    }
    divisions = await c.get(CPV, headers=headers)
    assert len(divisions.json()["items"]) == 20 and divisions.json()["next"]


async def test_suggestion_labels_follow_lang_then_the_bodys_language(
    client: httpx.AsyncClient,
) -> None:
    c, headers = client, auth("karlstad")
    body = {"title": "Snow clearing", "problem": "Our streets are ploughed too late."}
    default = await c.post(SUGGEST, json=body, headers=headers)
    assert default.json()["items"][0]["label"] == "Snöröjning"  # no language: sv labels
    english = await c.post(SUGGEST, json={**body, "language": "en"}, headers=headers)
    assert english.json()["items"][0]["label"] == "Snow-clearing services"
    chosen = await c.post(SUGGEST, json=body, params={"lang": "en"}, headers=headers)
    assert chosen.json()["items"][0]["reason"].startswith("matches")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"parent": "99999999"}, "parent"),
        ({"parent": "80"}, "parent"),
        ({"q": "städ", "lang": "fr"}, "lang"),
        ({"q": "städ", "cursor": "bogus"}, "cursor"),
        ({"q": "80500000-1"}, "q"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
    ],
)
async def test_bad_search_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get(CPV, params=params, headers=auth("karlstad"))
    error = first_error(response)
    assert error["field"] == field and error["rule"] and error["message"]
    assert "ETag" not in response.headers


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"title": "", "problem": " "}, {}, "title"),
        ({"title": "x" * 10_001, "problem": "ok"}, {}, "title"),
        ({"title": "ok", "problem": "x" * 10_001}, {}, "problem"),
        ({"title": "ok", "problem": "ok", "language": "de"}, {}, "language"),
        ({"title": "ok"}, {}, "problem"),
        (BODY, {"lang": "de"}, "lang"),
    ],
)
async def test_bad_suggest_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = await client.post(SUGGEST, json=body, params=params, headers=auth("karlstad"))
    assert first_error(response)["field"] == field


async def test_answers_are_cacheable_and_revalidate_with_304(client: httpx.AsyncClient) -> None:
    c, headers = client, auth("karlstad")
    first = await c.get(CPV, params={"q": "städ"}, headers=headers)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, max-age=3600"
    again = await c.get(CPV, params={"q": "städ"}, headers=headers)
    assert again.headers["ETag"] == etag  # the same data and query: the same tag

    unchanged = await c.get(
        CPV, params={"q": "städ"}, headers={**headers, "If-None-Match": f'"other", W/{etag}'}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["ETag"] == etag

    other = await c.get(CPV, params={"q": "städ", "lang": "en"}, headers=headers)
    assert other.headers["ETag"] != etag
    stale = await c.get(CPV, params={"q": "städ"}, headers={**headers, "If-None-Match": '"x"'})
    assert stale.status_code == 200 and stale.json() == first.json()

    suggested = await c.post(SUGGEST, json=BODY, headers=headers)
    assert suggested.headers["Cache-Control"] == "private, max-age=3600"
    assert suggested.headers["ETag"] != etag


async def test_cursor_pages_cover_every_hit_once(client: httpx.AsyncClient) -> None:
    c, headers = client, auth("acme", "supplier")
    whole = await c.get(CPV, params={"q": "städ", "limit": 100}, headers=headers)
    expected = [i["code"] for i in whole.json()["items"]]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"q": "städ", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = (await c.get(CPV, params=params, headers=headers)).json()
        seen += [i["code"] for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == expected and len(seen) == len(set(seen)) > 4
