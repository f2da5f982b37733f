"""The relay finds pending events by their markers: no sweep reads every aggregate (which
decodes the whole collection on FerretDB 1.x), and no marker outlives its events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from marketplace_contracts.events import CloudEvent
from marketplace_platform.kafka import ensure_topics
from marketplace_platform.outbox import PENDING, OutboxRelay, outbox_entry, save
from marketplace_platform.runtime import ServiceRuntime
from tests.platform.helpers import need_event, probe_settings, read_all

pytestmark = pytest.mark.infra


class Reads(monitoring.CommandListener):
    """The filters of the `find` commands sent to one collection."""

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == self.collection:
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_the_sweep_publishes_by_marker_and_scans_the_aggregates_only_once(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    await ensure_topics(settings)
    runtime = ServiceRuntime(settings, outbox_collections=["needs"])
    reads = Reads("needs")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongodb_url, event_listeners=[reads], tz_aware=True
    )
    db = client[settings.database_name]
    needs = db["needs"]
    # Aggregates as stored before markers existed: one with an event still in its outbox.
    legacy = need_event("need-legacy", 1)
    await needs.insert_many(
        [{"_id": f"need-{i}", "rev": 1, "outbox": []} for i in range(30)]
        + [{"_id": "need-legacy", "rev": 1, "outbox": [outbox_entry("needs", legacy)]}]
    )
    relay = OutboxRelay(db, runtime.publisher, ["needs"], grace_s=0.2)
    await runtime.broker.start()
    try:
        assert await relay.sweep_once() == 1  # the first start marks and publishes it
        assert await db[PENDING].count_documents({}) == 0

        # A write whose process dies before its publish: marked, found by the next sweep.
        crashed = need_event("need-crashed", 1)
        await save(needs, {"_id": "need-crashed"}, [("needs", crashed)], None)
        assert [m["_id"] for m in await db[PENDING].find({}).to_list()] == ["needs/need-crashed"]
        assert await relay.pending_count() == 1
        reads.filters.clear()
        await asyncio.sleep(0.3)  # past the grace period
        assert await relay.sweep_once() == 1
        assert await relay.sweep_once() == 0
        assert reads.filters and all(list(f) == ["_id"] for f in reads.filters), reads.filters
        assert await relay.pending_count() == 0
        assert await db[PENDING].count_documents({}) == 0
        stored = await needs.find_one({"_id": "need-crashed"})
        assert stored is not None and stored["outbox"] == []
    finally:
        await runtime.broker.stop()
        await client.close()
    on_topic = await read_all(kafka_bootstrap, runtime.topics.needs, expected=2)
    assert sorted(CloudEvent.model_validate_json(r.value).id for r in on_topic) == sorted(
        [legacy.id, crashed.id]
    )


async def test_a_publish_keeps_the_marker_while_a_later_event_is_pending(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    await ensure_topics(settings)
    runtime = ServiceRuntime(settings, outbox_collections=["needs"])
    needs, markers = runtime.db["needs"], runtime.db[PENDING]
    await runtime.broker.start()
    try:
        await save(needs, {"_id": "need-1"}, [("needs", need_event("need-1", 1))], None)
        await runtime.broker.stop()  # an outage: the hot path cannot publish
        assert await runtime.relay.publish_pending("needs", "need-1") == 0
        assert await markers.count_documents({}) == 1
        await runtime.broker.start()
        await save(needs, {"_id": "need-1"}, [("needs", need_event("need-1", 2))], 1)
        assert await runtime.relay.publish_pending("needs", "need-1") == 2
        assert await markers.count_documents({}) == 0
        await save(needs, {"_id": "need-1"}, [], 2)  # a write without events marks nothing
        assert await markers.count_documents({}) == 0
    finally:
        await runtime.broker.stop()
    assert len(await read_all(kafka_bootstrap, runtime.topics.needs, expected=2)) == 2


async def test_a_write_left_in_its_grace_at_a_start_is_published_when_the_grace_ends(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    """A process killed just after a write leaves a marker younger than the grace period;
    the relay of the process started in its place skips it at its first sweep and must
    take it once the grace ends, not only at the next full sweep (an hour here)."""
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    await ensure_topics(settings)
    runtime = ServiceRuntime(settings, outbox_collections=["needs"])
    needs = runtime.db["needs"]
    orphan = need_event("need-orphan", 1)
    relay = OutboxRelay(
        runtime.db, runtime.publisher, ["needs"], grace_s=2.0, interval_s=0.1, full_sweep_s=3600
    )
    await runtime.broker.start()
    await relay.sweep_once()  # the one-off marking of older outboxes, out of the way
    await save(needs, {"_id": "need-orphan"}, [("needs", orphan)], None)  # never published
    try:
        assert await relay.sweep_once() == 0  # in its grace: left to a hot path
        relay.start()  # whose first sweep, at once, leaves it too
        for _ in range(100):  # 10 s at most: far past the grace, far before a full sweep
            if relay.published:
                break
            await asyncio.sleep(0.1)
        assert relay.published == 1
        assert await runtime.db[PENDING].count_documents({}) == 0
    finally:
        await relay.stop()
        await runtime.broker.stop()
    on_topic = await read_all(kafka_bootstrap, runtime.topics.needs, expected=1)
    assert [CloudEvent.model_validate_json(r.value).id for r in on_topic] == [orphan.id]
