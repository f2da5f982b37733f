"""Each organisation's own list in order (its inbox, its needs), kept in documents read by
`_id` alone.

An inbox holds up to a million entries; FerretDB 1.x answers a filter on `buyer_org` (or
any field but `_id`) by decoding every entry of the collection. So each organisation's
inbox order lives in chunks of references, `_id` "<org>|<n>", each up to `CHUNK` entries
`{i: entry_id, t: created_ts, r: read}` in arrival order (FerretDB 1.x stores no nested
arrays), and a head `_id` "<org>|head" with the
number of the last chunk and the time of each chunk's first entry. A page, newest first, is
the head, the chunks it needs (one for a first page of 20, read all unread ones included),
and then the entries themselves, each by `_id`, all at once.

Writes to one organisation's chunks are serialised in-process (`mongo.document_lock`); the
service's writer lease keeps them to one process on FerretDB. An entry whose reference is
missing (a crash between the entry's write and its reference's) gets it when its event is
handled again: `add` puts every reference in the chunk that covers its time, once.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from .mongo import document_lock, retry_upsert

Document = dict[str, Any]
CHUNK = 200  # references per chunk: a first page reads one chunk of about 16 KB
ORGS = "|orgs"  # not an organisation's name: those never start with "|"


@dataclass(frozen=True, slots=True)
class Ref:
    entry_id: str
    created_ts: float
    read: bool


class OrgOrder:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    # --- writes ------------------------------------------------------------------------

    async def add(self, org: str, entries: Sequence[tuple[str, datetime]]) -> None:
        """Reference entries (id, created_at) in the chunk that covers their time (new ones:
        the last); an entry referenced already is left alone."""
        if not entries:
            return
        async with document_lock(self.collection, _head_id(org)):
            head = await self._head(org)
            by_chunk: dict[int, list[tuple[str, datetime]]] = {}
            for entry in entries:
                by_chunk.setdefault(_chunk_of(head, entry[1].timestamp()), []).append(entry)
            for number in sorted(n for n in by_chunk if n < head["last"]):
                await self._add_to_earlier(org, number, by_chunk[number])
            await self._append(org, head, by_chunk.get(head["last"], []))
            await self._write_head(org, head)

    async def _add_to_earlier(
        self, org: str, number: int, entries: list[tuple[str, datetime]]
    ) -> None:
        """A replay, or a reference a crash lost: it goes back where its time belongs."""
        refs: list[Document] = (await self._chunk(org, number))["refs"]
        present = {r["i"] for r in refs}
        missing = [e for e in entries if e[0] not in present]
        if missing:
            refs += [_ref(entry_id, created_at) for entry_id, created_at in missing]
            await self._write_chunk(org, number, refs)

    async def _append(self, org: str, head: Document, entries: list[tuple[str, datetime]]) -> None:
        refs: list[Document] = (await self._chunk(org, head["last"]))["refs"]
        present = {r["i"] for r in refs}
        for entry_id, created_at in sorted(entries, key=lambda e: (e[1], e[0])):
            if entry_id in present:
                continue
            present.add(entry_id)
            if len(refs) >= CHUNK:
                await self._write_chunk(org, head["last"], refs)
                head["last"] += 1
                head["firsts"].append(created_at.timestamp())
                refs = []
            if not head["firsts"]:
                head["firsts"].append(created_at.timestamp())
            refs.append(_ref(entry_id, created_at))
        await self._write_chunk(org, head["last"], refs)

    async def mark_read(self, org: str, entry_id: str, created_at: datetime) -> None:
        async with document_lock(self.collection, _head_id(org)):
            head = await self._head(org)
            number = _chunk_of(head, created_at.timestamp())
            chunk = await self._chunk(org, number)
            for ref in chunk["refs"]:
                if ref["i"] == entry_id and not ref["r"]:
                    ref["r"] = True
                    await self._write_chunk(org, number, chunk["refs"])
                    return

    async def prune(self, before: datetime) -> list[str]:
        """Drop the references of entries read and created before `before`; returns their ids
        for the caller to delete. Chunks run oldest first, so each organisation's walk stops
        at the first chunk that begins later; the last chunk, still filling, is kept whole."""
        cutoff = before.timestamp()
        registry = await self.collection.find_one({"_id": ORGS}) or {"orgs": []}
        dropped: list[str] = []
        for org in registry["orgs"]:
            async with document_lock(self.collection, _head_id(org)):
                head = await self._head(org)
                for number in range(int(head["last"])):
                    if head["firsts"][number] >= cutoff:
                        break
                    refs: list[Document] = (await self._chunk(org, number))["refs"]
                    old_and_read = [r for r in refs if r["r"] and r["t"] < cutoff]
                    if old_and_read:
                        dropped += [r["i"] for r in old_and_read]
                        await self._write_chunk(
                            org, number, [r for r in refs if r not in old_and_read]
                        )
        return dropped

    # --- reads -------------------------------------------------------------------------

    async def page(
        self, org: str, *, unread_only: bool, after: tuple[float, str] | None, limit: int
    ) -> tuple[list[Ref], bool]:
        """References newest first (`after` the (created_ts, id) of the previous page's
        last one), and whether more follow."""
        head = await self.collection.find_one({"_id": _head_id(org)})
        if head is None:
            return [], False
        number = head["last"] if after is None else _chunk_of(head, after[0])
        out: list[Ref] = []
        seen: set[str] = set()
        while number >= 0 and len(out) <= limit:
            chunk = await self._chunk(org, number)
            for ref in sorted(chunk["refs"], key=_newest_first):
                entry_id, created_ts, read = ref["i"], float(ref["t"]), bool(ref["r"])
                if after is not None and (-created_ts, entry_id) <= (-after[0], after[1]):
                    continue
                if entry_id in seen or (unread_only and read):
                    continue
                seen.add(entry_id)
                out.append(Ref(entry_id, created_ts, read))
            number -= 1
        return out[:limit], len(out) > limit

    # --- documents ---------------------------------------------------------------------

    async def _head(self, org: str) -> Document:
        head = await self.collection.find_one({"_id": _head_id(org)})
        if head is not None:
            return head
        return {"_id": _head_id(org), "last": 0, "firsts": [], "new": True}

    async def _register(self, org: str) -> None:
        """The organisations with an inbox, one document, so that pruning can visit each."""
        async with document_lock(self.collection, ORGS):
            registry = await self.collection.find_one({"_id": ORGS}) or {"orgs": []}
            if org not in registry["orgs"]:
                orgs = [*registry["orgs"], org]
                await retry_upsert(
                    lambda: self.collection.replace_one(
                        {"_id": ORGS}, {"_id": ORGS, "orgs": orgs}, upsert=True
                    )
                )

    async def _chunk(self, org: str, number: int) -> Document:
        chunk = await self.collection.find_one({"_id": _chunk_id(org, number)})
        return chunk if chunk is not None else {"refs": []}

    async def _write_chunk(self, org: str, number: int, refs: list[Document]) -> None:
        doc_id = _chunk_id(org, number)
        await retry_upsert(
            lambda: self.collection.replace_one(
                {"_id": doc_id}, {"_id": doc_id, "refs": refs}, upsert=True
            )
        )

    async def _write_head(self, org: str, head: Document) -> None:
        if head.get("new"):
            await self._register(org)
        doc_id = _head_id(org)
        body = {"_id": doc_id, "last": head["last"], "firsts": head["firsts"]}
        await retry_upsert(lambda: self.collection.replace_one({"_id": doc_id}, body, upsert=True))


def _head_id(org: str) -> str:
    return f"{org}|head"


def _chunk_id(org: str, number: int) -> str:
    return f"{org}|{number:07d}"


def _chunk_of(head: Document, ts: float) -> int:
    """The chunk whose entries began at or before `ts` (the first chunk for earlier ones)."""
    return max(0, min(bisect.bisect_right(head["firsts"], ts) - 1, int(head["last"])))


def _ref(entry_id: str, created_at: datetime) -> Document:
    return {"i": entry_id, "t": created_at.timestamp(), "r": False}


def _newest_first(ref: Document) -> tuple[float, str]:
    return (-float(ref["t"]), str(ref["i"]))
