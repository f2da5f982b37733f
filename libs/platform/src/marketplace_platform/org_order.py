"""Each organisation's own list in order (its inbox, its needs), kept in documents read by
`_id` alone.

An inbox holds up to a million entries; FerretDB 1.x answers a filter on `buyer_org` (or
any field but `_id`) by decoding every entry of the collection. So each organisation's
inbox order lives in chunks of references, `_id` "<org>|<n>", each up to `CHUNK` entries
`{i: entry_id, t: created_ts, r: read}` in arrival order (FerretDB 1.x stores no nested
arrays), and a head `_id` "<org>|head" with the number of the last chunk, the time of each
chunk's first entry and how many unread references each chunk holds. A page, newest first,
is the head and the chunks it needs (for unread ones, only chunks that hold any).

An order may keep with each reference a card (`c`): the entry as a page shows it, so that
a page needs no read of the entries. FerretDB 1.x spends about 1.5 ms on each document
it returns and little on its size (measured: 20 inbox entries by `_id`, all at once, 20-30
ms; one document holding 25 of them, 8 ms), so such orders use smaller chunks (`CARD_CHUNK`):
a first page of 20 reads about 35 cards. The owner passes the card again when the entry
changes (a re-ranked match, a read), and the reference keeps the newest.

The head also keeps a copy of the newest `RECENT` references (`recent`, newest first, and
`recent_all` when they are all there are), so that a first page, the page read most, is
the head alone at any size: without it, a page of 20 needs the last chunk and, once that
holds fewer than 21, the one before (measured at 100 000 needs: a buyer's own needs 5 ms
at 1 000, 13 ms from 10 000 on). Every reference newer than the oldest copy is among the
copies; each write that changes a reference changes its copy with it.

Writes to one organisation's chunks are serialised in-process (`mongo.document_lock`); the
service's writer lease keeps them to one process on FerretDB. An entry whose reference is
missing (a crash between the entry's write and its reference's) gets it when its event is
handled again: `add` puts every reference in the chunk that covers its time, once.
"""

from __future__ import annotations

import asyncio
import bisect
import math
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from .mongo import document_lock, retry_upsert, run_once

Document = dict[str, Any]
CHUNK = 200  # references per chunk: a first page reads one chunk of about 16 KB
CARD_CHUNK = 25  # references with cards (about 1.2 KB each) per chunk
RECENT = 25  # references the head keeps a copy of: a first page of up to 24
ORGS = "|orgs"  # not an organisation's name: those never start with "|"
LEGACY_MARKERS = ("|filled", "|backfilled")  # see `_filled_at`


@dataclass(frozen=True, slots=True)
class Ref:
    entry_id: str
    created_ts: float
    read: bool
    card: Document | None = None


class OrgOrder:
    def __init__(self, collection: AsyncCollection[Document], *, cards: bool = False) -> None:
        self.collection = collection
        self.cards = cards
        self.chunk = CARD_CHUNK if cards else CHUNK

    # --- writes ------------------------------------------------------------------------

    async def add(
        self,
        org: str,
        entries: Sequence[tuple[str, datetime]],
        read: Collection[str] = (),
        cards: Mapping[str, Document] | None = None,
    ) -> None:
        """Reference entries (id, created_at) in the chunk that covers their time (new ones:
        the last), those in `read` as read (a backfill), each with its card from `cards`
        if given; one referenced already is left as it is, but for a newer card."""
        if not entries:
            return
        cards = cards or {}
        async with document_lock(self.collection, _head_id(org)):
            head = await self._head(org)
            by_chunk: dict[int, list[tuple[str, datetime]]] = {}
            for entry in entries:
                by_chunk.setdefault(_chunk_of(head, order_ts(entry[1])), []).append(entry)
            known: dict[int, list[Document]] = {}
            touched: list[Document] = []
            for number in sorted(n for n in by_chunk if n < head["last"]):
                entries_there = by_chunk[number]
                touched += await self._add_to_earlier(
                    org, head, number, entries_there, read=read, cards=cards, known=known
                )
            touched += await self._append(
                org, head, by_chunk.get(head["last"], []), read=read, cards=cards, known=known
            )
            await self._keep_recent(org, head, touched, known)
            await self._write_head(org, head)

    async def reference(self, docs: Sequence[Document], *, org: str) -> None:
        """Reference stored entries in their organisations' orders (`org`: the field naming
        it), each entry its own card in an order that keeps cards."""
        by_org: dict[str, list[Document]] = {}
        for doc in docs:
            by_org.setdefault(doc[org], []).append(doc)
        await asyncio.gather(*(self._add_documents(o, owned) for o, owned in by_org.items()))

    async def _add_documents(
        self, org: str, docs: Sequence[Document], read: Collection[str] = ()
    ) -> None:
        """`add` for stored entries (`_id`, `created_at`), each its own card if kept."""
        cards = cards_of(docs) if self.cards else None
        await self.add(org, [(d["_id"], d["created_at"]) for d in docs], read, cards)

    async def _add_to_earlier(
        self,
        org: str,
        head: Document,
        number: int,
        entries: list[tuple[str, datetime]],
        *,
        read: Collection[str],
        cards: Mapping[str, Document],
        known: dict[int, list[Document]],
    ) -> list[Document]:
        """A replay, or a reference a crash lost: it goes back where its time belongs.
        Returns the references added or given a newer card."""
        refs: list[Document] = (await self._chunk(org, number))["refs"]
        known[number] = refs
        touched = [r for r in refs if renew_cards([r], cards)]
        present = {r["i"] for r in refs}
        missing = [e for e in entries if e[0] not in present]
        if missing:
            added = [_ref(i, created_at, i in read, cards.get(i)) for i, created_at in missing]
            refs += added
            touched += added
            head["unread"][number] += sum(1 for i, _ in missing if i not in read)
        if touched:
            await self._write_chunk(org, number, refs)
        return touched

    async def _append(
        self,
        org: str,
        head: Document,
        entries: list[tuple[str, datetime]],
        *,
        read: Collection[str],
        cards: Mapping[str, Document],
        known: dict[int, list[Document]],
    ) -> list[Document]:
        """New references at the end, in chunks of `self.chunk`; returns those added or
        given a newer card."""
        refs: list[Document] = (await self._chunk(org, head["last"]))["refs"]
        touched = [r for r in refs if renew_cards([r], cards)]
        present = {r["i"] for r in refs}
        for entry_id, created_at in sorted(entries, key=lambda e: (e[1], e[0])):
            if entry_id in present:
                continue
            present.add(entry_id)
            if len(refs) >= self.chunk:
                await self._write_chunk(org, head["last"], refs)
                known[head["last"]] = refs
                head["last"] += 1
                head["firsts"].append(order_ts(created_at))
                head["unread"].append(0)
                refs = []
            if not head["firsts"]:
                head["firsts"].append(order_ts(created_at))
            ref = _ref(entry_id, created_at, entry_id in read, cards.get(entry_id))
            refs.append(ref)
            touched.append(ref)
            if entry_id not in read:
                head["unread"][head["last"]] += 1
        known[head["last"]] = refs
        await self._write_chunk(org, head["last"], refs)
        return touched

    async def _keep_recent(
        self, org: str, head: Document, touched: list[Document], known: dict[int, list[Document]]
    ) -> None:
        """The head's copies of the newest references, after `touched` were added or
        changed: merged into the copies while those are exact (all of them, or a full
        `RECENT`), else read again from the newest chunks (a head written before copies
        were kept, or one that pruning left short)."""
        recent: list[Document] | None = head.get("recent")
        complete = bool(head.get("recent_all"))
        if recent is not None and (complete or len(recent) >= RECENT):
            by_id = {r["i"]: r for r in recent}
            by_id.update((r["i"], r) for r in touched)
            merged = sorted(by_id.values(), key=_key, reverse=True)
            head["recent"] = merged[:RECENT]
            head["recent_all"] = complete and len(merged) <= RECENT
            return
        found: dict[str, Document] = {}
        number = int(head["last"])
        start = -math.inf
        while number >= 0:
            refs = known.get(number)
            if refs is None:
                refs = (await self._chunk(org, number))["refs"]
            found.update((r["i"], r) for r in refs)
            start = head["firsts"][number] if 0 < number < len(head["firsts"]) else -math.inf
            number -= 1
            if sum(1 for r in found.values() if r["t"] > start) > RECENT:
                break
        settled = sorted((r for r in found.values() if r["t"] > start), key=_key, reverse=True)
        head["recent"] = settled[:RECENT]
        head["recent_all"] = number < 0 and len(settled) <= RECENT

    async def fill_once(
        self,
        documents: Callable[[], AsyncIterator[Document]],
        *,
        org: str,
        read: str | None = None,
        version: int = 1,
    ) -> int:
        """Reference, once per order and `version` (`mongo.run_once`), the documents written
        before it: one read of the collection, at start and before the consumers add to
        it. A version other than the first starts the order again from the documents,
        which hold everything it derives (version 2 of the inboxes: cards). With cards,
        each document is its own card. Returns how many it referenced (0 once done)."""
        job = f"{self.collection.name}.filled"
        if version != 1:
            job += f".v{version}"

        async def fill() -> int:
            if version != 1:
                # Dropped, not emptied: FerretDB decodes every document it deletes (about 6
                # ms for a chunk of 25 cards: minutes for an inbox of a million entries).
                await self.collection.drop()
            return await self._fill(documents(), org=org, read=read)

        return await run_once(
            self.collection.database, job, fill, done_before=lambda: self._filled_at(version)
        )

    async def _filled_at(self, version: int) -> bool:
        """The marker a release before `run_once` kept in the order itself ("|filled", or
        "|backfilled" for webhook deliveries), with the version it filled (none: 1)."""
        for marker_id in LEGACY_MARKERS:
            marker = await self.collection.find_one({"_id": marker_id})
            if marker is not None:
                return bool(marker.get("version", 1) == version)
        return False

    async def _fill(self, documents: AsyncIterator[Document], *, org: str, read: str | None) -> int:
        # An empty order (always so for a version that starts again) is built in memory a
        # chunk at a time and each chunk written once; otherwise by `add`.
        if await self.collection.find_one({}, projection={"_id": 1}) is None:
            return await self._fill_empty(documents, org=org, read=read)
        return await self._fill_by_adding(documents, org=org, read=read)

    async def _fill_by_adding(
        self, documents: AsyncIterator[Document], *, org: str, read: str | None
    ) -> int:
        buffered: dict[str, list[Document]] = {}
        referenced = 0

        async def flush(owner: str) -> None:
            docs = buffered.pop(owner)
            read_ids = {d["_id"] for d in docs if read is not None and d.get(read)}
            await self._add_documents(owner, docs, read_ids)

        # An organisation's documents are added a few chunks at a time, so that a card
        # order of a million entries is not held in memory whole.
        async for doc in documents:
            buffered.setdefault(doc[org], []).append(doc)
            referenced += 1
            if len(buffered[doc[org]]) >= self.chunk * 4:
                await flush(doc[org])
        for owner in list(buffered):
            await flush(owner)
        return referenced

    async def _fill_empty(
        self, documents: AsyncIterator[Document], *, org: str, read: str | None
    ) -> int:
        """Documents arrive about in the order they were written, so each organisation's
        references are appended in order and a chunk, once full, is written as it will stay
        (measured at 10 000 inbox entries: about 3x faster than `add`, which reads and
        writes the head and the open chunk for every few chunks). One that arrives older
        than its organisation's newest is set aside for `add` once the orders are written;
        should too many be, the rest of the documents go through `add` as well."""
        fillings: dict[str, _Filling] = {}
        late: list[Document] = []
        writer = _ChunkWriter(self.collection)
        referenced = 0
        overflowed = False
        async for doc in documents:
            referenced += 1
            owner = doc[org]
            filling = fillings.get(owner)
            if filling is None:
                filling = fillings[owner] = _Filling(_head_id(owner), self.chunk)
            ref = _ref(
                doc["_id"],
                doc["created_at"],
                read is not None and bool(doc.get(read)),
                doc if self.cards else None,
            )
            if not filling.append(ref, owner, writer):
                late.append(doc)
                if len(late) >= LATE_LIMIT:
                    overflowed = True
                    break
            await writer.maybe_flush()
        for owner, filling in fillings.items():
            filling.close(owner, writer)
        await writer.flush_all()
        await self._register_all(list(fillings))
        by_owner: dict[str, list[Document]] = {}
        for doc in late:
            by_owner.setdefault(doc[org], []).append(doc)
        for owner, docs in by_owner.items():
            for start in range(0, len(docs), self.chunk * 4):
                part = docs[start : start + self.chunk * 4]
                read_ids = {d["_id"] for d in part if read is not None and d.get(read)}
                await self._add_documents(owner, part, read_ids)
        if overflowed:
            referenced += await self._fill_by_adding(documents, org=org, read=read)
        return referenced

    async def _register_all(self, orgs: list[str]) -> None:
        async with document_lock(self.collection, ORGS):
            registry = await self.collection.find_one({"_id": ORGS}) or {"orgs": []}
            known = set(registry["orgs"])
            merged = [*registry["orgs"], *(o for o in orgs if o not in known)]
            await retry_upsert(
                lambda: self.collection.replace_one(
                    {"_id": ORGS}, {"_id": ORGS, "orgs": merged}, upsert=True
                )
            )

    async def mark_read(
        self, org: str, entry_id: str, created_at: datetime, card: Document | None = None
    ) -> None:
        """Mark the entry's reference read, with its card as it is now if given."""
        async with document_lock(self.collection, _head_id(org)):
            head = await self._head(org)
            number = _chunk_of(head, order_ts(created_at))
            chunk = await self._chunk(org, number)
            for ref in chunk["refs"]:
                if ref["i"] == entry_id and not ref["r"]:
                    ref["r"] = True
                    if card is not None:
                        ref["c"] = card
                    await self._write_chunk(org, number, chunk["refs"])
                    head["unread"][number] = max(0, head["unread"][number] - 1)
                    _copy_into_recent(head, ref)
                    await self._write_head(org, head)
                    return

    async def renew_card(
        self, org: str, entry_id: str, created_at: datetime, card: Document
    ) -> bool:
        """Give a referenced entry its card as it is now (one chunk read, and written only
        if the card changed); false when the entry is not referenced (`add` references)."""
        async with document_lock(self.collection, _head_id(org)):
            head = await self.collection.find_one({"_id": _head_id(org)})
            if head is None:
                return False
            number = _chunk_of(head, order_ts(created_at))
            refs: list[Document] = (await self._chunk(org, number))["refs"]
            if not any(ref["i"] == entry_id for ref in refs):
                return False
            if renew_cards(refs, {entry_id: card}):
                await self._write_chunk(org, number, refs)
                # A head with copies was written by this code, so it is whole.
                if renew_cards(head.get("recent") or [], {entry_id: card}):
                    await self._write_head(org, head)
            return True

    async def prune(self, before: datetime) -> list[str]:
        """Drop the references of entries read and created before `before`; returns their ids
        for the caller to delete. Chunks run oldest first, so each organisation's walk stops
        at the first chunk that begins later; the last chunk, still filling, is kept whole."""
        cutoff = before.timestamp()
        registry = await self.collection.find_one({"_id": ORGS}) or {"orgs": []}
        dropped: list[str] = []
        for org in registry["orgs"]:
            async with document_lock(self.collection, _head_id(org)):
                # Read as stored: pruning drops read references only, so it neither needs
                # nor changes the unread counts `_head` would compute for an older head.
                head = await self.collection.find_one({"_id": _head_id(org)})
                if head is None:
                    continue
                gone: list[str] = []
                for number in range(int(head["last"])):
                    if head["firsts"][number] >= cutoff:
                        break
                    refs: list[Document] = (await self._chunk(org, number))["refs"]
                    old_and_read = [r for r in refs if r["r"] and r["t"] < cutoff]
                    if old_and_read:
                        gone += [r["i"] for r in old_and_read]
                        await self._write_chunk(
                            org, number, [r for r in refs if r not in old_and_read]
                        )
                dropped += gone
                # Copies of what was dropped go too: the rest stay the newest there are.
                recent = head.get("recent") or []
                gone_ids = set(gone)
                left = [r for r in recent if r["i"] not in gone_ids]
                if len(left) < len(recent):
                    head["recent"] = left
                    await self._write_head(org, head)
        return dropped

    # --- reads -------------------------------------------------------------------------

    async def page(
        self, org: str, *, unread_only: bool, after: tuple[float, str] | None, limit: int
    ) -> tuple[list[Ref], bool]:
        """References newest first, by (created_ts, id) descending (`after` the key of the
        previous page's last one), and whether more follow.

        Chunks are read from the newest until more than `limit` references are settled:
        every reference in an older chunk is at most as new as the start of the chunk
        read last, so only those newer than that start are known to be in place (entries
        of the same time can sit on both sides of a chunk's start)."""
        head = await self.collection.find_one({"_id": _head_id(org)})
        if head is None:
            return [], False
        recent: list[Document] | None = head.get("recent")
        if after is None and recent is not None:
            shown = [_as_ref(r) for r in recent if not (unread_only and r["r"])]
            # More copies than the page: the page is among them, and more follow.
            if len(shown) > limit or head.get("recent_all"):
                return shown[:limit], len(shown) > limit
        firsts: list[float] = head["firsts"]
        # Unread counts per chunk: a head written before they were kept has none.
        unread: list[int] | None = head.get("unread")
        if unread is not None and len(unread) != int(head["last"]) + 1:
            unread = None
        number = int(head["last"]) if after is None else _chunk_of(head, after[0])
        found: dict[str, Ref] = {}
        while number >= 0:
            nothing_unread = unread_only and unread is not None and unread[number] == 0
            refs = [] if nothing_unread else (await self._chunk(org, number))["refs"]
            for ref in refs:
                key = (float(ref["t"]), str(ref["i"]))
                if (after is not None and key >= after) or (unread_only and ref["r"]):
                    continue
                found.setdefault(key[1], _as_ref(ref))
            start = firsts[number] if 0 < number < len(firsts) else -math.inf
            number -= 1
            if sum(1 for r in found.values() if r.created_ts > start) > limit:
                break
        ordered = sorted(found.values(), key=lambda r: (r.created_ts, r.entry_id), reverse=True)
        return ordered[:limit], len(ordered) > limit

    # --- documents ---------------------------------------------------------------------

    async def _head(self, org: str) -> Document:
        """The head to change (under the organisation's lock); one written before unread
        counts were kept gets them now, from one read of its chunks."""
        head = await self.collection.find_one({"_id": _head_id(org)})
        if head is None:
            new = {"last": 0, "firsts": [], "unread": [0], "recent": [], "recent_all": True}
            return {"_id": _head_id(org), **new, "new": True}
        if len(head.get("unread") or []) != int(head["last"]) + 1:
            head["unread"] = [
                sum(1 for r in (await self._chunk(org, n))["refs"] if not r["r"])
                for n in range(int(head["last"]) + 1)
            ]
        return head

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
        body = {
            "_id": doc_id,
            "last": head["last"],
            "firsts": head["firsts"],
            "unread": head["unread"],
        }
        if "recent" in head:
            body["recent"] = head["recent"]
            body["recent_all"] = bool(head.get("recent_all"))
        await retry_upsert(lambda: self.collection.replace_one({"_id": doc_id}, body, upsert=True))


def _head_id(org: str) -> str:
    return f"{org}|head"


def _chunk_id(org: str, number: int) -> str:
    return f"{org}|{number:07d}"


def _key(ref: Document) -> tuple[float, str]:
    """A stored reference's place in its order, as `page` sorts (newest first: reversed)."""
    return float(ref["t"]), str(ref["i"])


def _as_ref(ref: Document) -> Ref:
    return Ref(str(ref["i"]), float(ref["t"]), bool(ref["r"]), ref.get("c"))


def _copy_into_recent(head: Document, ref: Document) -> None:
    """The head's copy of `ref`, if it keeps one, as `ref` is now."""
    recent = head.get("recent") or []
    for number, copy in enumerate(recent):
        if copy["i"] == ref["i"]:
            recent[number] = ref


def _chunk_of(head: Document, ts: float) -> int:
    """The chunk whose entries began at or before `ts` (the first chunk for earlier ones)."""
    return max(0, min(bisect.bisect_right(head["firsts"], ts) - 1, int(head["last"])))


def _ref(
    entry_id: str, created_at: datetime, read: bool = False, card: Document | None = None
) -> Document:
    # In milliseconds, as the database stores times: a reference and its entry agree.
    ref: Document = {"i": entry_id, "t": order_ts(created_at), "r": read}
    if card is not None:
        ref["c"] = card
    return ref


def renew_cards(refs: list[Document], cards: Mapping[str, Document]) -> bool:
    """Give the references present (`{i: id, c: card}`) the newer cards among `cards`;
    true if any changed."""
    changed = False
    for ref in refs:
        card = cards.get(ref["i"])
        if card is not None and ref.get("c") != card:
            ref["c"] = card
            changed = True
    return changed


def order_ts(at: datetime) -> float:
    """The time a reference is ordered by: to the millisecond, as the database keeps it."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000).timestamp()


def cards_of(docs: Sequence[Document]) -> dict[str, Document]:
    """Entries as stored, each its own card."""
    return {doc["_id"]: doc for doc in docs}


async def entries_of(collection: AsyncCollection[Document], refs: Sequence[Ref]) -> list[Document]:
    """The entries of a page: each reference's card, or (a reference made before cards were
    kept) the entry read by `_id`, those all at once; an entry gone since is left out."""
    missing = [r.entry_id for r in refs if r.card is None]
    found = await asyncio.gather(*(collection.find_one({"_id": i}) for i in missing))
    read = {i: doc for i, doc in zip(missing, found, strict=True)}
    docs = [r.card if r.card is not None else read[r.entry_id] for r in refs]
    return [d for d in docs if d is not None]


LATE_LIMIT = 20_000  # references a fill of an empty order sets aside before it adds the rest


class _ChunkWriter:
    """Chunks and heads of a fill, inserted a batch at a time, each batch while the next
    one is read (the database decodes and encodes on its own cores)."""

    BATCH = 32  # documents of up to about 30 KB each

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection
        self.ready: list[Document] = []
        self.writing: asyncio.Task[Any] | None = None

    def put(self, doc: Document) -> None:
        self.ready.append(doc)

    async def maybe_flush(self) -> None:
        if len(self.ready) >= self.BATCH:
            await self._start()

    async def flush_all(self) -> None:
        while self.ready:
            await self._start()
        if self.writing is not None:
            await self.writing
            self.writing = None

    async def _start(self) -> None:
        if self.writing is not None:
            await self.writing
        batch, self.ready = self.ready[: self.BATCH], self.ready[self.BATCH :]
        self.writing = asyncio.create_task(self.collection.insert_many(batch))


class _Filling:
    """One organisation's order while a fill of an empty order builds it: its open chunk,
    its head's fields and its newest references (the head's copies)."""

    def __init__(self, head_id: str, chunk: int) -> None:
        self.head_id = head_id
        self.chunk = chunk
        self.last = 0
        self.firsts: list[float] = []
        self.unread = [0]
        self.refs: list[Document] = []
        self.newest: deque[Document] = deque(maxlen=RECENT)
        self.count = 0

    def append(self, ref: Document, org: str, writer: _ChunkWriter) -> bool:
        """Append `ref` if it is the newest yet (false: it is not, and was left out)."""
        if self.newest and _key(ref) <= _key(self.newest[-1]):
            return False
        if len(self.refs) >= self.chunk:
            writer.put({"_id": _chunk_id(org, self.last), "refs": self.refs})
            self.last += 1
            self.firsts.append(ref["t"])
            self.unread.append(0)
            self.refs = []
        if not self.firsts:
            self.firsts.append(ref["t"])
        self.refs.append(ref)
        self.newest.append(ref)
        self.count += 1
        if not ref["r"]:
            self.unread[self.last] += 1
        return True

    def close(self, org: str, writer: _ChunkWriter) -> None:
        """The open chunk and the head, as `add` would have left them."""
        writer.put({"_id": _chunk_id(org, self.last), "refs": self.refs})
        writer.put(
            {
                "_id": self.head_id,
                "last": self.last,
                "firsts": self.firsts,
                "unread": self.unread,
                "recent": list(reversed(self.newest)),
                "recent_all": self.count <= RECENT,
            }
        )
