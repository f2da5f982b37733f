"""Open data on the real needs service, Kafka and database: a need published, moved through
its phases, co-signed and implemented is a valid OCDS release package and a record whose
compiled release is its last state; drafts never appear; the `ocds` topic carries the
same releases; no token is needed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from marketplace_contracts.events import OcdsReleased, SolutionPublished
from tests.support.infra import unique
from tests.support.ocds import codelist_errors, schema_errors

from .conftest import Needs, auth, running_needs

pytestmark = pytest.mark.infra

PREFIX = "ocds-test01"
NUMBERS = {"karlstad": "212000-1744"}


@pytest.fixture(scope="module")
async def open_data_service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Needs]:
    env = {
        "NEEDS_OCDS_OCID_PREFIX": PREFIX,
        "NEEDS_OCDS_ORGANISATION_NUMBERS": json.dumps(NUMBERS),
    }
    async with running_needs(tmp_path_factory, env) as needs:
        yield needs


async def _all_releases(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    """Every release of the feed, following `links.next`; each package valid."""
    found: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        response = await client.get(next_url)  # no token: open data
        assert response.status_code == 200, response.text
        package = response.json()
        assert schema_errors(package, "release-package-schema.json") == []  # none empty
        found += package["releases"]
        next_url = package.get("links", {}).get("next")
    return found


async def _releases_of(client: httpx.AsyncClient, ocid: str, count: int) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        found = [r for r in await _all_releases(client, "/v1/ocds/releases") if r["ocid"] == ocid]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.3)


async def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def test_a_need_from_publication_to_implementation_is_valid_open_data(
    open_data_service: Needs,
) -> None:
    svc, c = open_data_service, open_data_service.client
    solution_id = unique("sol")
    await svc.send(
        "solutions",
        SolutionPublished(
            solution_id=solution_id,
            version=1,
            supplier_org="virotea",
            name="ViroteaED",
            description="VR-träning för omsorgspersonal",
            cpv_codes=["80500000"],
            regions=["SE"],
            maturity="market-ready",
        ),
    )
    draft = await svc.create()
    need = await svc.published()
    nid = need["id"]
    for phase in ("validation", "co-creation", "procurement"):
        await _ok(
            await c.post(f"/v1/needs/{nid}/phase", json={"phase": phase}, headers=auth("karlstad"))
        )
    await _ok(
        await c.post(
            f"/v1/needs/{nid}/cosign", json={"municipality_code": "1761"}, headers=auth("hammaro")
        )
    )
    await _ok(
        await c.post(
            f"/v1/needs/{nid}/implementation",
            json={"solution_id": solution_id},
            headers=auth("karlstad"),
        )
    )

    ocid = f"{PREFIX}-{nid}"
    releases = await _releases_of(c, ocid, 6)
    assert [r["tag"] for r in sorted(releases, key=lambda r: r["date"])] == [
        ["planning"],
        ["planningUpdate"],
        ["planningUpdate"],
        ["planningUpdate"],
        ["planningUpdate"],
        ["planningUpdate", "award"],
    ]
    for release in releases:
        assert codelist_errors(release) == []
    everything = await _all_releases(c, "/v1/ocds/releases?limit=2")
    assert all(draft["id"] not in r["ocid"] for r in everything), "a draft was released"
    assert len({r["id"] for r in everything}) == len(everything)

    response = await c.get(f"/v1/ocds/records/{ocid}")
    assert response.status_code == 200, response.text
    package = response.json()
    assert schema_errors(package, "record-package-schema.json") == []
    (record,) = package["records"]
    assert record["ocid"] == ocid and len(record["releases"]) == 6
    compiled = record["compiledRelease"]
    assert compiled["tag"] == ["compiled"]
    milestones = {m["id"]: m["status"] for m in compiled["planning"]["milestones"]}
    assert milestones["implementation"] == "met" and milestones["scaling"] == "scheduled"
    assert compiled["tender"]["status"] == "complete"
    assert compiled["buyer"] == {"id": "SE-BLV-2120001744", "name": "karlstad"}
    (award,) = compiled["awards"]
    assert award["title"] == "ViroteaED"
    assert award["suppliers"] == [{"id": "virotea", "name": "virotea"}]
    roles = {p["id"]: p["roles"] for p in compiled["parties"]}
    assert roles == {
        "SE-BLV-2120001744": ["buyer"],
        "hammaro": ["interestedParty"],
        "virotea": ["supplier"],
    }
    assert package["publishedDate"] == max(r["date"] for r in releases)

    # The topic carries the same releases, for integrators to mirror.
    events = await svc.events("ocds", lambda e: e.subject == nid, count=6)
    assert sorted(e.data["release_id"] for e in events) == sorted(r["id"] for r in releases)
    by_id = {r["id"]: r for r in releases}
    assert all(e.data["release"] == by_id[e.data["release_id"]] for e in events)
    # A draft has no event on the topic either.
    assert await svc.events("ocds", lambda e: e.subject == draft["id"], timeout=1) == []


async def test_a_redelivered_release_is_stored_once(open_data_service: Needs) -> None:
    svc, c = open_data_service, open_data_service.client
    need = await svc.published()
    ocid = f"{PREFIX}-{need['id']}"
    (first,) = await _releases_of(c, ocid, 1)
    (event,) = await svc.events("ocds", lambda e: e.subject == need["id"])
    await svc.send("ocds", OcdsReleased.model_validate(event.data))
    await _ok(
        await c.post(
            f"/v1/needs/{need['id']}/phase", json={"phase": "validation"}, headers=auth("karlstad")
        )
    )
    releases = await _releases_of(c, ocid, 2)  # the move's release is behind the copy
    assert len(releases) == 2 and first["id"] in {r["id"] for r in releases}
    record = (await c.get(f"/v1/ocds/records/{ocid}")).json()["records"][0]
    assert len(record["releases"]) == 2


async def test_since_and_pages_cover_each_release_once(open_data_service: Needs) -> None:
    svc, c = open_data_service, open_data_service.client
    first = await svc.published()
    await _releases_of(c, f"{PREFIX}-{first['id']}", 1)
    later = [await svc.published() for _ in range(3)]
    ocids = {f"{PREFIX}-{n['id']}" for n in later}
    for ocid in ocids:
        await _releases_of(c, ocid, 1)
    since = min(datetime.fromisoformat(n["published_at"]) for n in later)
    found = await _all_releases(
        c, str(httpx.URL("/v1/ocds/releases", params={"since": since.isoformat(), "limit": 1}))
    )
    assert {r["ocid"] for r in found} == ocids
    assert len(found) == 3
    # Nothing since: an empty list (OCDS 1.1 asks for one release at least; a poller
    # is better served by an empty page than by an error), and nothing else wrong.
    ahead = max(datetime.fromisoformat(n["published_at"]) for n in later) + timedelta(seconds=1)
    empty = (await c.get("/v1/ocds/releases", params={"since": ahead.isoformat()})).json()
    assert empty["releases"] == [] and "links" not in empty
    assert schema_errors(empty, "release-package-schema.json") == [
        "releases: [] should be non-empty"
    ]


async def test_bad_requests_name_the_field(open_data_service: Needs) -> None:
    c = open_data_service.client
    missing = await c.get(f"/v1/ocds/records/{PREFIX}-no-such-need")
    assert missing.status_code == 404
    assert "no published need has the ocid" in missing.json()["detail"]
    cursor = await c.get("/v1/ocds/releases", params={"cursor": "not-a-cursor"})
    assert cursor.status_code == 422 and cursor.json()["errors"][0]["field"] == "cursor"
    since = await c.get("/v1/ocds/releases", params={"since": "yesterday"})
    assert since.status_code == 422 and since.json()["errors"][0]["field"] == "query.since"
