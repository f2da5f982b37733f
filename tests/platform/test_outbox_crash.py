"""A process killed between the document write and the publish still gets its event out."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from marketplace_contracts.events import CloudEvent, NeedPublished
from marketplace_platform.outbox import save
from marketplace_platform.runtime import ServiceRuntime, subscribe
from tests.platform.helpers import eventually, need_event, probe_settings, read_all
from tests.support.infra import ROOT

pytestmark = pytest.mark.infra


async def test_sigkill_after_the_write_then_the_sweeper_publishes_once(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    runtime = ServiceRuntime(settings, outbox_collections=["needs"])
    # Topics exist before the writer runs; its crash leaves the event only in the database.
    from marketplace_platform.kafka import ensure_topics

    await ensure_topics(settings)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.platform.outbox_writer",
            kafka_bootstrap,
            mongodb_url,
            topic_prefix,
            "need-crash-1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert writer.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(writer.stdout.readline), 60)
    assert line.startswith(b"WRITTEN"), line
    event_id = line.split()[1].decode()
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)

    stored = await runtime.db["needs"].find_one({"_id": "need-crash-1"})
    assert stored is not None and [e["id"] for e in stored["outbox"]] == [event_id]
    assert await read_all(kafka_bootstrap, runtime.topics.needs, expected=1, timeout=2) == []

    effects: list[str] = []

    async def on_need(payload: NeedPublished, event: CloudEvent) -> None:
        effects.append(event.id)

    dispatcher = runtime.dispatcher("probe-consumer")
    dispatcher.on(NeedPublished, on_need)
    subscribe(runtime, "needs", dispatcher)
    await runtime.start()  # starts the relay's sweeper
    try:
        await eventually(lambda: effects == [event_id])
        # The crash could also have come after the publish and before the removal: the
        # same event published again has no second effect.
        await runtime.publisher.publish(
            "needs", CloudEvent.model_validate(stored["outbox"][0]["event"])
        )
        await eventually(lambda: dispatcher.duplicates == 1)
        after = await runtime.db["needs"].find_one({"_id": "need-crash-1"})
        assert after is not None and after["outbox"] == []
    finally:
        await runtime.stop()
    assert effects == [event_id]
    on_topic = await read_all(kafka_bootstrap, runtime.topics.needs, expected=2)
    assert [CloudEvent.model_validate_json(r.value).id for r in on_topic] == [event_id] * 2


async def test_a_publish_that_failed_is_retried_by_id_without_waiting_for_a_full_sweep(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    """The full sweep reads every aggregate on FerretDB 1.x, so it is rare; what this
    process failed to publish (its producer was down) goes out at the next interval."""
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    settings.outbox_full_sweep_s = 3600  # only the sweep at start, when nothing is pending
    runtime = ServiceRuntime(settings, outbox_collections=["needs"])
    await runtime.start()
    try:
        collection = runtime.db["needs"]
        await save(collection, {"_id": "need-deferred", "title": "v1"}, [], None)
        await runtime.broker.stop()  # the producer is gone, as in a broker outage
        event = need_event("need-deferred", 2)
        await save(collection, {"_id": "need-deferred", "title": "v2"}, [("needs", event)], 1)
        assert await runtime.relay.publish_pending("needs", "need-deferred") == 0
        await runtime.broker.start()

        for _ in range(100):
            doc = await collection.find_one({"_id": "need-deferred"})
            if doc is not None and doc["outbox"] == []:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the deferred event is still pending")
    finally:
        await runtime.stop()
    on_topic = await read_all(kafka_bootstrap, runtime.topics.needs, expected=1)
    assert [CloudEvent.model_validate_json(r.value).id for r in on_topic] == [event.id]
