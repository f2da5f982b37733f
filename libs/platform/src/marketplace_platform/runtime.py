"""What every service runs: its database, its broker, the outbox relay and dead letters.

A service's `bootstrap` builds one `ServiceRuntime`, registers its subscribers on
`runtime.broker`, and hands the runtime to the HTTP app, whose lifespan starts and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from faststream import AckPolicy, StreamMessage
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_contracts.events import CloudEvent, Payload
from marketplace_contracts.topics import Topics

from .consumers import (
    MESSAGE_ERRORS,
    DeadLetters,
    EventDispatcher,
    ProcessedEvents,
    dead_letter_middleware,
    is_transient,
    poison_reason,
)
from .kafka import EventPublisher, create_broker, ensure_topics
from .mongo import create_client, filters_and_updates_are_atomic, ping
from .observability import Observability
from .outbox import OutboxRelay
from .settings import ServiceSettings
from .writer_lease import SecondWriter, WriterLease

log = logging.getLogger(__name__)
Document = dict[str, Any]


class ServiceRuntime:
    def __init__(
        self,
        settings: ServiceSettings,
        outbox_collections: Sequence[str] = (),
        *,
        single_writer: bool = False,
    ) -> None:
        """`single_writer`: this service's writes are safe from one instance only where the
        database's updates are not atomic (FerretDB 1.x); see `writer_lease`."""
        self.settings = settings
        self.topics = Topics(settings.topic_prefix)
        self.client: AsyncMongoClient[Document] = create_client(settings)
        self.db: AsyncDatabase[Document] = self.client[settings.database_name]
        self.consumer_name = settings.service_name
        # Wired one way: the dead-letter middleware (innermost, after observability's) is
        # given to the broker, and publishes through the broker in each message's context.
        self.observability = Observability(settings.service_name)
        self.dead_letters = DeadLetters(self.consumer_name)
        self.broker: KafkaBroker = create_broker(
            settings,
            middlewares=[
                *self.observability.broker_middlewares(),
                dead_letter_middleware(self.dead_letters),
            ],
        )
        self.publisher = EventPublisher(self.broker, self.topics)
        self.processed = ProcessedEvents(self.db, timedelta(days=settings.processed_retention_days))
        self.relay = OutboxRelay(
            self.db,
            self.publisher,
            outbox_collections,
            grace_s=settings.outbox_grace_s,
            interval_s=settings.outbox_sweep_interval_s,
            full_sweep_s=settings.outbox_full_sweep_s,
        )
        self.lease = (
            WriterLease(
                self.db,
                service=settings.service_name,
                instance=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            )
            if single_writer
            else None
        )
        self.started_at = time.monotonic()
        self._purge_task: asyncio.Task[None] | None = None
        self.kafka_started = False
        # Run after the topics exist and before the subscribers start (e.g. rebuild state).
        self.before_consuming: list[Callable[[], Awaitable[None]]] = []
        # Run every hour: each deletes what only grows (read inbox entries, finished work).
        self.prunes: list[Callable[[], Awaitable[int]]] = [self.processed.purge]

    def dispatcher(
        self, name: str | None = None, *, record_processed: bool = True
    ) -> EventDispatcher:
        """`record_processed=False` for handlers whose every effect is already idempotent
        by itself (deterministic output ids, guarded writes): it saves two database round
        trips per event."""
        return EventDispatcher(
            name or self.consumer_name, self.processed if record_processed else None
        )

    def declare_publication(self, logical_topic: str, description: str) -> None:
        """Name a topic this service publishes to, so that AsyncAPI documents it.

        Events are sent by the outbox relay through `EventPublisher`; the declared
        publisher only carries the documentation (topic, envelope schema, purpose).
        """
        topic = self.topics.name(logical_topic)
        self.broker.publisher(
            topic,
            title=f"{self.settings.service_name}:{topic}:publish",
            description=description,
            schema=CloudEvent,
        )

    def group_id(self, purpose: str = "") -> str:
        base = f"{self.settings.topic_prefix}.{self.settings.service_name}"
        return f"{base}.{purpose}" if purpose else base

    async def start(self) -> None:
        if self.lease is not None and not await filters_and_updates_are_atomic(self.client):
            try:
                await self.lease.acquire()
            except SecondWriter as exc:
                log.error("refusing to start: %s", exc)
                raise
        await ensure_topics(self.settings, self.topics)
        for hook in self.before_consuming:
            await hook()
        await self.broker.start()
        self.kafka_started = True
        self.relay.start()
        self._purge_task = asyncio.create_task(self._purge_loop(), name="processed-purge")
        log.info("service started", extra={"service": self.settings.service_name})

    async def refresh_metrics(self) -> None:
        obs = self.observability
        try:
            obs.outbox_pending.set(await self.relay.pending_count())
        except Exception:  # the database is down; health says so
            obs.outbox_pending.set(float("nan"))
        obs.outbox_published.set(self.relay.published)
        obs.dead_letters.set(self.dead_letters.count)

    async def stop(self) -> None:
        if self._purge_task is not None:
            self._purge_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purge_task
        await self.relay.stop()
        if self.lease is not None:
            await self.lease.release()
        # Stopping the broker lets the message in hand finish and commit first.
        await self.broker.stop()
        await self.client.close()

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.prune_interval_s)
            await self.prune_once()

    async def prune_once(self) -> int:
        """Every pruning job once; a failing one (the database is down) waits for the next."""
        deleted = 0
        for prune in self.prunes:
            try:
                deleted += await prune()
            except Exception as exc:
                log.warning("pruning failed: %s", exc)
        return deleted

    async def health(self) -> dict[str, Any]:
        db_up, kafka_up = await asyncio.gather(ping(self.client), self._kafka_up())
        return {
            "service": self.settings.service_name,
            "status": "ok" if db_up and kafka_up else "degraded",
            "kafka": "up" if kafka_up else "down",
            "database": "up" if db_up else "down",
            "uptime_s": round(time.monotonic() - self.started_at, 1),
        }

    async def _kafka_up(self) -> bool:
        if not self.kafka_started:
            return False
        try:
            return await asyncio.wait_for(self.broker.ping(timeout=1.5), 2.0)
        except Exception:
            return False

    def asyncapi(self, title: str, description: str) -> AsyncAPI:
        return AsyncAPI(
            self.broker,
            title=title,
            version="1.0.0",
            description=description,
            schema_version="3.0.0",
        )


async def decode_json_body(message: StreamMessage[Any]) -> Any:
    """Records carry `application/cloudevents+json`, which FastStream does not read as JSON
    by itself; every record on our topics is JSON, whatever its content-type header says."""
    return json.loads(message.body)


def subscribe(
    runtime: ServiceRuntime,
    logical_topic: str,
    dispatcher: EventDispatcher,
    *,
    group_id: str | None = None,
    description: str = "",
    from_beginning: bool = True,
) -> None:
    """Register a subscriber on `runtime.broker` that hands each CloudEvent to `dispatcher`.

    The envelope is validated by FastStream from the handler's annotation (so AsyncAPI
    shows it); anything that fails, from invalid JSON to a refused payload, reaches the
    dead-letter middleware. Offsets are committed after handling (NACK_ON_ERROR).
    `group_id=None` uses the service's group; pass a unique one to read a topic whole
    (e.g. compacted state that every instance needs).
    """
    topic = runtime.topics.name(logical_topic)

    async def handle(event: CloudEvent) -> None:
        await dispatcher.dispatch(event)

    handle.__name__ = f"on_{logical_topic}"
    group = group_id or runtime.group_id()
    runtime.broker.subscriber(
        topic,
        group_id=group,
        **runtime.settings.consumer_options(group, topic),
        auto_offset_reset="earliest" if from_beginning else "latest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=decode_json_body,
        title=f"{runtime.settings.service_name}:{topic}",
        description=description or f"{runtime.settings.service_name} consumes {topic}",
    )(handle)


@dataclass(frozen=True)
class BatchItem:
    """One event of a batch, with its record's headers (they carry its trace context)."""

    payload: Payload
    event: CloudEvent
    headers: dict[str, str]


BatchHandler = Callable[[list[BatchItem]], Awaitable[None]]


async def raw_records(message: StreamMessage[Any]) -> Any:
    """A batch handler validates each record itself, so one poison record cannot fail the
    records beside it."""
    return list(message.raw_message)


def subscribe_batch(
    runtime: ServiceRuntime,
    logical_topic: str,
    dispatcher: EventDispatcher,
    on_batch: BatchHandler,
    *,
    max_records: int = 200,
    description: str = "",
    unexpected_attempts: int = 4,
) -> None:
    """Like `subscribe`, in batches: up to `max_records` records at a time, one offset
    commit per batch (NACK_ON_ERROR rewinds every partition of a failed batch).

    Each record is validated alone; a poison record goes to the dead-letter topic and the
    rest of the batch is handed to `on_batch` (only the types `dispatcher` handles). An
    outage fails the batch, which comes again (handlers are idempotent). Any other error
    sends the batch through `dispatcher` one event at a time, each retried a few times and
    then dead-lettered alone.
    """
    topic = runtime.topics.name(logical_topic)
    dead_letters = runtime.dead_letters

    async def handle(records: list[Any]) -> None:
        good: list[tuple[Any, Payload, CloudEvent]] = []
        for record in records:
            try:
                event = CloudEvent.model_validate_json(record.value or b"")
                payload = event.payload()
            except ValueError as exc:  # not JSON, not a CloudEvent, unknown type, schema
                await dead_letters.send(runtime.broker, record, poison_reason(record, exc), exc)
                continue
            if event.type in dispatcher.handlers:
                good.append((record, payload, event))
        if not good:
            return
        try:
            await on_batch(
                [
                    BatchItem(
                        payload, event, {k: v.decode("utf-8", "replace") for k, v in r.headers}
                    )
                    for r, payload, event in good
                ]
            )
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("batch failed (%r); handling its events one by one", exc)
            for record, _, event in good:
                await _one_by_one(record, event)

    async def _one_by_one(record: Any, event: CloudEvent) -> None:
        for attempt in range(1, unexpected_attempts + 1):
            try:
                await dispatcher.dispatch(event)
                return
            except Exception as exc:
                if is_transient(exc):
                    raise
                if isinstance(exc, MESSAGE_ERRORS) or attempt == unexpected_attempts:
                    await dead_letters.send(runtime.broker, record, poison_reason(record, exc), exc)
                    return
                await asyncio.sleep(0.2 * attempt)

    handle.__name__ = f"on_{logical_topic}_batch"
    runtime.broker.subscriber(
        topic,
        group_id=runtime.group_id(),
        **runtime.settings.consumer_options(runtime.group_id(), topic),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=max_records,
        # getmany returns as soon as records are there; when idle, FastStream also sleeps
        # this long between polls, so it bounds the latency added to a lone event.
        batch_timeout_ms=10,
        decoder=raw_records,
        title=f"{runtime.settings.service_name}:{topic}",
        description=(description or f"{runtime.settings.service_name} consumes {topic}")
        + " Records are CloudEvents, consumed in batches.",
    )(handle)
