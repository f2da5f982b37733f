"""Mongo repository of the supplier inbox: entries keyed by the id of what caused them, and
each supplier's inbox order.

An inbox holds up to a million entries; FerretDB 1.x answers a filter on `supplier_org` (or
any field but `_id`) by decoding every entry of the collection. So each supplier's entries
are referenced, newest first, in an `OrgOrder` (``inbox_order``: chunks read by `_id`), with
their read state and a card (the entry as a page shows it); a page is the chunks it needs
and no read of the entries. An entry is written first and referenced after; a reference a
crash lost is restored when its event is handled again (`OrgOrder.add` puts it back where
its time belongs).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import insert_absent
from marketplace_platform.org_order import OrgOrder, Ref, entries_of

from .repository import Document, Key
from .times import DistinctTimes

log = logging.getLogger(__name__)

INBOX_ORDER = "inbox_order"


class MongoInbox:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db["inbox"]
        self.order = OrgOrder(db[INBOX_ORDER], cards=True)
        self.times = DistinctTimes()

    async def backfill(self) -> int:
        """Once, for a database whose inbox predates the order: one read of every entry
        (run before the service consumes or answers). Returns how many it referenced."""
        # Version 2: the references carry cards (an order of version 1 is made again).
        referenced = await self.order.fill_once(
            lambda: self.collection.find({}), org="supplier_org", read="read", version=2
        )
        if referenced:
            log.info("referenced the inbox in order", extra={"entries": referenced})
        return referenced

    async def store_many(self, entries: list[Document], at: datetime) -> list[Document]:
        """New entries are inserted unread, each created at its own time (`times`) about
        `at`; one that exists already gets the given fields (a replay, a re-ranked match),
        its creation and read state kept. Then every entry is referenced in its
        supplier's order (again for one that exists: a reference a crash lost comes back)."""
        latest: dict[str, Document] = {}
        for entry in entries:
            latest[entry["_id"]] = {**entry, "updated_at": at}
        new = [
            {"created_at": self.times.next(doc["supplier_org"], at), "read": False, **doc}
            for doc in latest.values()
        ]
        existing = await insert_absent(self.collection, new)
        stored: list[Document] = []
        for doc in new:
            if doc["_id"] not in existing:
                stored.append(doc)
                continue
            fields = {k: v for k, v in latest[doc["_id"]].items() if k != "_id"}
            await self.collection.update_one({"_id": doc["_id"]}, {"$set": fields})
            found = await self.collection.find_one({"_id": doc["_id"]})
            stored.append(found if found is not None else doc)
        await self.order.reference(stored, org="supplier_org")
        return stored

    async def page_for(
        self, org: str, *, unread: bool | None, after: Key | None, limit: int
    ) -> tuple[list[Document], Key | None]:
        """Newest first; `unread` True or False keeps only those. Returns the entries and
        the key to continue after (None on the last page)."""
        if limit <= 0:
            return [], None
        if unread is False:
            refs, next_key = await self._read_refs(org, after, limit)
        else:
            refs, more = await self.order.page(
                org, unread_only=bool(unread), after=after, limit=limit
            )
            next_key = _key(refs[-1]) if more and refs else None
        return await entries_of(self.collection, refs), next_key

    async def _read_refs(
        self, org: str, after: Key | None, limit: int
    ) -> tuple[list[Ref], Key | None]:
        """Read entries only: the order keeps unread-only pages, so this walks all
        references a chunk or more at a time and keeps the read ones."""
        out: list[Ref] = []
        while True:
            refs, more = await self.order.page(
                org, unread_only=False, after=after, limit=max(limit, self.order.chunk)
            )
            for ref in refs:
                if ref.read:
                    out.append(ref)
                    if len(out) > limit:
                        return out[:limit], _key(out[limit - 1])
            if not more or not refs:
                return out, None
            after = _key(refs[-1])

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        # Looked up by `_id` alone, then checked: another organisation's entry does not
        # exist for the caller.
        doc = await self.collection.find_one({"_id": entry_id})
        if doc is None or doc.get("supplier_org") != org:
            return None
        await self.collection.update_one({"_id": entry_id}, {"$set": {"read": True, "read_at": at}})
        now = await self.collection.find_one({"_id": entry_id})
        if not doc.get("read") and now is not None:
            await self.order.mark_read(org, entry_id, doc["created_at"], card=now)
        return now

    async def prune_read(self, before: datetime) -> int:
        """Delete the entries read and created before `before` (each by `_id`)."""
        dropped = await self.order.prune(before)
        for start in range(0, len(dropped), 100):
            batch = dropped[start : start + 100]
            await asyncio.gather(*(self.collection.delete_one({"_id": i}) for i in batch))
        if dropped:
            log.info("pruned read inbox entries", extra={"entries": len(dropped)})
        return len(dropped)


def _key(ref: Ref) -> Key:
    return (ref.created_ts, ref.entry_id)
