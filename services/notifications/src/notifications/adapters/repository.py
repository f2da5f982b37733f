"""Mongo repositories: each organisation's contacts, the messages and their queue.

FerretDB 1.x answers from an index only a filter on `_id` alone, so every read a request
or an event makes is one by `_id`:

* `contacts`: one document per organisation (`_id` its name) holding its contacts;
* `mails`: every message, `_id` derived from what it carries (the event and the contact,
  or the contact and the digest's period): the record that stops a redelivered event from
  queueing it twice, kept `sent_retention_days` after it was done;
* `mail_queue`: one small document per message not yet done (`_id`, `due_at`), deleted
  when it is: the sender reads it whole at start, then keeps it in memory, so it stays
  as small as the backlog whatever the history.

Writes to one document are serialised in-process (`document_lock`); the service's writer
lease keeps them to one process on FerretDB, whose updates are not atomic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import document_lock, insert_absent

Document = dict[str, Any]
T = TypeVar("T")
DONE = ("sent", "failed", "cancelled")


class ContactBook:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["contacts"]

    async def of(self, org: str) -> list[Document]:
        doc = await self.collection.find_one({"_id": org})
        return list(doc["contacts"]) if doc else []

    async def change(
        self, org: str, change: Callable[[list[Document]], tuple[list[Document], T]]
    ) -> T:
        """Apply `change` to the organisation's contacts and store what it returns; what
        it raises leaves them as they were."""
        async with document_lock(self.collection, org):
            contacts, result = change(await self.of(org))
            await self.collection.replace_one(
                {"_id": org}, {"_id": org, "contacts": contacts}, upsert=True
            )
            return result


class MailStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.mails = db["mails"]
        self.queue = db["mail_queue"]

    async def add_absent(self, mails: list[Document]) -> list[Document]:
        """Queue the messages not queued before (by `_id`); returns those it queued."""
        existing = await insert_absent(self.mails, mails)
        new = [m for m in mails if m["_id"] not in existing]
        # A crash between the two inserts leaves a message without its queue entry: the
        # replayed event finds the message and queues it again here.
        again = [m for m in mails if m["_id"] in existing]
        for mail in again:
            stored = await self.mails.find_one({"_id": mail["_id"]}, {"status": 1, "due_at": 1})
            if stored is not None and stored["status"] not in DONE:
                new.append({**mail, "due_at": stored["due_at"]})
        await insert_absent(self.queue, [{"_id": m["_id"], "due_at": m["due_at"]} for m in new])
        return new

    async def get(self, mail_id: str) -> Document | None:
        return await self.mails.find_one({"_id": mail_id})

    async def append_to_digest(self, digest: Document, items: list[Document]) -> str:
        """Add the items (each by its `key` once) to the digest, made first if need be:
        "added", "present" (all were there: a replay) or "closed" (it is being sent or was:
        the caller takes the next one)."""
        async with document_lock(self.mails, digest["_id"]):
            stored = await self.mails.find_one({"_id": digest["_id"]}, {"status": 1, "keys": 1})
            if stored is None:
                unique = list({i["key"]: i for i in items}.values())
                keys = [i["key"] for i in unique]
                await self.add_absent([{**digest, "items": unique, "keys": keys}])
                return "added"
            if stored["status"] != "collecting":
                return "closed"
            have = set(stored.get("keys") or [])
            new = [i for i in {i["key"]: i for i in items}.values() if i["key"] not in have]
            if not new:
                return "present"
            await self.mails.update_one(
                {"_id": digest["_id"]},
                {
                    "$push": {
                        "items": {"$each": new},
                        "keys": {"$each": [i["key"] for i in new]},
                    }
                },
            )
            return "added"

    async def open_queue(self) -> list[tuple[datetime, str]]:
        return [(d["due_at"], d["_id"]) async for d in self.queue.find({})]

    async def claim(self, mail: Document) -> Document | None:
        """Close a digest to new items and return it as it stands (None: done already)."""
        async with document_lock(self.mails, mail["_id"]):
            stored = await self.mails.find_one({"_id": mail["_id"]})
            if stored is None or stored["status"] in DONE:
                return None
            await self.mails.update_one({"_id": mail["_id"]}, {"$set": {"status": "sending"}})
            return stored

    async def finish(self, mail_id: str, status: str, at: datetime, **fields: Any) -> None:
        async with document_lock(self.mails, mail_id):
            await asyncio.gather(
                self.mails.update_one(
                    {"_id": mail_id}, {"$set": {"status": status, "finished_at": at, **fields}}
                ),
                self.queue.delete_one({"_id": mail_id}),
            )

    async def retry(self, mail_id: str, due_at: datetime, error: str) -> None:
        async with document_lock(self.mails, mail_id):
            await asyncio.gather(
                self.mails.update_one(
                    {"_id": mail_id},
                    {
                        "$set": {"status": "pending", "due_at": due_at, "last_error": error},
                        "$inc": {"attempts": 1},
                    },
                ),
                self.queue.update_one({"_id": mail_id}, {"$set": {"due_at": due_at}}, upsert=True),
            )

    async def prune(self, before: datetime) -> int:
        """Delete the messages done before `before`. An hourly job, not a person's read:
        on FerretDB 1.x this filter decodes every message once an hour; on MongoDB an
        index on `finished_at` answers it."""
        result = await self.mails.delete_many(
            {"status": {"$in": list(DONE)}, "finished_at": {"$lt": before}}
        )
        return result.deleted_count

    async def ensure_indexes(self) -> None:
        await self.mails.create_index("finished_at")

    async def counts(self) -> dict[str, int]:
        return {"queued": await self.queue.estimated_document_count()}
