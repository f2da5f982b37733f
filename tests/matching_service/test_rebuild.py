"""A fresh matching instance with an empty database rebuilds the same index from Kafka."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from marketplace_contracts import events as ev
from marketplace_platform.kafka import ensure_topics
from marketplace_platform.settings import ServiceSettings
from tests.support.infra import start_service, wait_healthy

pytestmark = pytest.mark.infra


def records(n: int) -> list[tuple[str, ev.Payload]]:
    out: list[tuple[str, ev.Payload]] = []
    for i in range(n):
        out.append(
            (
                "solutions",
                ev.SolutionPublished(
                    solution_id=f"s{i}",
                    version=1,
                    supplier_org=f"supplier-{i % 3}",
                    name=f"Lösning {i} för hemtjänstplanering",
                    description=f"Schemaläggning av hemtjänst och vårdpersonal, variant {i}",
                    cpv_codes=["48000000"],
                    regions=["SE"],
                    maturity="pilot",
                ),
            )
        )
        out.append(
            (
                "needs",
                ev.NeedPublished(
                    need_id=f"n{i}",
                    version=1,
                    buyer_org=f"buyer-{i}",
                    title=f"Planering {i}",
                    problem="Hemtjänstens scheman läggs för hand",
                    cpv_codes=["48000000"],
                    municipality_code="1780",
                    phase="hypothesis",
                ),
            )
        )
    # later versions, a retirement, a phase change and a subscription: order matters
    out.append(
        (
            "solutions",
            ev.SolutionUpdated(
                solution_id="s0",
                version=2,
                supplier_org="supplier-0",
                name="Lösning 0, ny version",
                description="Schemaläggning av hemtjänst",
                cpv_codes=["48000000"],
                regions=["17"],
                maturity="market-ready",
            ),
        )
    )
    out.append(
        ("solutions", ev.SolutionRetired(solution_id="s1", version=2, supplier_org="supplier-1"))
    )
    out.append(
        (
            "needs",
            ev.NeedPhaseChanged(
                need_id="n2",
                version=2,
                buyer_org="buyer-2",
                from_phase="hypothesis",
                to_phase="validation",
                changed_by="buyer-2:buyer",
            ),
        )
    )
    out.append(
        (
            "subscriptions",
            ev.SubscriptionUpserted(
                subscription_id="sub-1", version=1, supplier_org="supplier-0", cpv_prefixes=["48"]
            ),
        )
    )
    out.append(
        (
            "adoptions",
            ev.AdoptionRecorded(
                adoption_id="a-1",
                solution_id="s2",
                buyer_org="buyer-2",
                kind="adoption",
                recorded_at=datetime.now(UTC),
            ),
        )
    )
    return out


async def stats(handle: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        return dict((await client.get(handle.url + "/v1/stats")).json())


async def test_a_fresh_instance_with_an_empty_database_reaches_the_same_index(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str
) -> None:
    await ensure_topics(
        ServiceSettings(
            kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix, topic_partitions=3
        )
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for topic, payload in records(12):
            event = ev.envelope(payload, source="/tests")
            await producer.send_and_wait(
                f"{topic_prefix}.{topic}",
                event.model_dump_json().encode(),
                key=payload.partition_key().encode(),
            )
    finally:
        await producer.stop()

    first = start_service(
        "matching", tmp_path, topic_prefix=topic_prefix, database_name=f"{topic_prefix}_matching_a"
    )
    try:
        await wait_healthy(first)
        deadline = asyncio.get_running_loop().time() + 60
        while (await stats(first))["index"]["solutions"] != 11:
            assert asyncio.get_running_loop().time() < deadline, await stats(first)
            await asyncio.sleep(0.3)
        # A second, fresh instance: its own empty database, the same topics.
        second = start_service(
            "matching",
            tmp_path,
            topic_prefix=topic_prefix,
            database_name=f"{topic_prefix}_matching_b",
        )
        try:
            await wait_healthy(second)
            a, b = await stats(first), await stats(second)
        finally:
            second.process.stop()
    finally:
        first.process.stop()
    assert (
        a["index"]
        == b["index"]
        == {"solutions": 11, "needs": 12, "subscriptions": 1, "adopted_solutions": 1}
    )
    assert a["fingerprints"] == b["fingerprints"]
    assert b["read_model"]["caught_up"] is True
