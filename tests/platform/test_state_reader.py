"""The tailing read model on real Kafka: `catch_up_with` waits for what was written before.

Two matching instances each rank against their own read model; the model tails Kafka and
lags behind it. These tests make the lag long (every record takes 40 ms to apply) and check
that `catch_up_with` returns only once the model holds every record acknowledged before the
call, and only waits for the topics it is asked about.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from marketplace_contracts import events as ev
from marketplace_contracts.events import CloudEvent, envelope
from marketplace_contracts.topics import Topics
from marketplace_platform.kafka import ensure_topics
from marketplace_platform.state_reader import KafkaStateReader
from tests.platform.helpers import probe_settings, produce

pytestmark = pytest.mark.infra

SLOW_APPLY_S = 0.04


def solution(i: int) -> bytes:
    payload = ev.SolutionPublished(
        solution_id=f"s{i}",
        version=1,
        supplier_org="supplier-1",
        name=f"Lösning {i}",
        description="Schemaläggning av hemtjänst",
        cpv_codes=["48000000"],
        regions=["SE"],
        maturity="pilot",
    )
    return envelope(payload, source="/tests", event_id=f"e{i}").model_dump_json().encode()


def need(i: int) -> bytes:
    payload = ev.NeedPublished(
        need_id=f"n{i}",
        version=1,
        buyer_org="buyer-1",
        title=f"Planering {i}",
        problem="Hemtjänstens scheman läggs för hand",
        cpv_codes=["48000000"],
        municipality_code="1780",
        phase="hypothesis",
        published_at=datetime.now(UTC),
    )
    return envelope(payload, source="/tests", event_id=f"n{i}").model_dump_json().encode()


async def started_reader(
    kafka: str, mongodb_url: str, prefix: str
) -> tuple[KafkaStateReader, Topics, list[str]]:
    settings = probe_settings(kafka, mongodb_url, prefix)
    topics = Topics(prefix)
    await ensure_topics(settings, topics)
    applied: list[str] = []

    async def slow_apply(event: CloudEvent) -> None:
        await asyncio.sleep(SLOW_APPLY_S)
        applied.append(event.id)

    reader = KafkaStateReader(kafka, [topics.needs, topics.solutions], slow_apply)
    await reader.start()
    return reader, topics, applied


async def test_catch_up_returns_once_every_earlier_record_is_applied(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    reader, topics, applied = await started_reader(kafka_bootstrap, mongodb_url, topic_prefix)
    try:
        await produce(
            kafka_bootstrap, topics.solutions, [(f"s{i}".encode(), solution(i)) for i in range(12)]
        )
        # The reader needs about 12 x 40 ms for these: right after the acks it is behind.
        behind = len(applied)
        await reader.catch_up_with({topics.solutions})
        assert behind < 12, "the reader was not behind; the test would prove nothing"
        assert sorted(applied) == sorted(f"e{i}" for i in range(12))
    finally:
        await reader.stop()


async def test_catch_up_waits_only_for_the_topics_asked_about(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    reader, topics, applied = await started_reader(kafka_bootstrap, mongodb_url, topic_prefix)
    try:
        await produce(
            kafka_bootstrap, topics.needs, [(f"n{i}".encode(), need(i)) for i in range(25)]
        )
        # Nothing was written to solutions: there is nothing to wait for, however far behind
        # the needs are (25 x 40 ms = 1 s of applying).
        await asyncio.wait_for(reader.catch_up_with({topics.solutions}), timeout=0.5)
        assert len(applied) < 25
        await reader.catch_up_with({topics.needs})
        assert len(applied) == 25
    finally:
        await reader.stop()
