from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from marketplace_contracts.events import CloudEvent, NeedPublished, envelope
from marketplace_platform.settings import ServiceSettings


def probe_settings(kafka: str, mongo: str, prefix: str) -> ServiceSettings:
    return ServiceSettings(
        service_name="probe",
        kafka_bootstrap_servers=kafka,
        mongodb_url=mongo,
        topic_prefix=prefix,
        database_name=prefix.replace("-", "_"),
        topic_partitions=2,
        outbox_grace_s=0.5,
        outbox_sweep_interval_s=0.3,
        environment="test",
    )


async def produce(kafka: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_all(kafka: str, topic: str, expected: int, timeout: float = 30) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for items in batch.values():
                records.extend(items)
        # a little longer, to catch records that should not be there
        batch = await consumer.getmany(timeout_ms=1000)
        for items in batch.values():
            records.extend(items)
    finally:
        await consumer.stop()
    return records


async def eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def need_event(need_id: str, version: int) -> CloudEvent:
    payload = NeedPublished(
        need_id=need_id,
        version=version,
        buyer_org="hammaro",
        title=f"Digital medborgarportal v{version}",
        problem="Invånare i Hammarö vill sköta sina ärenden på ett ställe",
        cpv_codes=["72000000"],
        municipality_code="1782",
        phase="validation",
    )
    return envelope(payload, source="/test")
