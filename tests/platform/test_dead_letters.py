"""Poison messages reach the dead-letter topic with their reason; the partition moves on."""

from __future__ import annotations

import json

import pytest

from marketplace_contracts.events import NeedPublished, envelope
from marketplace_platform.runtime import ServiceRuntime, subscribe
from tests.platform.helpers import eventually, probe_settings, produce, read_all

pytestmark = pytest.mark.infra


def need(need_id: str) -> NeedPublished:
    return NeedPublished(
        need_id=need_id,
        version=1,
        buyer_org="karlstad",
        title="Digital ledsagning",
        problem="Personer med funktionsnedsättning vill röra sig fritt",
        cpv_codes=["85311200"],
        municipality_code="1780",
        phase="validation",
    )


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_stream_goes_on(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    runtime = ServiceRuntime(settings)
    handled: list[str] = []

    async def on_need(payload: NeedPublished, _event: object) -> None:
        handled.append(payload.need_id)

    dispatcher = runtime.dispatcher("probe")
    dispatcher.on(NeedPublished, on_need)
    subscribe(runtime, "needs", dispatcher)

    good = envelope(need("n-good"), source="/test").model_dump_json().encode()
    unknown = json.loads(good) | {"type": "need.teleported.v1", "id": "e-unknown"}
    invalid = json.loads(good)
    invalid["id"] = "e-invalid"
    invalid["data"]["version"] = 0
    key = b"same-key"  # one partition: the good message waits behind the poison ones
    await runtime.start()
    try:
        await produce(
            kafka_bootstrap,
            runtime.topics.needs,
            [
                (key, b"{not json"),
                (key, json.dumps(unknown).encode()),
                (key, json.dumps(invalid).encode()),
                (key, good),
                (key, good),  # a redelivery of the same event: no second effect
            ],
        )
        await eventually(lambda: dispatcher.duplicates == 1)
    finally:
        await runtime.stop()

    assert handled == ["n-good"]
    dead = await read_all(kafka_bootstrap, runtime.topics.dead_letter("needs"), expected=3)
    assert len(dead) == 3
    # Each dead letter is keyed by its own record's place, so they spread over the
    # dead-letter topic's partitions: put them back in the order they were consumed.
    dead.sort(key=lambda r: int(dict(r.headers)["dlq_offset"]))
    reasons = [dict(r.headers)["dlq_reason"].decode() for r in dead]
    assert "JSON" in reasons[0] or "json" in reasons[0]
    assert "need.teleported.v1" in reasons[1]
    assert "version" in reasons[2]
    for record in dead:
        headers = dict(record.headers)
        assert headers["dlq_source_topic"].decode() == runtime.topics.needs
        assert headers["dlq_offset"].decode().isdigit()
        assert headers["dlq_consumer"].decode() == "probe"
    assert dead[0].value == b"{not json"


async def test_an_unexpected_error_is_retried_then_dead_lettered_and_a_passing_one_loses_nothing(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    """A bug or a lost race is not known to be the message's fault: a few attempts first."""
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    runtime = ServiceRuntime(settings)
    attempts: dict[str, int] = {}
    handled: list[str] = []

    async def on_need(payload: NeedPublished, _event: object) -> None:
        attempts[payload.need_id] = attempts.get(payload.need_id, 0) + 1
        if payload.need_id == "n-flaky" and attempts["n-flaky"] <= 2:
            raise KeyError("nModified")  # what pymongo raised on a lost bulk upsert race
        if payload.need_id == "n-broken":
            raise RuntimeError("a bug that never goes away")
        handled.append(payload.need_id)

    dispatcher = runtime.dispatcher("probe", record_processed=False)
    dispatcher.on(NeedPublished, on_need)
    subscribe(runtime, "needs", dispatcher)
    key = b"one-partition"
    records = [
        (key, envelope(need(n), source="/test").model_dump_json().encode())
        for n in ("n-flaky", "n-broken", "n-after")
    ]
    await runtime.start()
    try:
        await produce(kafka_bootstrap, runtime.topics.needs, records)
        await eventually(lambda: "n-after" in handled, timeout=60)
    finally:
        await runtime.stop()

    assert handled == ["n-flaky", "n-after"]
    assert attempts == {"n-flaky": 3, "n-broken": 4, "n-after": 1}
    dead = await read_all(kafka_bootstrap, runtime.topics.dead_letter("needs"), expected=1)
    assert len(dead) == 1
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert headers["dlq_error_type"] == "RuntimeError"
    assert "a bug that never goes away" in headers["dlq_reason"]
    assert headers["dlq_offset"] == "1"


async def test_a_batch_subscriber_dead_letters_poison_alone_and_falls_back_to_one_by_one(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    """In a batch, poison records go to the DLQ by themselves; a batch that fails with an
    unexpected error is handled event by event, so only the bad event is dead-lettered."""
    from marketplace_platform.runtime import BatchItem, subscribe_batch

    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    runtime = ServiceRuntime(settings)
    batches: list[list[str]] = []
    one_by_one: list[str] = []
    handled: list[str] = []

    async def on_batch(items: list[BatchItem]) -> None:
        ids = [item.payload.need_id for item in items]  # type: ignore[attr-defined]
        batches.append(ids)
        if "n-bug" in ids:
            raise RuntimeError("this batch has a bad event")
        handled.extend(ids)

    async def on_need(payload: NeedPublished, _event: object) -> None:
        if payload.need_id == "n-bug":
            raise RuntimeError("the bad event")
        one_by_one.append(payload.need_id)
        handled.append(payload.need_id)

    dispatcher = runtime.dispatcher("probe", record_processed=False)
    dispatcher.on(NeedPublished, on_need)
    subscribe_batch(runtime, "needs", dispatcher, on_batch)
    key = b"one-partition"

    def good(need_id: str) -> bytes:
        return envelope(need(need_id), source="/test").model_dump_json().encode()

    await runtime.start()
    try:
        await produce(
            kafka_bootstrap,
            runtime.topics.needs,
            [(key, good("n-1")), (key, b"{not json"), (key, good("n-2"))],
        )
        await eventually(lambda: "n-2" in handled)
        await produce(
            kafka_bootstrap,
            runtime.topics.needs,
            [(key, good("n-3")), (key, good("n-bug")), (key, good("n-4"))],
        )
        await eventually(lambda: "n-4" in handled, timeout=60)
    finally:
        await runtime.stop()

    assert handled == ["n-1", "n-2", "n-3", "n-4"]
    # The batch holding the bad event failed; its good events were handled one by one.
    failed = next(b for b in batches if "n-bug" in b)
    assert [i for i in failed if i != "n-bug"] == [i for i in one_by_one if i in failed]
    dead = await read_all(kafka_bootstrap, runtime.topics.dead_letter("needs"), expected=2)
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert len(dead) == 2, reasons
    assert any(r.startswith("not valid JSON") for r in reasons), reasons
    assert "RuntimeError: the bad event" in reasons, reasons


async def test_a_poison_record_met_twice_leaves_one_dead_letter_to_read(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    # A redelivery (a restart before the offset was committed, a rebalance) meets the same
    # poison record again: its dead letter has the same key, on a compacted topic, and the
    # CLI's `events tail <topic>.dlq` shows it once.
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    from marketplace_platform.consumers import DeadLetters
    from marketplace_tools.cli.operations import tail

    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    runtime = ServiceRuntime(settings)
    await runtime.start()
    try:
        poison = type(
            "Record",
            (),
            {
                "topic": runtime.topics.needs,
                "partition": 0,
                "offset": 7,
                "key": b"k",
                "value": b"{not json",
                "headers": [],
            },
        )()
        letters = DeadLetters("probe")
        for _ in range(3):
            await letters.send(runtime.broker, poison, "not JSON", ValueError("not JSON"))
        other = type(poison)()
        other.__dict__.update(vars(poison) | {"offset": 8})
        await letters.send(runtime.broker, other, "not JSON", None)
    finally:
        await runtime.stop()

    dlq = runtime.topics.dead_letter("needs")
    dead = await read_all(kafka_bootstrap, dlq, expected=4)
    assert {r.key for r in dead} == {
        f"{runtime.topics.needs}/0/7/probe".encode(),
        f"{runtime.topics.needs}/0/8/probe".encode(),
    }
    assert all(dict(r.headers)["dlq_original_key"] == b"k" for r in dead)
    shown = await tail(
        dlq, kafka_bootstrap, from_beginning=True, limit=None, idle_timeout=3.0, as_json=True
    )
    assert shown == 2

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, dlq)])
        configs = {c[0]: c[1] for c in described.resources[0][4]}
    finally:
        await admin.close()
    assert configs["cleanup.policy"] == "compact"
