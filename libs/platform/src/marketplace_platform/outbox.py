"""The embedded outbox: a state change and the events it causes in one document write.

An aggregate document carries ``outbox``: the events it has caused and that are not yet
acknowledged by the broker. `save` writes the new state and appends the new events in one
atomic single-document update (guarded by the aggregate's ``rev``, optimistic concurrency),
so there is no state without its events and no event without its state, on any
MongoDB-compatible database and without multi-document transactions.

On FerretDB 1.x an update is a read then a write of the whole document, not one atomic
step: two concurrent updates of one document can both pass the ``rev`` guard, and the
relay's removal of published entries can overwrite a save made in between (measured: of 50
documents updated by 4 concurrent guarded writers each, 137 updates reported success).
Every write to an aggregate in this process therefore holds the document's lock
(`mongo.document_lock`, taken by `mongo.guarded_update`); across processes the guard is
only as atomic as the database makes it (MongoDB and FerretDB 2 are).

`OutboxRelay` publishes pending events in order and removes exactly those from the document
only after the broker acknowledged them (acks=all, idempotent producer). The hot path
publishes right after the write; what it could not publish (the broker was down) is retried
by `_id` every interval, and a sweep every `full_sweep_s` picks up what a crash left behind
(pending for longer than a short grace period). A crash between the publish and the removal
re-publishes the same event id, which idempotent consumers ignore: delivery is at least
once, effects exactly once.

The sweep finds pending events by their markers, not by reading the aggregates: every write
that queues events first writes a small marker document (`PENDING`, keyed by collection and
aggregate id) under the aggregate's lock, and the relay deletes it under the same lock once
the outbox is empty. A filter on the aggregates (`outbox.0` exists) would decode every one
of them on FerretDB 1.x: 7 s at 10 000 needs, a minute at 100 000, every sweep. Outboxes
written before markers existed are marked once, by one such scan at the first start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_contracts.events import CloudEvent

from .kafka import EventPublisher
from .mongo import document_lock, guarded_update_locked, retry_upsert, run_once

log = logging.getLogger(__name__)

Document = dict[str, Any]
# Markers of the aggregates with unpublished events: one small document each, by `_id`.
PENDING = "_outbox_pending"
MARK_EXISTING_JOB = "outbox-pending-markers"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class ConcurrentModification(Exception):
    """The aggregate changed since it was read; the caller reloads and retries."""


def outbox_entry(logical_topic: str, event: CloudEvent) -> Document:
    return {
        "id": event.id,
        "topic": logical_topic,
        "event": event.model_dump(mode="json", exclude_none=True),
        "queued_at": datetime.now(UTC).isoformat(),
    }


def _marker_id(collection_name: str, doc_id: Any) -> str:
    return f"{collection_name}/{doc_id}"


async def mark_pending(
    collection: AsyncCollection[Document], doc_id: Any, at: datetime | None = None
) -> None:
    """Record that the aggregate is about to hold unpublished events (written before them,
    under the aggregate's lock: see the module's note); `at` is when they were queued."""
    marker = {"collection": collection.name, "doc_id": doc_id, "at": at or datetime.now(UTC)}
    markers = collection.database[PENDING]
    marker_id = _marker_id(collection.name, doc_id)
    await retry_upsert(
        lambda: markers.update_one({"_id": marker_id}, {"$set": marker}, upsert=True)
    )


async def guarded_update_with_events(
    collection: AsyncCollection[Document], doc_id: Any, expected: Document, update: Document
) -> bool:
    """`mongo.guarded_update` of an aggregate whose `update` may queue events (a `$push` to
    ``outbox``): the aggregate is marked pending first, under the same lock."""
    async with document_lock(collection, doc_id):
        if "outbox" in update.get("$push", {}):
            await mark_pending(collection, doc_id)
        return await guarded_update_locked(collection, doc_id, expected, update)


async def save(
    collection: AsyncCollection[Document],
    state: Document,
    events: Iterable[tuple[str, CloudEvent]],
    expected_rev: int | None,
) -> int:
    """Insert (expected_rev None) or update the aggregate with its events; returns new rev.

    `state` holds the aggregate's fields (``_id`` included) without ``outbox`` and ``rev``.
    """
    entries = [outbox_entry(topic, event) for topic, event in events]
    doc_id = state["_id"]
    if expected_rev is None:
        async with document_lock(collection, doc_id):
            if entries:
                await mark_pending(collection, doc_id)
            await collection.insert_one({**state, "rev": 1, "outbox": entries})
        return 1
    fields = {k: v for k, v in state.items() if k not in ("_id", "outbox", "rev")}
    update: Document = {"$set": {**fields, "rev": expected_rev + 1}}
    if entries:
        update["$push"] = {"outbox": {"$each": entries}}
    if not await guarded_update_with_events(collection, doc_id, {"rev": expected_rev}, update):
        raise ConcurrentModification(f"{collection.name}/{doc_id} changed concurrently")
    return expected_rev + 1


class OutboxRelay:
    """Publishes the outboxes of the given collections."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        publisher: EventPublisher,
        collections: Sequence[str],
        *,
        grace_s: float = 2.0,
        interval_s: float = 1.0,
        full_sweep_s: float = 15.0,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.collections = list(collections)
        self.grace_s = grace_s
        self.interval_s = interval_s
        self.full_sweep_s = full_sweep_s
        self._locks: defaultdict[tuple[str, Any], asyncio.Lock] = defaultdict(asyncio.Lock)
        # Aggregates whose publish failed here (a broker outage): retried by `_id` every
        # interval, so an outage costs no scans.
        self._deferred: set[tuple[str, Any]] = set()
        self._task: asyncio.Task[None] | None = None
        self._existing_marked = False  # outboxes older than markers: see `sweep_once`
        self._due_at = math.inf  # when a marker the last sweep left in its grace is due
        self.published = 0
        self.swept = 0

    async def publish_pending(self, collection: str, doc_id: Any) -> int:
        """Publish one aggregate's pending events in order; returns how many were sent.

        Never raises on a broker outage: the events stay pending for the sweeper.
        """
        key = (collection, doc_id)
        try:
            async with self._locks[key]:
                sent = await self._publish_locked(self.db[collection], doc_id)
            self._deferred.discard(key)
            return sent
        except Exception as exc:
            self._deferred.add(key)
            log.warning("outbox publish deferred: %s", exc, extra={"doc": str(doc_id)})
            return 0
        finally:
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                self._locks.pop(key, None)

    async def _publish_locked(self, col: AsyncCollection[Document], doc_id: Any) -> int:
        doc = await col.find_one({"_id": doc_id}, projection={"outbox": 1})
        entries: list[Document] = (doc or {}).get("outbox") or []
        sent: list[Document] = []
        try:
            for entry in entries:
                await self.publisher.publish(
                    entry["topic"], CloudEvent.model_validate(entry["event"])
                )
                sent.append(entry)
        finally:
            if sent or not entries:
                async with document_lock(col, doc_id):
                    await self._remove_sent(col, doc_id, sent)
                self.published += len(sent)
        return len(sent)

    async def _remove_sent(
        self, col: AsyncCollection[Document], doc_id: Any, sent: list[Document]
    ) -> None:
        """Under the aggregate's lock: remove exactly the acknowledged entries ($pullAll,
        so events a concurrent write appended stay pending) and the marker once none is."""
        if sent:
            # Whole: FerretDB 1.24 takes no projection in findAndModify.
            after = await col.find_one_and_update(
                {"_id": doc_id},
                {"$pullAll": {"outbox": sent}},
                return_document=ReturnDocument.AFTER,
            )
        else:
            after = await col.find_one({"_id": doc_id}, projection={"outbox": 1})
        if not (after or {}).get("outbox"):
            await col.database[PENDING].delete_one({"_id": _marker_id(col.name, doc_id)})

    async def retry_deferred(self) -> int:
        """Publish again what this process could not publish (looked up by `_id`)."""
        total = 0
        for name, doc_id in list(self._deferred):
            total += await self.publish_pending(name, doc_id)
        self.swept += total
        return total

    async def sweep_once(self) -> int:
        """Publish what is pending for longer than the grace period (after a crash): the
        aggregates marked pending, each read by `_id`. Marks, once, the outboxes written
        before markers existed (a scan of every aggregate, at the first start only)."""
        if not self._existing_marked:  # asked of the database once per process
            await run_once(self.db, MARK_EXISTING_JOB, self._mark_existing)
            self._existing_marked = True
        now = datetime.now(UTC)
        total = 0
        self._due_at = math.inf
        for marker in await self._markers():
            at = marker.get("at")
            age = (now - _aware(at)).total_seconds() if at is not None else math.inf
            if age < self.grace_s:
                # The hot path is most likely on it; if not (its process was killed just
                # after the write), it is due when the grace ends, not a full sweep later.
                due = time.monotonic() + self.grace_s - age
                self._due_at = min(self._due_at, due)
                continue
            total += await self.publish_pending(marker["collection"], marker["doc_id"])
        self.swept += total
        return total

    async def _markers(self) -> list[Document]:
        """The pending markers of this relay's collections (a small collection: only the
        aggregates whose events are not on the broker yet)."""
        found = self.db[PENDING].find({})
        return [m async for m in found if m.get("collection") in self.collections]

    async def _mark_existing(self) -> int:
        marked = 0
        for name in self.collections:
            col = self.db[name]
            async for doc in col.find({"outbox.0": {"$exists": True}}, projection={"_id": 1}):
                async with document_lock(col, doc["_id"]):
                    await mark_pending(col, doc["_id"], at=LONG_AGO)  # due at once
                marked += 1
        return marked

    async def pending_count(self) -> int:
        """Events not yet on the broker: the marked aggregates' outboxes, each by `_id`."""
        total = 0
        for marker in await self._markers():
            col = self.db[marker["collection"]]
            doc = await col.find_one({"_id": marker["doc_id"]}, {"outbox": 1})
            total += len((doc or {}).get("outbox") or [])
        return total

    async def _run(self) -> None:
        last_full = -math.inf
        while True:
            try:
                now = time.monotonic()
                if now - last_full >= self.full_sweep_s or now >= self._due_at:
                    await self.sweep_once()
                    last_full = time.monotonic()
                else:
                    await self.retry_deferred()
            except Exception as exc:  # the database may be down; try again later
                log.warning("outbox sweep failed: %s", exc)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def _aware(at: datetime) -> datetime:
    """A stored time as UTC (a client without tz_aware reads naive UTC datetimes)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
