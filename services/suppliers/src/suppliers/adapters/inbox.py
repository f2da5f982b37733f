"""Mongo repository of the supplier inbox: entries keyed by the id of what caused them."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import upsert_many

from .repository import Document


class MongoInbox:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["inbox"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("supplier_org", ASCENDING), ("created_at", ASCENDING)])

    async def store_many(self, entries: list[Document], at: datetime) -> list[Document]:
        return await upsert_many(
            self.collection,
            [{**entry, "updated_at": at} for entry in entries],
            {"created_at": at, "read": False},
        )

    async def page_for(self, org: str, *, unread: bool | None, limit: int) -> list[Document]:
        if limit <= 0:
            return []  # a Mongo limit of 0 means none
        query: Document = {"supplier_org": org}
        if unread is not None:
            query["read"] = not unread
        cursor = (
            self.collection.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        # Looked up by `_id` alone (FerretDB 1.x scans for any other filter), then checked:
        # another organisation's entry does not exist for the caller.
        doc = await self.collection.find_one({"_id": entry_id})
        if doc is None or doc.get("supplier_org") != org:
            return None
        await self.collection.update_one({"_id": entry_id}, {"$set": {"read": True, "read_at": at}})
        return await self.collection.find_one({"_id": entry_id})
