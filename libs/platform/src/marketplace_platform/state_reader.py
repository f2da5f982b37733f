"""Rebuilds an in-memory read model from Kafka alone (matching's index, the needs list).

Every instance reads the whole of the topics it is given (all partitions, outside any
consumer group, from the beginning): solutions and subscriptions are compacted state, needs
and adoptions are kept without time limit. Once the reader has reached the end offsets it saw
at start, the instance is *caught up* and may answer from its model; afterwards it keeps
tailing, so every instance holds the whole model and sees the writes of every other one.

Tailing lags a little behind the broker, which matters when two instances work on two
related records at once (one a need, the other a solution that fits it): each must see the
other's record, or neither pairs them. `catch_up_with(topics)` closes that window: it waits
until the model holds every record of those topics written before the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from marketplace_contracts.events import CloudEvent

log = logging.getLogger(__name__)

Apply = Callable[[CloudEvent], Awaitable[None]]


class KafkaStateReader:
    def __init__(
        self, bootstrap: str, topics: list[str], apply: Apply, name: str = "state-reader"
    ) -> None:
        self.name = name
        self.bootstrap = bootstrap
        self.topics = topics
        self.apply = apply
        self.caught_up = asyncio.Event()
        self.records = 0
        self.skipped = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._targets: dict[TopicPartition, int] = {}
        # Where the model stands: every record below these offsets has been applied.
        self._applied: dict[TopicPartition, int] = {}
        self._progress = asyncio.Condition()

    async def start(self, timeout: float = 120) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        self._consumer = consumer
        partitions = await self._partitions()
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        self._targets = {tp: off for tp, off in ends.items() if off > 0}
        self._task = asyncio.create_task(self._run(), name=self.name)
        if not self._targets:
            self.caught_up.set()
        await asyncio.wait_for(self.caught_up.wait(), timeout)
        log.info("read model rebuilt from Kafka", extra={"records": self.records})

    async def _partitions(self) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(self.topics)
        finally:
            await admin.close()
        return sorted(
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        )

    async def _run(self) -> None:
        assert self._consumer is not None
        consumer = self._consumer
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=200, max_records=500)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker outage: keep trying
                log.warning("state reader fetch failed: %s", exc)
                await asyncio.sleep(1)
                continue
            for records in batches.values():
                for record in records:
                    await self._apply_record(record.value)
            await self._note_progress()
            if not self.caught_up.is_set() and self._reached(self._targets):
                self.caught_up.set()

    async def _note_progress(self) -> None:
        assert self._consumer is not None
        for tp in self._consumer.assignment():
            self._applied[tp] = await self._position(tp)
        async with self._progress:
            self._progress.notify_all()

    def _reached(self, targets: dict[TopicPartition, int]) -> bool:
        return all(self._applied.get(tp, 0) >= end for tp, end in targets.items())

    async def catch_up_with(self, topics: Collection[str], timeout: float = 30) -> None:
        """Returns once every record of `topics` acknowledged before this call is in the
        model; a TimeoutError (an outage: the caller retries) if not within `timeout`."""
        assert self._consumer is not None, "the reader has not started"
        wanted = [tp for tp in self._consumer.assignment() if tp.topic in topics]
        ends = await self._consumer.end_offsets(wanted)
        targets = {tp: end for tp, end in ends.items() if end > 0}
        if self._reached(targets):
            return
        async with self._progress:
            await asyncio.wait_for(self._progress.wait_for(lambda: self._reached(targets)), timeout)

    async def _position(self, tp: TopicPartition) -> int:
        assert self._consumer is not None
        return int(await self._consumer.position(tp))

    async def _apply_record(self, value: bytes | None) -> None:
        self.records += 1
        if value is None:
            return  # a compaction tombstone
        try:
            event = CloudEvent.model_validate_json(value)
            await self.apply(event)
        except (ValidationError, ValueError) as exc:
            # The group subscriber sends the same record to the dead-letter topic.
            self.skipped += 1
            log.warning("state reader skipped a record: %s", exc)

    async def lag(self) -> int:
        if self._consumer is None:
            return 0
        assignment = list(self._consumer.assignment())
        if not assignment:
            return 0
        ends = await self._consumer.end_offsets(assignment)
        total = 0
        for tp in assignment:
            total += max(0, ends[tp] - await self._consumer.position(tp))
        return total

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
