"""FastStream's Kafka broker over the real local Kafka: groups, commits, redelivery."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from tests.support.infra import unique

pytestmark = pytest.mark.infra


async def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def committed_offset(bootstrap: str, group: str, topic: str) -> int | None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()


async def wait_until(predicate, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_consumer_group_commits_only_after_the_handler_succeeded(
    kafka_bootstrap: str,
) -> None:
    topic, group = unique("commit"), unique("group")
    await create_topic(kafka_bootstrap, topic)
    broker = KafkaBroker(kafka_bootstrap, acks="all", enable_idempotence=True)
    release = asyncio.Event()
    seen: list[str] = []

    @broker.subscriber(
        topic, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def handle(body: str) -> None:
        seen.append(body)
        await release.wait()

    async with broker:
        await broker.start()
        await broker.publish("first", topic=topic)
        await wait_until(lambda: seen == ["first"])
        # The handler is still working: nothing may be committed yet.
        assert await committed_offset(kafka_bootstrap, group, topic) in (None, -1)
        release.set()
        await broker.publish("second", topic=topic)
        await wait_until(lambda: len(seen) == 2)
        await asyncio.sleep(0.5)
    # Both handled: the group's committed position is past both records.
    assert await committed_offset(kafka_bootstrap, group, topic) == 2


async def test_a_failed_handler_gets_the_message_again(kafka_bootstrap: str) -> None:
    topic, group = unique("redeliver"), unique("group")
    await create_topic(kafka_bootstrap, topic)
    broker = KafkaBroker(kafka_bootstrap, acks="all", enable_idempotence=True)
    attempts: list[str] = []

    @broker.subscriber(
        topic, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def handle(body: str) -> None:
        attempts.append(body)
        if attempts.count(body) == 1 and body == "flaky":
            raise RuntimeError("first attempt fails")

    async with broker:
        await broker.start()
        await broker.publish("flaky", topic=topic)
        await broker.publish("after", topic=topic)
        await wait_until(lambda: "after" in attempts)
        await asyncio.sleep(0.5)
    assert attempts.count("flaky") == 2, attempts
    assert attempts.index("after") > attempts.index("flaky")
    assert await committed_offset(kafka_bootstrap, group, topic) == 2


async def test_a_second_group_member_shares_the_partitions(kafka_bootstrap: str) -> None:
    topic, group = unique("group-split"), unique("group")
    await create_topic(kafka_bootstrap, topic, partitions=4)
    received: dict[str, list[str]] = {"a": [], "b": []}

    def member_broker(member: str) -> KafkaBroker:
        broker = KafkaBroker(kafka_bootstrap)

        @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest")
        async def handle(body: str) -> None:
            received[member].append(body)

        return broker

    brokers = [member_broker("a"), member_broker("b")]
    for broker in brokers:
        await broker.start()
    try:
        # Both members must be in the group before publishing, so both get partitions.
        await asyncio.sleep(4)
        for i in range(40):
            await brokers[0].publish(f"m{i}", topic=topic, key=f"k{i}".encode())
        await wait_until(lambda: len(received["a"]) + len(received["b"]) == 40)
    finally:
        for broker in brokers:
            await broker.stop()
    assert sorted(received["a"] + received["b"]) == sorted(f"m{i}" for i in range(40))
    assert received["a"] and received["b"], "both members should have had partitions"
