"""Reliable consumption: idempotency by event id, dead letters, retry of outages.

* A handler's effect is applied at most once per event id: `ProcessedEvents` records what a
  consumer has handled (unique `_id`), and every effect is itself written idempotently
  (deterministic ids, upserts), so a crash between the effect and the record is harmless.
* A message that cannot be handled (not JSON, not a CloudEvent, unknown type, payload
  violating its schema, a rule of the domain refusing it) goes to ``<topic>.dlq`` at once,
  with the reason, topic, partition and offset; the partition moves on.
* An outage of the database or the broker is not the message's fault: the handler raises,
  FastStream's NACK_ON_ERROR policy seeks back and the message is retried after a backoff,
  for as long as the outage lasts. Offsets are committed only after handling.
* Any other error (a bug, a lost write race, a driver surprise) may or may not be the
  message's fault: it is retried a few times, then dead-lettered, so that a passing fault
  loses nothing and a real bug does not stop the partition.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError, NetworkTimeout, OperationFailure

from marketplace_contracts.events import CloudEvent, Payload
from marketplace_contracts.topics import DEAD_LETTER_SUFFIX, dead_letter_key

from .errors import DomainError

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # includes AutoReconnect and ServerSelectionTimeoutError
    NetworkTimeout,
    KafkaConnectionError,
    KafkaTimeoutError,
    TimeoutError,
    ConnectionError,
)

# The message itself is wrong: not JSON, not a CloudEvent, an unknown type or a payload
# against its schema (all ValueError, pydantic's ValidationError too), or a domain refusal.
MESSAGE_ERRORS: tuple[type[BaseException], ...] = (ValueError, DomainError)

Handler = Callable[[Any, CloudEvent], Awaitable[None]]


def is_busy_database(error: BaseException) -> bool:
    """FerretDB on SQLite answers a write that meets another writer's transaction with
    SQLITE_BUSY instead of waiting for it: the write is fine, only its moment was not."""
    return isinstance(error, OperationFailure) and (
        "SQLITE_BUSY" in str(error) or "database is locked" in str(error)
    )


def is_transient(error: BaseException) -> bool:
    """An outage of the database or the broker, or a busy database (directly or as the
    cause): retry, always."""
    return any(
        isinstance(e, TRANSIENT_ERRORS) or is_busy_database(e)
        for e in (error, error.__cause__)
        if e is not None
    )


class ProcessedEvents:
    """Which events each consumer has handled, kept for a retention window."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], retention: timedelta) -> None:
        self.collection = db["processed_events"]
        self.retention = retention

    @staticmethod
    def _key(consumer: str, event_id: str) -> str:
        return f"{consumer}/{event_id}"

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self.collection.find_one({"_id": self._key(consumer, event_id)}) is not None

    async def mark(self, consumer: str, event_id: str) -> None:
        try:
            await self.collection.insert_one(
                {"_id": self._key(consumer, event_id), "at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            pass  # handled twice concurrently; the effect itself is idempotent

    async def purge(self) -> int:
        # FerretDB has no TTL indexes, so retention is enforced here.
        cutoff = datetime.now(UTC) - self.retention
        result = await self.collection.delete_many({"at": {"$lt": cutoff}})
        return result.deleted_count


class EventDispatcher:
    """Routes a CloudEvent to the handler of its payload type, once per event id."""

    def __init__(self, consumer: str, processed: ProcessedEvents | None) -> None:
        # processed=None: no record of handled ids, for handlers that must see every event
        # again on each start (rebuilding in-memory state) and are idempotent by version.
        self.consumer = consumer
        self.processed = processed
        self.handlers: dict[str, tuple[type[Payload], Handler]] = {}
        self.handled = 0
        self.duplicates = 0

    def on(self, payload_type: type[Payload], handler: Handler) -> None:
        self.handlers[payload_type.event_type] = (payload_type, handler)

    async def dispatch(self, event: CloudEvent) -> str:
        payload = event.payload()  # UnknownEventType / ValidationError -> dead letter
        entry = self.handlers.get(event.type)
        if entry is None:
            return "ignored"  # a known event this consumer has no use for
        if self.processed is not None and await self.processed.seen(self.consumer, event.id):
            self.duplicates += 1
            return "duplicate"
        await entry[1](payload, event)
        if self.processed is not None:
            await self.processed.mark(self.consumer, event.id)
        self.handled += 1
        return "handled"


class DeadLetters:
    """Publishes a message that cannot be handled to its topic's dead-letter twin.

    It holds no broker: the caller passes the one it consumed the message from, so that
    the dead-letter middleware can be given to the broker when the broker is created.
    """

    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self.count = 0

    async def send(
        self, broker: KafkaBroker, record: Any, reason: str, error: BaseException | None
    ) -> None:
        headers = {
            k: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            for k, v in (record.headers or ())
        }
        headers |= {
            "dlq_reason": reason[:2000],
            "dlq_error_type": type(error).__name__ if error else "",
            "dlq_source_topic": record.topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
            "dlq_consumer": self.consumer,
            "dlq_at": datetime.now(UTC).isoformat(),
            "dlq_original_key": (record.key or b"").decode("utf-8", "replace"),
        }
        # Keyed by the record's place, on a compacted topic: a poison record met again
        # (a redelivery after a restart or a rebalance) leaves one dead letter, and the
        # tooling shows it once.
        await broker.publish(
            record.value if record.value is not None else b"",
            topic=record.topic + DEAD_LETTER_SUFFIX,
            key=dead_letter_key(record.topic, record.partition, record.offset, self.consumer),
            headers=headers,
        )
        self.count += 1
        log.warning(
            "dead-lettered a message",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason[:300],
            },
        )


def describe_error(error: BaseException) -> str:
    """A reason a person can act on, naming the field where pydantic knows it."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            items = errors()
            parts = [
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in items[:10]
            ]
            return f"{type(error).__name__}: " + "; ".join(parts)
        except Exception:  # noqa: S110 - fall back to str() below
            pass
    if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
        return f"not valid JSON: {error}"
    return f"{type(error).__name__}: {error}"


def poison_reason(record: Any, error: BaseException) -> str:
    """Why a record cannot be handled; a body that is not JSON is said so first."""
    try:
        json.loads(record.value or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return f"not valid JSON: {exc}"
    return describe_error(error)


def dead_letter_middleware(
    dead_letters: DeadLetters,
    retry_backoff: tuple[float, float] = (0.2, 5.0),
    unexpected_attempts: int = 4,
) -> type[BaseMiddleware]:
    """A broker middleware class: bad messages to the DLQ, outages retried until they end,
    other errors retried `unexpected_attempts` times before the DLQ."""
    backoff = {"delay": retry_backoff[0]}
    # Attempts per record that failed with an unexpected error, by (topic, partition,
    # offset); a record leaves the map when it is handled or dead-lettered.
    failures: dict[tuple[str, int, int], int] = {}

    class DeadLetterMiddleware(BaseMiddleware):
        async def after_processed(
            self,
            exc_type: type[BaseException] | None = None,
            exc_val: BaseException | None = None,
            exc_tb: TracebackType | None = None,
        ) -> bool | None:
            record: Any = self.msg  # aiokafka's ConsumerRecord
            where = (
                (record.topic, record.partition, record.offset)
                if hasattr(record, "offset")
                else None
            )
            if exc_val is None:
                backoff["delay"] = retry_backoff[0]
                if where is not None:
                    failures.pop(where, None)
                return False
            if isinstance(exc_val, asyncio.CancelledError):
                return False
            if is_transient(exc_val):
                log.warning("transient failure, will retry: %s", exc_val)
                return await _retry_later()
            if where is None:
                # A batch: its handler dead-letters records one by one; what reaches
                # here is retried whole.
                log.warning("batch failed, will retry: %r", exc_val)
                return await _retry_later()
            if not isinstance(exc_val, MESSAGE_ERRORS):
                attempt = failures.get(where, 0) + 1
                if attempt < unexpected_attempts:
                    failures[where] = attempt
                    log.warning(
                        "unexpected failure (attempt %d of %d), will retry: %r",
                        attempt,
                        unexpected_attempts,
                        exc_val,
                    )
                    return await _retry_later()
                failures.pop(where, None)
            # FastStream puts the consuming broker in each message's context.
            broker: KafkaBroker | None = self.context.get_local("broker")
            if broker is None:
                raise RuntimeError("no broker in the message context to dead-letter through")
            await dead_letters.send(broker, record, poison_reason(record, exc_val), exc_val)
            return True  # handled: the ack policy commits the offset and moves on

    async def _retry_later() -> bool:
        await asyncio.sleep(backoff["delay"])
        backoff["delay"] = min(backoff["delay"] * 2, retry_backoff[1])
        return False  # NACK: FastStream seeks back and the message comes again

    return DeadLetterMiddleware
