"""The suppliers' lists over HTTP on the real Kafka and database: keyset pages (`next` and
`cursor`) of the catalogue, the inbox and the subscriptions, and the catalogue listing
rebuilt from the solutions topic when the service starts again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.suppliers.conftest import SOLUTION, alert_payload, bootstrap
from tests.suppliers.support import auth, event_of, eventually, publish
from tests.support.infra import ServiceHandle, start_service, unique, wait_healthy

pytestmark = pytest.mark.infra


async def pages(client: httpx.AsyncClient, path: str, org: str, **params: Any) -> list[Any]:
    """Every page of a list, following `next`; each page as its items."""
    out: list[Any] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=auth(org))
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next"}
        out.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return out


async def running(tmp: Any, prefix: str) -> ServiceHandle:
    handle = start_service("suppliers", tmp, topic_prefix=prefix)
    await wait_healthy(handle)
    return handle


@pytest.fixture
async def service(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[ServiceHandle, str, Any]]:
    prefix = unique("suppage")
    tmp = tmp_path_factory.mktemp("suppliers-paging")
    handle = await running(tmp, prefix)
    try:
        yield handle, prefix, tmp
    finally:
        handle.process.stop()


async def test_lists_page_by_cursor_and_the_listing_survives_a_restart(
    service: tuple[ServiceHandle, str, Any],
) -> None:
    handle, prefix, tmp = service
    org = unique("pager")
    names = ["Örnen", "Ärlan", "Åsa", "Zebra", "Alfa", "Bo", "Cesar"]
    async with httpx.AsyncClient(base_url=handle.url, timeout=15) as client:
        ids = {}
        for name in names:
            r = await client.post(
                "/v1/solutions", json={**SOLUTION, "name": name}, headers=auth(org)
            )
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        retired = await client.delete(f"/v1/solutions/{ids['Bo']}", headers=auth(org))
        assert retired.status_code == 200
        swedish = ["Alfa", "Cesar", "Zebra", "Åsa", "Ärlan", "Örnen"]
        got = await pages(client, "/v1/solutions", org, supplier=org, limit=2)
        assert [len(p) for p in got] == [2, 2, 2]
        assert [s["name"] for p in got for s in p] == swedish
        everything = await pages(client, "/v1/solutions", org, supplier=org, include_retired="true")
        assert [s["name"] for p in everything for s in p] == ["Alfa", "Bo", *swedish[1:]]
        bad = await client.get("/v1/solutions", params={"cursor": "nonsense"}, headers=auth(org))
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"

        for keyword in ("vr", "demens", "snö"):
            r = await client.post(
                "/v1/subscriptions", json={"keywords": [keyword]}, headers=auth(org)
            )
            assert r.status_code == 201, r.text
        got = await pages(client, "/v1/subscriptions", org, limit=2)
        assert [[s["keywords"] for s in p] for p in got] == [[["vr"], ["demens"]], [["snö"]]]

        alerts = [event_of(alert_payload(org, str(uuid.uuid4()))) for _ in range(5)]
        await publish(bootstrap(), f"{prefix}.alerts", alerts)

        async def five() -> bool:
            r = await client.get("/v1/inbox", params={"limit": 10}, headers=auth(org))
            return len(r.json()["items"]) == 5

        await eventually(five)
        got = await pages(client, "/v1/inbox", org, limit=2)
        assert [len(p) for p in got] == [2, 2, 1]
        first = got[0][0]["id"]
        assert (await client.post(f"/v1/inbox/{first}/read", headers=auth(org))).status_code == 200
        unread = await pages(client, "/v1/inbox", org, unread="true", limit=3)
        assert [len(p) for p in unread] == [3, 1]
        read = await pages(client, "/v1/inbox", org, unread="false")
        assert [e["id"] for p in read for e in p] == [first]
        hooks = (await client.get("/v1/webhooks", headers=auth(org))).json()
        assert hooks == {"items": [], "next": None}

    # Another process on the same database and topics rebuilds the listing from Kafka.
    handle.process.stop()
    again = await running(tmp, prefix)
    try:
        async with httpx.AsyncClient(base_url=again.url, timeout=15) as client:
            got = await pages(client, "/v1/solutions", org, supplier=org, limit=4)
            assert [s["name"] for p in got for s in p] == swedish
            retired_too = await pages(
                client, "/v1/solutions", org, supplier=org, include_retired="true", q="vård"
            )
            assert [s["name"] for p in retired_too for s in p] == ["Alfa", "Bo", *swedish[1:]]
            after_restart = await pages(client, "/v1/inbox", org, limit=50)
            assert len(after_restart[0]) == 5
    finally:
        again.process.stop()
