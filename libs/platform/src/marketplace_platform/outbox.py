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
by `_id` every interval, and a full sweep at start and every `full_sweep_s` picks up what a
crash left behind (pending for longer than a short grace period). A crash between the
publish and the removal re-publishes the same event id, which idempotent consumers ignore:
delivery is at least once, effects exactly once.
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

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_contracts.events import CloudEvent

from .kafka import EventPublisher
from .mongo import document_lock, guarded_update

log = logging.getLogger(__name__)

Document = dict[str, Any]


class ConcurrentModification(Exception):
    """The aggregate changed since it was read; the caller reloads and retries."""


def outbox_entry(logical_topic: str, event: CloudEvent) -> Document:
    return {
        "id": event.id,
        "topic": logical_topic,
        "event": event.model_dump(mode="json", exclude_none=True),
        "queued_at": datetime.now(UTC).isoformat(),
    }


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
        await collection.insert_one({**state, "rev": 1, "outbox": entries})
        return 1
    fields = {k: v for k, v in state.items() if k not in ("_id", "outbox", "rev")}
    update: Document = {"$set": {**fields, "rev": expected_rev + 1}}
    if entries:
        update["$push"] = {"outbox": {"$each": entries}}
    if not await guarded_update(collection, doc_id, {"rev": expected_rev}, update):
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
            if sent:
                # $pullAll removes exactly the acknowledged entries, so events appended by
                # a concurrent write stay pending.
                async with document_lock(col, doc_id):
                    await col.update_one({"_id": doc_id}, {"$pullAll": {"outbox": sent}})
                self.published += len(sent)
        return len(sent)

    async def retry_deferred(self) -> int:
        """Publish again what this process could not publish (looked up by `_id`)."""
        total = 0
        for name, doc_id in list(self._deferred):
            total += await self.publish_pending(name, doc_id)
        self.swept += total
        return total

    async def sweep_once(self) -> int:
        """Publish what is pending for longer than the grace period (after a crash).

        Finding pending events means reading every aggregate on FerretDB 1.x (its filters
        other than `_id` are matched in Go, about 80 ms for 50 needs measured here), so this
        runs at start and every `full_sweep_s`, not every interval."""
        now = datetime.now(UTC)
        total = 0
        for name in self.collections:
            col = self.db[name]
            cursor = col.find({"outbox.0": {"$exists": True}}, projection={"outbox": 1})
            async for doc in cursor:
                entries = doc.get("outbox") or []
                oldest = datetime.fromisoformat(entries[0]["queued_at"]) if entries else now
                if (now - oldest).total_seconds() < self.grace_s:
                    continue  # the hot path is most likely on it
                total += await self.publish_pending(name, doc["_id"])
        self.swept += total
        return total

    async def pending_count(self) -> int:
        total = 0
        for name in self.collections:
            async for doc in self.db[name].find({"outbox.0": {"$exists": True}}, {"outbox": 1}):
                total += len(doc.get("outbox") or [])
        return total

    async def _run(self) -> None:
        last_full = -math.inf
        while True:
            try:
                if time.monotonic() - last_full >= self.full_sweep_s:
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
