"""The suppliers service as a real process on the real Kafka and database: the inbox (one
entry per distinct match or alert, and its live stream) and webhooks (refused targets,
signed deliveries and their retries, pausing). The service and helpers are in
`conftest.py`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from marketplace_contracts.events import deterministic_id
from suppliers.adapters.webhooks import MongoWebhooks
from suppliers.domain.webhooks import verify_signature
from tests.suppliers.conftest import alert_payload, bootstrap, match_payload, new_solution, register
from tests.suppliers.support import Receiver, auth, event_of, eventually, publish
from tests.support.infra import ServiceHandle, unique

pytestmark = pytest.mark.infra


# --- inbox: one entry per distinct match or alert, live stream -------------------------------


async def test_inbox_entry_per_distinct_match_and_alert(
    client: httpx.AsyncClient, prefix: str, service: ServiceHandle
) -> None:
    org, other = unique("inbox"), unique("other")
    sid = (await new_solution(client, org))["id"]
    need_a, need_b = str(uuid.uuid4()), str(uuid.uuid4())

    stream_events: list[dict[str, Any]] = []
    ready = asyncio.Event()

    async def listen() -> None:
        async with (
            httpx.AsyncClient(base_url=service.url, timeout=None) as sse,
            sse.stream("GET", "/v1/inbox/stream", headers=auth(org)) as response,
        ):
            assert response.status_code == 200
            current: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(("id:", "event:", "data:")):
                    key, _, value = line.partition(":")
                    current[key] = value.strip()
                elif line == "" and current:
                    if current.get("event") == "ready":
                        ready.set()
                    else:
                        stream_events.append(current)
                    current = {}

    listener = asyncio.create_task(listen())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        match_a = match_payload(org, sid, need_a)
        e_a = event_of(match_a)
        reranked = event_of(match_payload(org, sid, need_a, score=0.9))
        match_b = event_of(match_payload(org, sid, need_b))
        await publish(bootstrap(), f"{prefix}.matches", [e_a, e_a, match_b, reranked])
        alert = event_of(alert_payload(org, need_b))
        await publish(bootstrap(), f"{prefix}.alerts", [alert, alert])

        async def three() -> bool:
            r = await client.get("/v1/inbox", headers=auth(org))
            return len(r.json()["items"]) >= 3

        await eventually(three)
        await asyncio.sleep(1.5)
        items = (await client.get("/v1/inbox", headers=auth(org))).json()["items"]
        assert len(items) == 3
        by_id = {i["id"]: i for i in items}
        assert by_id[match_a.match_id]["score"] == 0.9  # the re-ranked match updated its entry
        assert by_id[match_a.match_id]["kind"] == "match.found"
        alert_entry = next(i for i in items if i["kind"] == "alert.raised")
        assert alert_entry["need_id"] == need_b

        read = await client.post(f"/v1/inbox/{alert_entry['id']}/read", headers=auth(org))
        assert read.status_code == 200 and read.json()["read"] is True
        unread = (
            await client.get("/v1/inbox", params={"unread": "true"}, headers=auth(org))
        ).json()
        assert {i["id"] for i in unread["items"]} == {
            match_a.match_id,
            deterministic_id("match", need_b, sid),
        }

        # Another supplier neither sees nor marks this inbox.
        assert (await client.get("/v1/inbox", headers=auth(other))).json()["items"] == []
        stolen = await client.post(f"/v1/inbox/{alert_entry['id']}/read", headers=auth(other))
        assert stolen.status_code == 404

        async def streamed() -> bool:
            return len({e["id"] for e in stream_events}) >= 3

        await eventually(streamed, timeout=10)
        assert {e["id"] for e in stream_events} == {i["id"] for i in items}
        assert json.loads(stream_events[0]["data"])["supplier_org"] == org
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


# --- webhooks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://0.0.0.0:8080/hook",
        "ftp://127.0.0.1/hook",
    ],
)
async def test_refused_webhook_targets(client: httpx.AsyncClient, url: str) -> None:
    org = unique("refused")
    r = await client.post(
        "/v1/webhooks", json={"url": url, "secret": "0123456789abcdef"}, headers=auth(org)
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "url"
    assert (await client.get("/v1/webhooks", headers=auth(org))).json()["items"] == []


async def test_short_secret_is_refused(client: httpx.AsyncClient, receiver: Receiver) -> None:
    r = await client.post(
        "/v1/webhooks", json={"url": receiver.url + "/ok", "secret": "short"}, headers=auth("x")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "secret"


async def test_signed_delivery_retried_after_500(
    client: httpx.AsyncClient, prefix: str, receiver: Receiver
) -> None:
    org = unique("hooked")
    secret = "s3cret-" + uuid.uuid4().hex
    hook = await register(client, org, receiver.url + "/flaky", secret)
    sid = (await new_solution(client, org))["id"]
    match = match_payload(org, sid, str(uuid.uuid4()))
    event = event_of(match)
    await publish(bootstrap(), f"{prefix}.matches", [event])

    async def delivered() -> bool:
        r = await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=auth(org))
        items = r.json()["items"]
        return bool(items) and items[0]["status"] == "delivered"

    await eventually(delivered)
    hits = [r for r in receiver.to("/flaky") if r.headers.get("x-marketplace-event-id") == event.id]
    assert len(hits) == 2  # a 500, then the retry that succeeded
    for hit in hits:
        assert hit.headers["content-type"] == "application/json"
        assert verify_signature(
            secret, hit.headers["x-marketplace-signature"], hit.body, time.time()
        )
        assert not verify_signature(
            "wrong-secret-123456", hit.headers["x-marketplace-signature"], hit.body, time.time()
        )
    body = json.loads(hits[1].body)
    assert body["type"] == "match.found" and body["entry"]["id"] == match.match_id
    assert hits[1].at - hits[0].at >= 0.1  # backoff before the retry

    delivery = (
        await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=auth(org))
    ).json()["items"][0]
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 204]
    assert delivery["attempt_count"] == 2 and delivery["attempts"][0]["error"]
    # Deliveries are the owner's only.
    other = await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=auth("someone"))
    assert other.status_code == 404


async def test_dead_receiver_is_paused_and_does_not_delay_others(
    client: httpx.AsyncClient, prefix: str, receiver: Receiver
) -> None:
    slow_org, dead_org, fast_org = unique("slow"), unique("dead"), unique("fast")
    await register(client, slow_org, receiver.url + "/slow", "0123456789abcdef")
    dead = await register(client, dead_org, receiver.url + "/dead", "0123456789abcdef")
    await register(client, fast_org, receiver.url + "/ok", "0123456789abcdef")
    need = str(uuid.uuid4())
    alerts = [event_of(alert_payload(o, need)) for o in (slow_org, dead_org)]
    await publish(bootstrap(), f"{prefix}.alerts", alerts)
    await asyncio.sleep(0.5)  # the slow receiver is now holding its delivery
    started = time.monotonic()
    fast = event_of(alert_payload(fast_org, need))
    await publish(bootstrap(), f"{prefix}.alerts", [fast])

    async def fast_done() -> bool:
        return any(r.headers.get("x-marketplace-event-id") == fast.id for r in receiver.to("/ok"))

    await eventually(fast_done, timeout=10)
    assert time.monotonic() - started < 3.5, "a slow receiver delayed another supplier"

    async def paused() -> bool:
        hooks = (await client.get("/v1/webhooks", headers=auth(dead_org))).json()["items"]
        return bool(hooks[0]["status"] == "paused")

    await eventually(paused, timeout=30)
    deliveries = (
        await client.get(f"/v1/webhooks/{dead['id']}/deliveries", headers=auth(dead_org))
    ).json()["items"]
    assert deliveries[0]["status"] == "failed"
    assert [a["status_code"] for a in deliveries[0]["attempts"]] == [500, 500, 500]

    # The inbox entry is written after the pause (`Delivery._pause`): it may follow the
    # status by a moment.
    async def told() -> bool:
        inbox = (await client.get("/v1/inbox", headers=auth(dead_org))).json()["items"]
        return {i["kind"] for i in inbox} == {"alert.raised", "webhook.paused"}

    await eventually(told, timeout=10)
    assert (
        len(
            [
                r
                for r in receiver.to("/dead")
                if r.headers.get("x-marketplace-event-id") == alerts[1].id
            ]
        )
        == 3
    )

    resumed = await client.post(f"/v1/webhooks/{dead['id']}/resume", headers=auth(dead_org))
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    again = await client.post(f"/v1/webhooks/{dead['id']}/resume", headers=auth(dead_org))
    assert again.status_code == 409


async def test_target_is_checked_again_at_delivery_time(
    client: httpx.AsyncClient, prefix: str, mongo_client: Any
) -> None:
    """A webhook whose address became private (DNS changed after registration) gets no
    request: each attempt is recorded as refused, then the webhook is paused."""
    org = unique("rebound")
    db = mongo_client[f"{prefix}_suppliers".replace(".", "_")]
    hook_id = str(uuid.uuid4())
    # Stored as registered earlier (through the repository, so that its supplier's
    # document references it), bypassing the check of the address made at registration.
    await MongoWebhooks(db).add(
        {
            "_id": hook_id,
            "supplier_org": org,
            "url": "http://192.168.77.1:9/hook",
            "secret": "0123456789abcdef",
            "status": "active",
            "consecutive_failures": 0,
            "pause_count": 0,
            "created_at": datetime.now(UTC),
        }
    )
    await publish(
        bootstrap(), f"{prefix}.alerts", [event_of(alert_payload(org, str(uuid.uuid4())))]
    )

    async def paused() -> bool:
        doc = await db["webhooks"].find_one({"_id": hook_id})
        return bool(doc and doc["status"] == "paused")

    await eventually(paused)
    delivery = (await client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=auth(org))).json()[
        "items"
    ][0]
    assert delivery["status"] == "failed"
    assert all(
        a["status_code"] is None and a["error"].startswith("refused target")
        for a in delivery["attempts"]
    )
