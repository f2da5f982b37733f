"""The buyer inbox fed by match.found and scaling.opportunity over the real Kafka."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from marketplace_contracts.events import (
    Deployment,
    MatchFound,
    MatchReason,
    ScalingOpportunity,
    deterministic_id,
)

from .conftest import Needs, auth

pytestmark = pytest.mark.infra


def match(need: dict[str, Any], solution: str, score: float, buyer: str = "karlstad") -> MatchFound:
    return MatchFound(
        match_id=deterministic_id(need["id"], solution),
        need_id=need["id"],
        need_version=need["version"],
        need_title=need["title"],
        buyer_org=buyer,
        solution_id=solution,
        solution_version=1,
        solution_name=f"Lösning {solution}",
        supplier_org="acme",
        score=score,
        reasons=[MatchReason(component="cpv", score=score, detail="same group 805")],
    )


async def eventually(check: Any, timeout: float = 15) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.2)


async def test_a_replayed_match_gives_one_entry_and_a_reranking_updates_it(
    needs_service: Needs,
) -> None:
    svc, c = needs_service, needs_service.client
    buyer = "inbox-buyer"
    need = await svc.published(buyer)
    first = match(need, "sol-a", 0.5, buyer)
    event_id = await svc.send("matches", first)
    await svc.send("matches", first, event_id=event_id)  # redelivery of the same event
    await svc.send("matches", first)  # the same match again under a new event id
    await svc.send("matches", match(need, "sol-b", 0.9, buyer))

    async def two_entries() -> list[dict[str, Any]] | None:
        items = (await c.get("/v1/inbox", headers=auth(buyer))).json()["items"]
        return items if len(items) == 2 else None

    items = await eventually(two_entries)
    await asyncio.sleep(1.0)  # let any duplicate arrive before counting again
    items = (await c.get("/v1/inbox", headers=auth(buyer))).json()["items"]
    assert sorted(i["id"] for i in items) == sorted(
        [first.match_id, deterministic_id(need["id"], "sol-b")]
    )

    await svc.send("matches", match(need, "sol-a", 0.95, buyer))  # re-ranked

    async def reranked() -> bool:
        ranked = (await c.get(f"/v1/needs/{need['id']}/matches", headers=auth(buyer))).json()
        return [m["score"] for m in ranked["items"]] == [0.95, 0.9]

    await eventually(reranked)
    ranked = (await c.get(f"/v1/needs/{need['id']}/matches", headers=auth(buyer))).json()
    assert [m["solution_id"] for m in ranked["items"]] == ["sol-a", "sol-b"]
    assert ranked["items"][0]["reasons"][0]["component"] == "cpv"
    assert len((await c.get("/v1/inbox", headers=auth(buyer))).json()["items"]) == 2

    # Another buyer sees neither the inbox entries nor the matches; a supplier has no inbox.
    assert (await c.get("/v1/inbox", headers=auth("someone-else"))).json()["items"] == []
    other = await c.get(f"/v1/needs/{need['id']}/matches", headers=auth("someone-else"))
    assert other.status_code == 403
    assert (await c.get("/v1/inbox", headers=auth("acme", "supplier"))).status_code == 403
    stolen = await c.post(f"/v1/inbox/{first.match_id}/read", headers=auth("someone-else"))
    assert stolen.status_code == 404

    read = await c.post(f"/v1/inbox/{first.match_id}/read", headers=auth(buyer))
    assert read.status_code == 200 and read.json()["read"] is True
    unread = (await c.get("/v1/inbox", params={"unread": True}, headers=auth(buyer))).json()
    assert [i["solution_id"] for i in unread["items"]] == ["sol-b"]

    # A co-signer reads the need's matches too.
    await c.post(
        f"/v1/needs/{need['id']}/cosign", headers=auth("cosigner", municipality_code="1761")
    )
    shared = await c.get(f"/v1/needs/{need['id']}/matches", headers=auth("cosigner"))
    assert shared.status_code == 200 and len(shared.json()["items"]) == 2


async def test_the_stream_replays_unread_entries_then_pushes_new_ones(
    needs_service: Needs,
) -> None:
    svc = needs_service
    buyer = "stream-buyer"
    need = await svc.published(buyer)
    old = match(need, "sol-old", 0.4, buyer)
    await svc.send("matches", old)

    async def arrived() -> bool:
        items = (await svc.client.get("/v1/inbox", headers=auth(buyer))).json()["items"]
        return len(items) == 1

    await eventually(arrived)
    opportunity = ScalingOpportunity(
        opportunity_id=deterministic_id(buyer, "sol-new", "3"),
        buyer_org=buyer,
        need_id=need["id"],
        need_title=need["title"],
        solution_id="sol-new",
        solution_name="ViroteaED",
        supplier_org="virotea",
        adoption_count=3,
        deployments=[Deployment(buyer_org="karlstad", municipality_code="1780")],
        score=0.8,
        reasons=[],
        triggered_by="adoption-1",
    )
    received: list[tuple[str, str, dict[str, Any]]] = []

    async def listen() -> None:
        async with (
            httpx.AsyncClient(base_url=svc.handle.url, timeout=30) as client,
            client.stream("GET", "/v1/inbox/stream", headers=auth(buyer)) as response,
        ):
            assert response.status_code == 200
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    continue
                if not line:
                    if "data" in fields:
                        received.append((fields["id"], fields["event"], json.loads(fields["data"])))
                        if len(received) == 2:
                            return
                    fields = {}
                    continue
                key, _, value = line.partition(":")
                fields[key] = value.strip()

    task = asyncio.create_task(listen())
    await eventually(lambda: _true_when(len(received) == 1))
    await svc.send("scaling", opportunity)
    await asyncio.wait_for(task, 20)
    assert [(r[0], r[1]) for r in received] == [
        (old.match_id, "match"),
        (opportunity.opportunity_id, "scaling"),
    ]
    assert received[1][2]["adoption_count"] == 3


async def _true_when(value: bool) -> bool:
    return value


async def test_an_implementation_tells_many_buyers_once_each_even_when_redelivered(
    needs_service: Needs,
) -> None:
    # The scaling topic is consumed in batches (one implementation tells every buyer with a
    # similar need at once); a batch delivered again must not give anyone a second entry.
    svc, c = needs_service, needs_service.client
    buyers = [f"cascade-buyer-{i}" for i in range(30)]
    needs = await asyncio.gather(*(svc.published(b) for b in buyers))
    opportunities = [
        ScalingOpportunity(
            opportunity_id=deterministic_id(buyer, "sol-vr", "2"),
            buyer_org=buyer,
            need_id=need["id"],
            need_title=need["title"],
            solution_id="sol-vr",
            solution_name="VR-utbildning",
            supplier_org="virotea",
            adoption_count=1,
            deployments=[Deployment(buyer_org="karlstad", municipality_code="1780")],
            score=0.8,
            reasons=[MatchReason(component="cpv", score=1.0, detail="same code")],
            triggered_by="implementation-1",
        )
        for buyer, need in zip(buyers, needs, strict=True)
    ]
    event_ids = await asyncio.gather(*(svc.send("scaling", o) for o in opportunities))
    await asyncio.gather(
        *(svc.send("scaling", o, event_id=e) for o, e in zip(opportunities, event_ids, strict=True))
    )

    async def scaling_entries(buyer: str) -> list[dict[str, Any]]:
        items = (await c.get("/v1/inbox", headers=auth(buyer))).json()["items"]
        return [i for i in items if i["kind"] == "scaling"]

    async def everyone_told() -> bool:
        found = await asyncio.gather(*(scaling_entries(b) for b in buyers))
        return all(found)

    await eventually(everyone_told, timeout=30)
    await asyncio.sleep(1.0)  # let any duplicate arrive before counting
    for buyer, opportunity in zip(buyers, opportunities, strict=True):
        entries = await scaling_entries(buyer)
        assert [e["id"] for e in entries] == [opportunity.opportunity_id]
        assert entries[0]["solution_id"] == "sol-vr"

    # More organisations join: each buyer's one opportunity is updated in place.
    grown = [o.model_copy(update={"adoption_count": 5}) for o in opportunities]
    await asyncio.gather(*(svc.send("scaling", o) for o in grown))

    async def updated() -> bool:
        found = await asyncio.gather(*(scaling_entries(b) for b in buyers))
        return all(e and e[0]["adoption_count"] == 5 for e in found)

    await eventually(updated, timeout=30)
    for buyer in buyers:
        assert len(await scaling_entries(buyer)) == 1
