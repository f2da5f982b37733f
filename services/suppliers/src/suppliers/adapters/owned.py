"""Each supplier's own few items (its subscriptions, its webhooks) in order of creation, in
one document per supplier read by `_id` alone.

FerretDB 1.x answers a filter on `supplier_org` (or any field but `_id`) by decoding every
document of the collection. A supplier holds few of these items (at most 100 active
subscriptions and 10 webhooks), so their ids fit one document per supplier,
`{_id: org, items: [{i: item_id, t: created_ts}]}` in order of creation; a list is that
document, then the items themselves, each by `_id`, all at once. An owner that passes
cards keeps each item as its list shows it with the reference (`c`), renewed on every
change, and a list is that one document (FerretDB 1.x spends about 1.5 ms on each
document it returns: a page of 50 subscriptions took 8-12 ms by `_id`, 50 at once).

Writes to one supplier's document are serialised in-process (`mongo.document_lock`); the
service's writer lease keeps them to one process on FerretDB. The caller writes a new
item's reference before the item (a crash in between leaves a reference to nothing, which
lists skip) and drops it after the item is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from marketplace_platform.mongo import document_lock, retry_upsert, run_once
from marketplace_platform.org_order import renew_cards

from .repository import Document, Key

# The marker of a release before `run_once` (not an organisation's name: those never
# start with "|").
LEGACY_BACKFILLED = "|backfilled"


class OwnedIds:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def add(
        self,
        org: str,
        items: Sequence[tuple[str, datetime]],
        cards: Mapping[str, Document] | None = None,
    ) -> None:
        """Reference items (id, created_at), each with its card from `cards` if given; one
        referenced already is left alone, but for a newer card."""
        cards = cards or {}
        async with document_lock(self.collection, org):
            refs = await self._refs(org)
            present = {r["i"] for r in refs}
            new = [
                _ref(item_id, created_at, cards.get(item_id))
                for item_id, created_at in items
                if item_id not in present
            ]
            renewed = renew_cards(refs, cards)
            if new or renewed:
                await self._write(org, sorted([*refs, *new], key=_key))

    async def renew_card(self, org: str, item_id: str, card: Document) -> None:
        """Give a referenced item its card as it is now (written only if it changed)."""
        async with document_lock(self.collection, org):
            refs = await self._refs(org)
            if renew_cards(refs, {item_id: card}):
                await self._write(org, refs)

    async def remove(self, org: str, item_id: str) -> None:
        async with document_lock(self.collection, org):
            refs = await self._refs(org)
            kept = [r for r in refs if r["i"] != item_id]
            if len(kept) != len(refs):
                await self._write(org, kept)

    async def count(self, org: str) -> int:
        return len(await self._refs(org))

    async def ids(self, org: str) -> list[str]:
        """Every referenced id, oldest first."""
        return [r["i"] for r in await self._refs(org)]

    async def ids_of(self, orgs: Sequence[str]) -> dict[str, list[str]]:
        found = await asyncio.gather(*(self.ids(org) for org in orgs))
        return dict(zip(orgs, found, strict=True))

    async def page(
        self, org: str, *, after: Key | None, limit: int
    ) -> tuple[list[tuple[str, Document | None]], Key | None]:
        """Ids oldest first after `after`, each with its card (None: not kept, or kept
        before cards were), and the key to continue after (None at the end)."""
        refs = [r for r in await self._refs(org) if after is None or _key(r) > after]
        shown = [(r["i"], r.get("c")) for r in refs[:limit]]
        return shown, _key(refs[limit - 1]) if len(refs) > limit else None

    # --- the one-off reference of items that predate these documents ---------------------

    async def fill_once(
        self,
        documents: Callable[[], AsyncIterator[Document]],
        *,
        cards: bool = False,
        version: int = 1,
    ) -> int:
        """Reference, once per database and `version` (`mongo.run_once`), the items written
        before these documents (each with `_id`, `supplier_org` and `created_at`; with
        `cards`, each document is its item's card): one read of them, at start. A version
        other than the first starts the documents again. Returns how many it referenced (0
        once done)."""

        async def fill() -> int:
            if version != 1:
                await self.collection.delete_many({})
            by_org: dict[str, list[Document]] = {}
            async for doc in documents():
                by_org.setdefault(doc["supplier_org"], []).append(doc)
            for org, docs in by_org.items():
                items = [(d["_id"], d["created_at"]) for d in docs]
                await self.add(org, items, {d["_id"]: d for d in docs} if cards else None)
            return sum(len(docs) for docs in by_org.values())

        job = f"{self.collection.name}.filled" + (f".v{version}" if version != 1 else "")
        return await run_once(
            self.collection.database,
            job,
            fill,
            done_before=self._backfilled_by_an_older_release if version == 1 else None,
        )

    async def _backfilled_by_an_older_release(self) -> bool:
        return await self.collection.find_one({"_id": LEGACY_BACKFILLED}) is not None

    # --- documents -----------------------------------------------------------------------

    async def _refs(self, org: str) -> list[Document]:
        doc = await self.collection.find_one({"_id": org})
        return list(doc["items"]) if doc is not None else []

    async def _write(self, org: str, refs: list[Document]) -> None:
        await retry_upsert(
            lambda: self.collection.replace_one(
                {"_id": org}, {"_id": org, "items": refs}, upsert=True
            )
        )


def _ref(item_id: str, created_at: datetime, card: Document | None) -> Document:
    ref: Document = {"i": item_id, "t": created_at.timestamp()}
    if card is not None:
        ref["c"] = card
    return ref


def _key(ref: Document) -> Key:
    return (float(ref["t"]), str(ref["i"]))
