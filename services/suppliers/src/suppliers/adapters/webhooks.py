"""Mongo repositories of webhooks and of their delivery queue (``webhook_deliveries``).

A webhook's status and a delivery's claim are compare-and-sets (`guarded_update`); other
writes to one webhook hold the same per-document lock, because a FerretDB 1.x update
rewrites the whole document it read and would otherwise undo a pause made meanwhile.

FerretDB 1.x answers from an index only a filter on `_id` alone. So each supplier's webhooks
(at most 10) are referenced in one document per supplier (`owned.OwnedIds`), and each
webhook's deliveries, newest first, in an `OrgOrder` keyed by the webhook's id: a page of
deliveries, pausing, resuming, deleting and pruning all read by `_id`. In that order a
delivery's reference is marked done (the `read` flag of `OrgOrder`) once it is delivered or
cancelled, the two states it never leaves; done deliveries older than the retention are
pruned through it (`OrgOrder.prune`: chunks before the last one, still filling). Held and
failed deliveries are not done, since resuming the webhook sends them again; deleting the
webhook cancels them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import document_lock, guarded_update, insert_absent
from marketplace_platform.org_order import OrgOrder

from .owned import OwnedIds
from .repository import Document, Key
from .times import DistinctTimes

log = logging.getLogger(__name__)

DUE_PENDING_LIMIT = 500
DUE_STALE_LIMIT = 100
WEBHOOKS_OF = "webhooks_of"
DELIVERY_ORDER = "delivery_order"
DONE = ("delivered", "cancelled")  # states a delivery never leaves
OPEN_PAGE = 200  # references read at a time when walking a webhook's open deliveries


class MongoWebhooks:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["webhooks"]
        self.owned = OwnedIds(db[WEBHOOKS_OF])

    async def backfill(self) -> int:
        """Once, for a database whose webhooks predate the per-supplier documents: one read
        of every webhook (run before the service answers)."""
        projection = {"supplier_org": 1, "created_at": 1}
        return await self.owned.fill_once(lambda: self.collection.find({}, projection))

    async def count_of(self, org: str) -> int:
        return await self.owned.count(org)

    async def add(self, webhook: Document) -> None:
        """Referenced in its supplier's document first: a crash in between leaves a
        reference to nothing, which every read skips."""
        await self.owned.add(webhook["supplier_org"], [(webhook["_id"], webhook["created_at"])])
        await self.collection.insert_one(webhook)

    async def get(self, webhook_id: str) -> Document | None:
        return await self.collection.find_one({"_id": webhook_id})

    async def of_org(self, org: str) -> list[Document]:
        return await self._read(await self.owned.ids(org))

    async def of_orgs(self, orgs: list[str]) -> list[Document]:
        ids = await self.owned.ids_of(orgs)
        return await self._read([i for org in orgs for i in ids[org]])

    async def _read(self, ids: list[str]) -> list[Document]:
        found = await asyncio.gather(*(self.get(i) for i in ids))
        return [doc for doc in found if doc is not None]

    async def delete(self, org: str, webhook_id: str) -> None:
        await self.collection.delete_one({"_id": webhook_id})
        await self.owned.remove(org, webhook_id)

    async def pause(self, webhook_id: str, reason: str, at: datetime) -> bool:
        return await guarded_update(
            self.collection,
            webhook_id,
            {"status": "active"},
            {
                "$set": {"status": "paused", "paused_at": at, "pause_reason": reason},
                "$inc": {"pause_count": 1},
            },
        )

    async def resume(self, webhook_id: str, at: datetime) -> bool:
        return await guarded_update(
            self.collection,
            webhook_id,
            {"status": "paused"},
            {"$set": {"status": "active", "consecutive_failures": 0, "resumed_at": at}},
        )

    async def record_success(self, webhook_id: str, at: datetime) -> None:
        async with document_lock(self.collection, webhook_id):
            await self.collection.update_one(
                {"_id": webhook_id},
                {"$set": {"consecutive_failures": 0, "last_success_at": at}},
            )

    async def record_failure(self, webhook_id: str) -> None:
        async with document_lock(self.collection, webhook_id):
            await self.collection.update_one(
                {"_id": webhook_id}, {"$inc": {"consecutive_failures": 1}}
            )


class MongoDeliveries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["webhook_deliveries"]
        self.order = OrgOrder(db[DELIVERY_ORDER])  # keyed by webhook id
        self.times = DistinctTimes()

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])

    async def backfill(self) -> int:
        """Once, for a database whose deliveries predate the per-webhook order: one read of
        every delivery (run before the service answers); the done ones are marked so."""
        projection = {"webhook_id": 1, "created_at": 1, "status": 1}

        async def deliveries() -> AsyncIterator[Document]:
            async for doc in self.collection.find({}, projection):
                yield {**doc, "done": doc["status"] in DONE}

        return await self.order.fill_once(deliveries, org="webhook_id", read="done")

    async def add_absent(self, deliveries: list[Document]) -> None:
        """Insert the new ones, each queued at its own time about its `created_at`
        (`times`), then reference each in its webhook's order (again for one queued
        already: a reference a crash lost is restored in its place)."""
        docs = [
            {**d, "created_at": self.times.next(d["webhook_id"], d["created_at"])}
            for d in deliveries
        ]
        existing = await insert_absent(self.collection, docs)
        times = {d["_id"]: d["created_at"] for d in docs}
        if existing:  # a replay: the delivery keeps the time it was queued at first
            stored = await asyncio.gather(
                *(self.collection.find_one({"_id": i}, {"created_at": 1}) for i in existing)
            )
            times |= {d["_id"]: d["created_at"] for d in stored if d is not None}
        by_hook: dict[str, list[tuple[str, datetime]]] = {}
        for doc in docs:
            by_hook.setdefault(doc["webhook_id"], []).append((doc["_id"], times[doc["_id"]]))
        await asyncio.gather(*(self.order.add(hook, refs) for hook, refs in by_hook.items()))

    async def of_webhook(
        self, webhook_id: str, *, after: Key | None, limit: int
    ) -> tuple[list[Document], Key | None]:
        refs, more = await self.order.page(webhook_id, unread_only=False, after=after, limit=limit)
        docs = await asyncio.gather(*(self.collection.find_one({"_id": r.entry_id}) for r in refs))
        next_key = (refs[-1].created_ts, refs[-1].entry_id) if more and refs else None
        return [d for d in docs if d is not None], next_key

    async def due(self, now: datetime) -> list[Document]:
        """The worker's poll, not a person's read: on FerretDB 1.x these two filters (status
        and time) decode every delivery in the collection, each poll (by default every
        second, and at once after each send). At about 0.14 ms per small document and up to
        2 ms for one with a 4 KB body, 10 000 deliveries take some 1.5 to 20 s per poll; so
        done deliveries are pruned after `deliveries_retention_days` (`prune_done`), and
        what stays is what that window queued plus the open ones. On MongoDB the index on
        (status, next_attempt_at) answers both."""
        pending = self.collection.find(
            {"status": "pending", "next_attempt_at": {"$lte": now}}
        ).limit(DUE_PENDING_LIMIT)
        stale = self.collection.find({"status": "sending", "lease_until": {"$lt": now}}).limit(
            DUE_STALE_LIMIT
        )
        found = [doc async for doc in pending] + [doc async for doc in stale]
        found.sort(key=lambda d: d["next_attempt_at"])
        return found

    async def claim(self, delivery: Document, lease_until: datetime) -> bool:
        return await guarded_update(
            self.collection,
            delivery["_id"],
            {"status": delivery["status"], "attempt_count": delivery.get("attempt_count", 0)},
            {"$set": {"status": "sending", "lease_until": lease_until}},
        )

    async def finish(
        self, delivery: Document, fields: Document, attempt: Document | None = None
    ) -> None:
        update: Document = {"$set": fields, "$unset": {"lease_until": ""}}
        if attempt is not None:
            update["$push"] = {"attempts": attempt}
            update["$inc"] = {"attempt_count": 1}
        finished = await guarded_update(
            self.collection, delivery["_id"], {"status": "sending"}, update
        )
        if finished and fields.get("status") in DONE:
            await self._mark_done(delivery)

    async def _mark_done(self, delivery: Document) -> None:
        await self.order.mark_read(delivery["webhook_id"], delivery["_id"], delivery["created_at"])

    async def release(self, delivery_id: str, next_attempt_at: datetime) -> None:
        await guarded_update(
            self.collection,
            delivery_id,
            {"status": "sending"},
            {"$set": {"status": "pending", "next_attempt_at": next_attempt_at}},
        )

    async def _open(self, webhook_id: str) -> AsyncIterator[Document]:
        """The webhook's deliveries not done, newest first, read by `_id` a page at a time."""
        after: Key | None = None
        while True:
            refs, more = await self.order.page(
                webhook_id, unread_only=True, after=after, limit=OPEN_PAGE
            )
            docs = await asyncio.gather(
                *(self.collection.find_one({"_id": r.entry_id}) for r in refs)
            )
            for doc in docs:
                if doc is not None:
                    yield doc
            if not more or not refs:
                return
            after = (refs[-1].created_ts, refs[-1].entry_id)

    async def hold_pending(self, webhook_id: str) -> None:
        async for delivery in self._open(webhook_id):
            if delivery["status"] == "pending":
                await guarded_update(
                    self.collection,
                    delivery["_id"],
                    {"status": "pending"},
                    {"$set": {"status": "held"}},
                )

    async def cancel_open(self, webhook_id: str) -> None:
        async for delivery in self._open(webhook_id):
            status = delivery["status"]
            if status in ("pending", "held", "failed") and await guarded_update(
                self.collection,
                delivery["_id"],
                {"status": status},
                {"$set": {"status": "cancelled"}},
            ):
                await self._mark_done(delivery)

    async def reopen_stopped(self, webhook_id: str, at: datetime, more_attempts: int) -> None:
        async for delivery in self._open(webhook_id):
            if delivery["status"] not in ("held", "failed"):
                continue
            await guarded_update(
                self.collection,
                delivery["_id"],
                {"status": delivery["status"]},
                {
                    "$set": {
                        "status": "pending",
                        "next_attempt_at": at,
                        "attempt_limit": delivery.get("attempt_count", 0) + more_attempts,
                    }
                },
            )

    async def prune_done(self, before: datetime) -> int:
        """Delete the deliveries done (delivered or cancelled) and queued before `before`,
        each by `_id`; returns how many. Their ids are what makes a redelivered event queue
        nothing twice (`add_absent`), so `before` must lie further back than any event that
        can still be delivered again (the matches and alerts topics keep 7 days)."""
        dropped = await self.order.prune(before)
        for start in range(0, len(dropped), 100):
            batch = dropped[start : start + 100]
            await asyncio.gather(*(self.collection.delete_one({"_id": i}) for i in batch))
        if dropped:
            log.info("pruned webhook deliveries", extra={"deliveries": len(dropped)})
        return len(dropped)
