"""Mongo repositories of webhooks and of their delivery queue (``webhook_deliveries``).

A webhook's status and a delivery's claim are compare-and-sets (`guarded_update`); other
writes to one webhook hold the same per-document lock, because a FerretDB 1.x update
rewrites the whole document it read and would otherwise undo a pause made meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import document_lock, guarded_update, insert_absent

from .repository import Document

DUE_PENDING_LIMIT = 500
DUE_STALE_LIMIT = 100


class MongoWebhooks:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["webhooks"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("supplier_org", ASCENDING)])

    async def count_of(self, org: str) -> int:
        return await self.collection.count_documents({"supplier_org": org})

    async def add(self, webhook: Document) -> None:
        await self.collection.insert_one(webhook)

    async def get(self, webhook_id: str) -> Document | None:
        return await self.collection.find_one({"_id": webhook_id})

    async def of_org(self, org: str) -> list[Document]:
        cursor = self.collection.find({"supplier_org": org}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [doc async for doc in cursor]

    async def of_orgs(self, orgs: list[str]) -> list[Document]:
        if not orgs:
            return []
        query = {"supplier_org": orgs[0]} if len(orgs) == 1 else {"supplier_org": {"$in": orgs}}
        return [doc async for doc in self.collection.find(query)]

    async def delete(self, webhook_id: str) -> None:
        await self.collection.delete_one({"_id": webhook_id})

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

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.collection.create_index([("webhook_id", ASCENDING)])

    async def add_absent(self, deliveries: list[Document]) -> None:
        await insert_absent(self.collection, deliveries)

    async def of_webhook(self, webhook_id: str, limit: int) -> list[Document]:
        if limit <= 0:
            return []  # a Mongo limit of 0 means none
        cursor = (
            self.collection.find({"webhook_id": webhook_id})
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def due(self, now: datetime) -> list[Document]:
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
        self, delivery_id: str, fields: Document, attempt: Document | None = None
    ) -> None:
        update: Document = {"$set": fields, "$unset": {"lease_until": ""}}
        if attempt is not None:
            update["$push"] = {"attempts": attempt}
            update["$inc"] = {"attempt_count": 1}
        await guarded_update(self.collection, delivery_id, {"status": "sending"}, update)

    async def release(self, delivery_id: str, next_attempt_at: datetime) -> None:
        await guarded_update(
            self.collection,
            delivery_id,
            {"status": "sending"},
            {"$set": {"status": "pending", "next_attempt_at": next_attempt_at}},
        )

    async def hold_pending(self, webhook_id: str) -> None:
        await self.collection.update_many(
            {"webhook_id": webhook_id, "status": "pending"}, {"$set": {"status": "held"}}
        )

    async def cancel_open(self, webhook_id: str) -> None:
        await self.collection.update_many(
            {"webhook_id": webhook_id, "status": {"$in": ["pending", "held"]}},
            {"$set": {"status": "cancelled"}},
        )

    async def reopen_stopped(self, webhook_id: str, at: datetime, more_attempts: int) -> None:
        stopped = self.collection.find(
            {"webhook_id": webhook_id, "status": {"$in": ["held", "failed"]}}
        )
        async for delivery in stopped:
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
