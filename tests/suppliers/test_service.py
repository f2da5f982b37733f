"""The suppliers service as a real process on the real Kafka and database: the catalogue,
subscriptions and adoptions, who may call what, and the OpenAPI examples (the inbox and
webhooks are `test_service_inbox.py`'s; the service and helpers are in `conftest.py`)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from marketplace_contracts.events import AdoptionRecorded
from tests.suppliers.conftest import SOLUTION, bootstrap, new_solution, register
from tests.suppliers.support import Receiver, auth, event_of, eventually, publish, read_events
from tests.support.infra import unique

pytestmark = pytest.mark.infra


# --- solutions and subscriptions emit their events ------------------------------------------


async def test_solution_lifecycle_emits_versioned_events(
    client: httpx.AsyncClient, prefix: str
) -> None:
    org = unique("acme")
    created = await new_solution(client, org)
    sid = created["id"]
    assert created["version"] == 1 and created["cpv_codes"] == ["80500000"]
    assert created["deployments"] == [] and created["adoption_count"] == 0

    patched = await client.patch(
        f"/v1/solutions/{sid}", json={"maturity": "pilot", "regions": ["1780"]}, headers=auth(org)
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2 and patched.json()["regions"] == ["1780"]

    bad = await client.patch(f"/v1/solutions/{sid}", json={"cpv_codes": ["80"]}, headers=auth(org))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cpv_codes.0"
    bad = await client.patch(f"/v1/solutions/{sid}", json={"maturity": "x"}, headers=auth(org))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "maturity"
    # An empty form: every missing field in one answer, so a form can mark each of them.
    empty = {"name": " ", "description": "", "cpv_codes": [], "regions": []}
    bad = await client.post("/v1/solutions", json=empty, headers=auth(org))
    assert bad.status_code == 422
    refused = {(e["field"], e["rule"]) for e in bad.json()["errors"]}
    assert refused == {
        ("name", "string_too_short"),
        ("description", "string_too_short"),
        ("cpv_codes", "too_short"),
        ("regions", "too_short"),
        ("maturity", "missing"),
    }

    retired = await client.delete(f"/v1/solutions/{sid}", headers=auth(org))
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    again = await client.patch(f"/v1/solutions/{sid}", json={"name": "x"}, headers=auth(org))
    assert again.status_code == 409

    mine = [
        e
        for e in await read_events(
            bootstrap(),
            f"{prefix}.solutions",
            lambda es: sum(e["data"]["solution_id"] == sid for e in es) >= 3,
        )
        if e["data"]["solution_id"] == sid
    ]
    assert [(e["type"], e["data"]["version"]) for e in mine] == [
        ("solution.published.v1", 1),
        ("solution.updated.v1", 2),
        ("solution.retired.v1", 3),
    ]
    assert mine[1]["data"]["maturity"] == "pilot" and mine[1]["data"]["adoption_count"] == 0

    listed = (await client.get("/v1/solutions", params={"supplier": org}, headers=auth(org))).json()
    assert listed["items"] == []  # retired solutions are not listed by default


async def test_solution_search_filters_and_sorts(client: httpx.AsyncClient) -> None:
    org = unique("sök")
    await new_solution(client, org, name="Örnen", regions=["SE"])
    await new_solution(client, org, name="Ärlan", cpv_codes=["72000000"], regions=["1780"])
    await new_solution(client, org, name="Zebra", regions=["1283"], description="sensorer")
    viewer = auth("karlstad", "buyer")

    async def names(**params: str) -> list[str]:
        r = await client.get("/v1/solutions", params={"supplier": org, **params}, headers=viewer)
        assert r.status_code == 200, r.text
        return [s["name"] for s in r.json()["items"]]

    assert await names() == ["Zebra", "Ärlan", "Örnen"]  # Swedish order: z < å < ä < ö
    assert await names(cpv="805") == ["Zebra", "Örnen"]
    assert await names(region="1780") == ["Ärlan", "Örnen"]
    assert await names(region="12") == ["Zebra", "Örnen"]
    assert await names(q="SENSORER") == ["Zebra"]
    bad = await client.get("/v1/solutions", params={"region": "99"}, headers=viewer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "region"


async def test_subscriptions_emit_events(client: httpx.AsyncClient, prefix: str) -> None:
    org = unique("subs")
    empty = await client.post("/v1/subscriptions", json={}, headers=auth(org))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "cpv_prefixes"
    bad = await client.post("/v1/subscriptions", json={"phases": ["later"]}, headers=auth(org))
    assert bad.status_code == 422 and "phases" in bad.json()["errors"][0]["field"]

    created = await client.post(
        "/v1/subscriptions",
        json={"cpv_prefixes": ["80500000-9"], "regions": ["17"], "keywords": ["VR"]},
        headers=auth(org),
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["cpv_prefixes"] == ["805"]
    listed = (await client.get("/v1/subscriptions", headers=auth(org))).json()["items"]
    assert [s["id"] for s in listed] == [sub["id"]]
    assert (
        await client.delete(f"/v1/subscriptions/{sub['id']}", headers=auth(org))
    ).status_code == 204
    assert (
        await client.get(f"/v1/subscriptions/{sub['id']}", headers=auth(org))
    ).status_code == 404

    mine = [
        e
        for e in await read_events(
            bootstrap(),
            f"{prefix}.subscriptions",
            lambda es: sum(e["data"]["subscription_id"] == sub["id"] for e in es) >= 2,
        )
        if e["data"]["subscription_id"] == sub["id"]
    ]
    assert [(e["type"], e["data"]["version"]) for e in mine] == [
        ("subscription.upserted.v1", 1),
        ("subscription.deleted.v1", 2),
    ]
    assert mine[0]["data"]["keywords"] == ["VR"] and mine[0]["subject"] == sub["id"]


# --- adoptions become deployments, once -----------------------------------------------------


async def test_replayed_adoption_counts_once(client: httpx.AsyncClient, prefix: str) -> None:
    org = unique("vr")
    sid = (await new_solution(client, org))["id"]
    first = AdoptionRecorded(
        adoption_id=str(uuid.uuid4()),
        solution_id=sid,
        buyer_org="karlstad",
        municipality_code="1780",
        need_id=str(uuid.uuid4()),
        kind="implementation",
        recorded_at=datetime(2022, 9, 1, tzinfo=UTC),
    )
    second = AdoptionRecorded(
        adoption_id=str(uuid.uuid4()),
        solution_id=sid,
        buyer_org="hammaro",
        municipality_code="1761",
        kind="adoption",
        recorded_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    e1 = event_of(first)
    # The same event twice (a replay) and the same adoption under a new event id.
    await publish(bootstrap(), f"{prefix}.adoptions", [e1, e1, event_of(first), event_of(second)])

    async def two() -> bool:
        r = await client.get(f"/v1/solutions/{sid}", headers=auth("karlstad", "buyer"))
        return bool(r.json()["adoption_count"] >= 2)

    await eventually(two)
    await asyncio.sleep(1.5)  # let any double counting show
    body = (await client.get(f"/v1/solutions/{sid}", headers=auth("anyone", "admin"))).json()
    assert body["adoption_count"] == 2 and body["version"] == 3
    assert [(d["buyer_org"], d["kind"], d["municipality_code"]) for d in body["deployments"]] == [
        ("karlstad", "implementation", "1780"),
        ("hammaro", "adoption", "1761"),
    ]
    assert body["deployments"][0]["since"].startswith("2022-09-01")

    updates = [
        e
        for e in await read_events(
            bootstrap(),
            f"{prefix}.solutions",
            lambda es: (
                sum(
                    e["data"]["solution_id"] == sid and e["type"] == "solution.updated.v1"
                    for e in es
                )
                >= 2
            ),
        )
        if e["data"]["solution_id"] == sid and e["type"] == "solution.updated.v1"
    ]
    assert [(e["data"]["version"], e["data"]["adoption_count"]) for e in updates] == [
        (2, 1),
        (3, 2),
    ]


# --- authorisation ---------------------------------------------------------------------------


async def test_authorisation_matrix(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner, intruder = unique("owner"), unique("intruder")
    sid = (await new_solution(client, owner))["id"]
    sub = (
        await client.post("/v1/subscriptions", json={"keywords": ["vr"]}, headers=auth(owner))
    ).json()["id"]
    hook = (await register(client, owner, receiver.url + "/ok", "0123456789abcdef"))["id"]
    profile = {
        "name": "Owner AB",
        "organisation_number": "556016-0680",
        "contact": {"email": "a@example.se"},
        "regions": ["SE"],
    }
    patch = {"name": "Renamed"}
    cases: list[tuple[str, str, dict[str, Any] | None, dict[str, str], int]] = [
        # (method, path, json, headers, expected)
        ("GET", "/v1/solutions", None, {}, 401),
        ("GET", "/v1/solutions", None, {"Authorization": "Bearer nonsense"}, 401),
        ("GET", "/v1/solutions", None, auth("b", "buyer"), 200),
        ("GET", f"/v1/solutions/{sid}", None, auth("a", "admin"), 200),
        ("GET", "/v1/solutions/nope", None, auth("b", "buyer"), 404),
        ("POST", "/v1/solutions", SOLUTION, auth("b", "buyer"), 403),
        ("POST", "/v1/solutions", {**SOLUTION, "name": ""}, auth(owner), 422),
        ("PATCH", f"/v1/solutions/{sid}", patch, auth("b", "buyer"), 403),
        ("PATCH", f"/v1/solutions/{sid}", patch, auth(intruder), 403),
        ("DELETE", f"/v1/solutions/{sid}", None, auth(intruder), 403),
        ("PATCH", f"/v1/solutions/{sid}", patch, auth(owner), 200),
        ("PUT", "/v1/profile", profile, auth("b", "buyer"), 403),
        ("GET", "/v1/profile", None, auth(intruder), 404),
        ("PUT", "/v1/profile", {**profile, "organisation_number": "556016-0681"}, auth(owner), 422),
        ("PUT", "/v1/profile", profile, auth(owner), 200),
        ("GET", "/v1/profile", None, auth(owner), 200),
        ("GET", "/v1/subscriptions", None, auth("b", "buyer"), 403),
        ("GET", f"/v1/subscriptions/{sub}", None, auth(intruder), 404),
        ("DELETE", f"/v1/subscriptions/{sub}", None, auth(intruder), 404),
        ("GET", f"/v1/subscriptions/{sub}", None, auth(owner), 200),
        (
            "POST",
            "/v1/webhooks",
            {"url": receiver.url, "secret": "x" * 16},
            auth("b", "buyer"),
            403,
        ),
        ("GET", f"/v1/webhooks/{hook}/deliveries", None, auth(intruder), 404),
        ("POST", f"/v1/webhooks/{hook}/resume", None, auth(intruder), 404),
        ("DELETE", f"/v1/webhooks/{hook}", None, auth(intruder), 404),
        ("GET", "/v1/inbox", None, auth("b", "buyer"), 403),
        ("GET", "/v1/inbox/stream", None, auth("b", "buyer"), 403),
        ("GET", "/v1/inbox/stream", None, {}, 401),
        ("POST", "/v1/inbox/whatever/read", None, auth(owner), 404),
        ("DELETE", f"/v1/webhooks/{hook}", None, auth(owner), 204),
        ("DELETE", f"/v1/subscriptions/{sub}", None, auth(owner), 204),
    ]
    failures = []
    for method, path, body, headers, expected in cases:
        r = await client.request(method, path, json=body, headers=headers)
        if r.status_code != expected:
            failures.append(f"{method} {path}: {r.status_code} != {expected} {r.text[:200]}")
    assert not failures, "\n".join(failures)
    solution = (await client.get(f"/v1/solutions/{sid}", headers=auth(owner))).json()
    assert solution["name"] == "Renamed" and solution["status"] == "published"


async def test_openapi_has_an_example_for_every_endpoint(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path, ops in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in ops.items():
            ok = op["responses"].get("200") or op["responses"].get("201") or op["responses"]["204"]
            has_example = any("example" in c for c in ok.get("content", {}).values())
            assert has_example or "204" in op["responses"], f"{method} {path}"
