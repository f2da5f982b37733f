"""Mongo repositories of the needs service.

Needs and adoptions are aggregates written with their events through the embedded outbox
(`marketplace_platform.outbox.save`); inbox entries and matches are read models written by
the consumers as upserts keyed by the deterministic ids of the matching service.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from marketplace_contracts.events import CloudEvent, MatchFound, Payload, ScalingOpportunity
from marketplace_contracts.reference import municipality
from marketplace_contracts.text.summary import summary_of
from marketplace_platform.mongo import document_lock, retry_upsert, upsert_many
from marketplace_platform.org_order import OrgOrder, Ref, entries_of
from marketplace_platform.outbox import save

from ..domain.listing import NeedCard
from ..domain.model import (
    Adoption,
    Cosigner,
    HistoryEntry,
    Implementation,
    Need,
    cpv_prefixes,
)

Document = dict[str, Any]

NEEDS = "needs"
ADOPTIONS = "adoptions"
INBOX = "inbox"
INBOX_ORDER = "inbox_order"
OWN_NEEDS_ORDER = "own_needs_order"
MATCHES = "matches"
OUTBOX_COLLECTIONS = (NEEDS, ADOPTIONS)


class AlreadyExists(Exception):
    pass


def _events(payloads: list[Payload], source: str) -> list[tuple[str, CloudEvent]]:
    from marketplace_contracts.events import envelope

    return [(p.topic, envelope(p, source=source)) for p in payloads]


def need_to_doc(need: Need) -> Document:
    return {
        "_id": need.id,
        "buyer_org": need.buyer_org,
        "created_by": need.created_by,
        "title": need.title,
        "problem": need.problem,
        "desired_outcomes": list(need.desired_outcomes),
        "target_group": need.target_group,
        "cpv_codes": list(need.cpv_codes),
        "cpv_prefixes": cpv_prefixes(need.cpv_codes),
        "municipality_code": need.municipality_code,
        "county_code": municipality(need.municipality_code).county_code,
        "tags": list(need.tags),
        "language": need.language,
        "budget_sek": need.budget_sek,
        "timeline": need.timeline,
        "phase": need.phase,
        "status": need.status,
        "version": need.version,
        "created_at": need.created_at,
        "updated_at": need.updated_at,
        "published_at": need.published_at,
        "cosigners": [asdict(c) for c in need.cosigners],
        "cosigner_orgs": [c.org for c in need.cosigners],
        "history": [asdict(h) for h in need.history],
        "implementations": [asdict(i) for i in need.implementations],
        # No search terms: the `q` search is answered by the in-memory listing, and a
        # need's terms were most of its document (7.4 of 8.6 KB), which FerretDB decodes
        # whole on every read (7 ms a need read by `_id`, 1.8 ms without them).
    }


def need_from_doc(doc: Document) -> Need:
    return Need(
        id=doc["_id"],
        buyer_org=doc["buyer_org"],
        created_by=doc["created_by"],
        title=doc["title"],
        problem=doc["problem"],
        desired_outcomes=list(doc.get("desired_outcomes") or []),
        target_group=doc.get("target_group"),
        cpv_codes=list(doc["cpv_codes"]),
        municipality_code=doc["municipality_code"],
        tags=list(doc.get("tags") or []),
        language=doc.get("language") or "sv",
        budget_sek=doc.get("budget_sek"),
        timeline=doc.get("timeline"),
        phase=doc["phase"],
        status=doc["status"],
        version=int(doc.get("version") or 0),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        published_at=doc.get("published_at"),
        cosigners=[Cosigner(**c) for c in doc.get("cosigners") or []],
        history=[HistoryEntry(**h) for h in doc.get("history") or []],
        implementations=[Implementation(**i) for i in doc.get("implementations") or []],
    )


# What a list shows of a need, kept with its reference in its organisation's order.
CARD_FIELDS = (
    "buyer_org",
    "created_at",
    "title",
    "cpv_codes",
    "municipality_code",
    "tags",
    "language",
    "phase",
    "status",
    "version",
    "published_at",
    "updated_at",
)


def card_doc(doc: Document) -> Document:
    """The card of a stored need (its document, or a projection with `CARD_FIELDS`, the
    problem and the co-signers)."""
    card = {"_id": doc["_id"], **{field: doc.get(field) for field in CARD_FIELDS}}
    card["summary"] = summary_of(doc.get("problem") or "")
    card["organisations"] = 1 + len(doc.get("cosigner_orgs") or [])
    return card


def card_from_doc(card: Document) -> NeedCard:
    return NeedCard(
        need_id=card["_id"],
        buyer_org=card["buyer_org"],
        title=card["title"],
        summary=card["summary"],
        cpv_codes=tuple(card["cpv_codes"]),
        municipality_code=card["municipality_code"],
        tags=tuple(card.get("tags") or ()),
        language=card.get("language") or "sv",
        phase=card["phase"],
        status=card["status"],
        version=int(card["version"]),
        organisations=int(card["organisations"]),
        published_at=card.get("published_at"),
        updated_at=card["updated_at"],
    )


class NeedsRepository:
    """Needs by `_id`; each organisation's own needs (drafts included) in the order of their
    creation, kept by `OrgOrder` in documents read by `_id` (see that module: FerretDB 1.x
    reads the whole collection for a filter on `buyer_org`). The order keeps each need's
    card, renewed on every save, so that a page of own needs (mostly drafts, which no
    listing holds, for a buyer that writes many) reads no need."""

    def __init__(self, db: AsyncDatabase[Document], source: str) -> None:
        self.collection = db[NEEDS]
        self.own = OrgOrder(db[OWN_NEEDS_ORDER], cards=True)
        self.source = source

    async def ensure_indexes(self) -> None:
        """Needs are read by `_id` alone, so no index beyond it; the organisations' orders
        are filled once for a database whose needs predate them (one read of every need;
        version 2: with cards)."""
        fields = dict.fromkeys((*CARD_FIELDS, "problem", "cosigner_orgs"), 1)

        async def cards() -> AsyncIterator[Document]:
            async for doc in self.collection.find({}, fields):
                yield card_doc(doc)

        await self.own.fill_once(cards, org="buyer_org", version=2)

    async def get(self, need_id: str) -> tuple[Need, int] | None:
        doc = await self.collection.find_one({"_id": need_id}, projection={"outbox": 0})
        if doc is None:
            return None
        return need_from_doc(doc), int(doc["rev"])

    async def save(self, need: Need, expected_rev: int | None) -> int:
        """State and the events the aggregate caused, in one write. A new need is put in
        its organisation's order first: a crash in between leaves a reference to nothing,
        which the list skips, rather than a need the list never shows."""
        state = need_to_doc(need)
        card = card_doc(state)
        if expected_rev is None:
            await self.own.add(need.buyer_org, [(need.id, need.created_at)], cards={need.id: card})
        events = _events(need.take_events(), self.source)
        rev = await save(self.collection, state, events, expected_rev)
        # Renewed once saved (a refused change must not show); a crash in between leaves
        # the card of the state before until the need's next change.
        if expected_rev is not None and not await self.own.renew_card(
            need.buyer_org, need.id, need.created_at, card
        ):
            await self.own.add(need.buyer_org, [(need.id, need.created_at)], cards={need.id: card})
        return rev

    async def get_many(self, need_ids: list[str]) -> list[Need | None]:
        """Needs by id, in the order asked, each read by `_id` alone and all at once."""
        docs = await asyncio.gather(
            *(self.collection.find_one({"_id": i}, projection={"outbox": 0}) for i in need_ids)
        )
        return [need_from_doc(d) if d is not None else None for d in docs]

    async def own_refs(
        self, org: str, *, after: tuple[float, str] | None, limit: int
    ) -> tuple[list[Ref], bool]:
        """An organisation's own needs, drafts included, newest first (keyset by created_at
        and id, `after` as (-created_ts, id)): references only; whether more follow."""
        return await self.own.page(
            org, unread_only=False, after=(-after[0], after[1]) if after else None, limit=limit
        )

    def cards_in(self, refs: list[Ref]) -> dict[str, NeedCard]:
        """The cards the references of `own_refs` carry (one made before cards were kept
        has none), by need id."""
        return {r.entry_id: card_from_doc(r.card) for r in refs if r.card is not None}


class AdoptionsRepository:
    def __init__(self, db: AsyncDatabase[Document], source: str) -> None:
        self.collection = db[ADOPTIONS]
        self.source = source

    async def add(self, adoption: Adoption, events: list[Payload]) -> None:
        state = asdict(adoption)
        state["_id"] = state.pop("id")
        try:
            await save(self.collection, state, _events(events, self.source), None)
        except DuplicateKeyError:
            raise AlreadyExists(adoption.id) from None


def _reasons(payload: MatchFound | ScalingOpportunity) -> list[Document]:
    return [r.model_dump(mode="json") for r in payload.reasons]


def _opportunity_fields(opp: ScalingOpportunity, at: datetime) -> Document:
    return {
        "need_id": opp.need_id,
        "need_title": opp.need_title,
        "buyer_org": opp.buyer_org,
        "solution_id": opp.solution_id,
        "solution_name": opp.solution_name,
        "supplier_org": opp.supplier_org,
        "adoption_count": opp.adoption_count,
        "deployments": [d.model_dump(mode="json") for d in opp.deployments],
        "score": opp.score,
        "reasons": _reasons(opp),
        "triggered_by": opp.triggered_by,
        "updated_at": at,
    }


def _match_fields(match: MatchFound, at: datetime) -> Document:
    return {
        "need_id": match.need_id,
        "need_version": match.need_version,
        "need_title": match.need_title,
        "buyer_org": match.buyer_org,
        "solution_id": match.solution_id,
        "solution_version": match.solution_version,
        "solution_name": match.solution_name,
        "supplier_org": match.supplier_org,
        "score": match.score,
        "reasons": _reasons(match),
        "updated_at": at,
    }


class InboxRepository:
    """Inbox entries (matches and scaling opportunities) and the matches of each need.

    A need's matches are one document keyed by the need's id (`solutions`: the match of each
    solution), so that reading them is a lookup by `_id`, the one read FerretDB 1.x answers
    from an index. match.found is keyed by need, so one consumer writes a need's document.
    """

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.inbox = db[INBOX]
        self.matches = db[MATCHES]
        # Each reference holds its entry as the inbox shows it: a page reads no entries.
        self.order = OrgOrder(db[INBOX_ORDER], cards=True)

    async def ensure_indexes(self) -> None:
        await self._reference_entries_written_before_the_order()

    async def _reference_entries_written_before_the_order(self) -> None:
        # Version 2: the references carry cards (an order of version 1 is made again).
        await self.order.fill_once(
            lambda: self.inbox.find({}), org="buyer_org", read="read", version=2
        )

    async def _reference(self, stored: list[Document]) -> None:
        await self.order.reference(stored, org="buyer_org")

    async def upsert_match(self, match: MatchFound, at: datetime) -> Document:
        return (await self.upsert_matches([match], at))[0]

    async def upsert_matches(self, matches: list[MatchFound], at: datetime) -> list[Document]:
        """Many matches at once: one insert per collection for the new ones; returns the
        inbox entries as stored (a re-ranked match updates its entry, read state kept)."""
        fields = [(m.match_id, _match_fields(m, at)) for m in matches]
        by_need: dict[str, list[Document]] = {}
        for _, f in fields:
            by_need.setdefault(f["need_id"], []).append(f)
        await asyncio.gather(*(self._merge_matches(n, found) for n, found in by_need.items()))
        stored = await upsert_many(
            self.inbox,
            [{"_id": i, **f, "kind": "match"} for i, f in fields],
            {"created_at": at, "read": False, "read_at": None},
        )
        await self._reference(stored)
        return stored

    async def upsert_opportunities(
        self, opps: list[ScalingOpportunity], at: datetime
    ) -> list[Document]:
        """Many opportunities at once (an implementation tells hundreds of buyers): one
        insert for the new ones and one order update per buyer, as `upsert_matches`."""
        stored = await upsert_many(
            self.inbox,
            [
                {"_id": o.opportunity_id, **_opportunity_fields(o, at), "kind": "scaling"}
                for o in opps
            ],
            {"created_at": at, "read": False, "read_at": None},
        )
        await self._reference(stored)
        return stored

    async def upsert_opportunity(self, opp: ScalingOpportunity, at: datetime) -> Document:
        fields = _opportunity_fields(opp, at)
        return await self._upsert_entry(opp.opportunity_id, "scaling", fields, at)

    async def _upsert_entry(
        self, entry_id: str, kind: str, fields: Document, at: datetime
    ) -> Document:
        doc = await retry_upsert(
            lambda: self.inbox.find_one_and_update(
                {"_id": entry_id},
                {
                    "$set": {**fields, "kind": kind},
                    "$setOnInsert": {"created_at": at, "read": False, "read_at": None},
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        )
        assert doc is not None
        await self._reference([doc])
        return doc

    async def entries(
        self, org: str, *, unread_only: bool, after: tuple[float, str] | None, limit: int
    ) -> tuple[list[Document], bool]:
        """Newest first, from the organisation's inbox order and the cards it holds."""
        refs, more = await self.order.page(org, unread_only=unread_only, after=after, limit=limit)
        return await entries_of(self.inbox, refs), more

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        doc = await self.inbox.find_one({"_id": entry_id})
        if doc is None or doc.get("buyer_org") != org:
            return None
        if not doc.get("read"):
            await self.inbox.update_one({"_id": entry_id}, {"$set": {"read": True, "read_at": at}})
            doc = await self.inbox.find_one({"_id": entry_id}) or doc
            await self.order.mark_read(org, entry_id, doc["created_at"], card=doc)
        return doc

    async def _merge_matches(self, need_id: str, found: list[Document]) -> None:
        async with document_lock(self.matches, need_id):
            doc = await self.matches.find_one({"_id": need_id}) or {"solutions": {}}
            solutions: dict[str, Document] = doc["solutions"]
            for match in found:
                held = solutions.get(match["solution_id"])
                created = held.get("created_at", match["updated_at"]) if held else None
                solutions[match["solution_id"]] = {
                    **match,
                    "created_at": created or match["updated_at"],
                }
            await retry_upsert(
                lambda: self.matches.replace_one(
                    {"_id": need_id}, {"_id": need_id, "solutions": solutions}, upsert=True
                )
            )

    async def prune_read(self, before: datetime) -> int:
        """Delete the entries read and created before `before` (each by `_id`)."""
        dropped = await self.order.prune(before)
        for start in range(0, len(dropped), 100):
            batch = dropped[start : start + 100]
            await asyncio.gather(*(self.inbox.delete_one({"_id": i}) for i in batch))
        return len(dropped)

    async def matches_of(self, need_id: str) -> list[Document]:
        doc = await self.matches.find_one({"_id": need_id})
        return list(doc["solutions"].values()) if doc else []
