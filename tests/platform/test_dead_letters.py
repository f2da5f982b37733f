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
