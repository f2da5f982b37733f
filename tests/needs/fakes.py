"""In-memory fakes of the needs service's repositories (`needs.adapters.repository`) and of
the outbox relay, for fast tests of the service layer (no Kafka, no database).

They implement exactly what `NeedsService` and `InboxService` call, with the contracts of
the Mongo ones: a need is stored as the document `need_to_doc` makes (datetimes cut to
milliseconds, as BSON stores them) and read back as a fresh object; `save(need, None)`
inserts (a second insert of an id fails as Mongo's does) and `save(need, rev)` is guarded
by the revision read, raising `ConcurrentModification` when it changed; the events a save
takes from the aggregate are kept with the state (the outbox) until the relay publishes
them; an organisation's own list and its inbox are newest first by (created_at, id), keyset
pages that say whether more follow; inbox entries and a need's matches are upserts by id
that keep `created_at` and the read state.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from marketplace_contracts.events import (
    CloudEvent,
    MatchFound,
    Payload,
    ScalingOpportunity,
    envelope,
)
from marketplace_platform.org_order import Ref
from marketplace_platform.outbox import ConcurrentModification
from needs.adapters.repository import (
    ADOPTIONS,
    NEEDS,
    AlreadyExists,
    _match_fields,
    _opportunity_fields,
    need_from_doc,
    need_to_doc,
)
from needs.domain.model import Adoption, Need

Document = dict[str, Any]
Outbox = dict[str, list[tuple[str, CloudEvent]]]
Key = tuple[float, str]


def stored(value: Any) -> Any:
    """A deep copy as the database keeps it: datetimes to the millisecond."""
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {k: stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [stored(v) for v in value]
    return copy.deepcopy(value)


def envelopes(payloads: list[Payload], source: str) -> list[tuple[str, CloudEvent]]:
    return [(p.topic, envelope(p, source=source)) for p in payloads]


def newest_first(
    keyed: dict[str, float], after: Key | None, limit: int, skip: Callable[[str], bool]
) -> tuple[list[str], bool]:
    """Ids by (created_ts, id) descending, those at or after `after` left out (as
    `OrgOrder.page`); whether more follow."""
    keys = sorted(((ts, i) for i, ts in keyed.items() if not skip(i)), reverse=True)
    if after is not None:
        keys = [k for k in keys if k < after]
    return [i for _, i in keys[:limit]], len(keys) > limit


Interference = Callable[[], Awaitable[None]]


class FakeNeeds:
    """`NeedsRepository`: get, save (revision-guarded), get_many, own_refs."""

    def __init__(self, source: str = "/needs") -> None:
        self.source = source
        self.docs: dict[str, Document] = {}
        self.outbox: Outbox = {}
        self.own: dict[str, dict[str, float]] = {}  # org -> need id -> created ts
        self.gets = 0
        # Run (once each, in order) at the start of the next guarded saves: another writer
        # changing the need between this one's read and its write.
        self.interfere: list[Interference] = []
        self._interfering = False

    async def get(self, need_id: str) -> tuple[Need, int] | None:
        self.gets += 1
        doc = self.docs.get(need_id)
        if doc is None:
            return None
        return need_from_doc(stored(doc)), int(doc["rev"])

    async def save(self, need: Need, expected_rev: int | None) -> int:
        if expected_rev is not None and self.interfere and not self._interfering:
            self._interfering = True  # the other writer's own save is not interfered with
            try:
                await self.interfere.pop(0)()
            finally:
                self._interfering = False
        if expected_rev is None:
            created = stored(need.created_at)
            self.own.setdefault(need.buyer_org, {})[need.id] = created.timestamp()
        events = envelopes(need.take_events(), self.source)
        state = stored(need_to_doc(need))
        if expected_rev is None:
            if need.id in self.docs:
                raise DuplicateKeyError(f"E11000 duplicate key {need.id}")
            self.docs[need.id] = {**state, "rev": 1}
            self.outbox[need.id] = events
            return 1
        current = self.docs.get(need.id)
        if current is None or current["rev"] != expected_rev:
            raise ConcurrentModification(f"needs/{need.id} changed concurrently")
        self.docs[need.id] = {**state, "rev": expected_rev + 1}
        self.outbox.setdefault(need.id, []).extend(events)
        return expected_rev + 1

    async def get_many(self, need_ids: list[str]) -> list[Need | None]:
        docs = [self.docs.get(i) for i in need_ids]
        return [need_from_doc(stored(d)) if d is not None else None for d in docs]

    async def own_refs(self, org: str, *, after: Key | None, limit: int) -> tuple[list[Ref], bool]:
        # `after` is the service's own key (-created_ts, id); the order's key is (ts, id).
        order_after = (-after[0], after[1]) if after else None
        own = self.own.get(org, {})
        ids, more = newest_first(own, order_after, limit, lambda _: False)
        return [Ref(i, own[i], False) for i in ids], more

    def cards_in(self, refs: list[Ref]) -> dict[str, Any]:
        return {}  # no card with a reference: a page reads its needs (`get_many`)


class FakeAdoptions:
    """`AdoptionsRepository.add`: one adoption per key, its events in its outbox."""

    def __init__(self, source: str = "/needs") -> None:
        self.source = source
        self.docs: dict[str, Document] = {}
        self.outbox: Outbox = {}

    async def add(self, adoption: Adoption, events: list[Payload]) -> None:
        state = stored(asdict(adoption))
        state["_id"] = state.pop("id")
        if state["_id"] in self.docs:
            raise AlreadyExists(adoption.id)
        self.docs[state["_id"]] = {**state, "rev": 1}
        self.outbox[state["_id"]] = envelopes(events, self.source)


@dataclass
class FakeRelay:
    """`OutboxRelay.publish_pending`: moves an aggregate's pending events to `sent` (the
    broker), in order, and returns how many."""

    outboxes: dict[str, Outbox]
    sent: list[tuple[str, CloudEvent]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def over(cls, needs: FakeNeeds, adoptions: FakeAdoptions) -> FakeRelay:
        return cls({NEEDS: needs.outbox, ADOPTIONS: adoptions.outbox})

    async def publish_pending(self, collection: str, doc_id: Any) -> int:
        self.calls.append((collection, doc_id))
        pending = self.outboxes[collection].get(doc_id, [])
        self.sent += pending
        self.outboxes[collection][doc_id] = []
        return len(pending)

    def types(self) -> list[str]:
        return [event.type for _, event in self.sent]


class FakeInbox:
    """`InboxRepository`: the buyer inbox and each need's matches, as upserts by id."""

    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}
        self.need_matches: dict[str, dict[str, Document]] = {}
        self.order: dict[str, dict[str, float]] = {}  # org -> entry id -> created ts

    def _reference(self, doc: Document) -> None:
        self.order.setdefault(doc["buyer_org"], {}).setdefault(
            doc["_id"], doc["created_at"].timestamp()
        )

    async def upsert_match(self, match: MatchFound, at: datetime) -> Document:
        return (await self.upsert_matches([match], at))[0]

    async def upsert_matches(self, matches: list[MatchFound], at: datetime) -> list[Document]:
        at = stored(at)
        fields = [(m.match_id, _match_fields(m, at)) for m in matches]
        for _, f in fields:
            solutions = self.need_matches.setdefault(f["need_id"], {})
            held = solutions.get(f["solution_id"])
            created = held.get("created_at", f["updated_at"]) if held else f["updated_at"]
            solutions[f["solution_id"]] = stored({**f, "created_at": created})
        latest = {i: {"_id": i, **f, "kind": "match"} for i, f in fields}
        out: list[Document] = []
        for entry_id, doc in latest.items():
            held = self.docs.get(entry_id)
            on_insert = {"created_at": at, "read": False, "read_at": None}
            self.docs[entry_id] = stored({**on_insert, **doc} if held is None else {**held, **doc})
            self._reference(self.docs[entry_id])
            out.append(stored(self.docs[entry_id]))
        return out

    async def upsert_opportunities(
        self, opps: list[ScalingOpportunity], at: datetime
    ) -> list[Document]:
        return [await self.upsert_opportunity(o, at) for o in opps]

    async def upsert_opportunity(self, opp: ScalingOpportunity, at: datetime) -> Document:
        at = stored(at)
        fields = {**_opportunity_fields(opp, at), "kind": "scaling"}
        held = self.docs.get(opp.opportunity_id) or {
            "_id": opp.opportunity_id,
            "created_at": at,
            "read": False,
            "read_at": None,
        }
        self.docs[opp.opportunity_id] = stored({**held, **fields})
        self._reference(self.docs[opp.opportunity_id])
        return stored(self.docs[opp.opportunity_id])

    async def entries(
        self, org: str, *, unread_only: bool, after: Key | None, limit: int
    ) -> tuple[list[Document], bool]:
        def skip(entry_id: str) -> bool:
            return unread_only and bool(self.docs.get(entry_id, {}).get("read"))

        ids, more = newest_first(self.order.get(org, {}), after, limit, skip)
        return [stored(self.docs[i]) for i in ids if i in self.docs], more

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        doc = self.docs.get(entry_id)
        if doc is None or doc.get("buyer_org") != org:
            return None
        if not doc.get("read"):
            doc.update(read=True, read_at=stored(at))
        return stored(doc)

    async def matches_of(self, need_id: str) -> list[Document]:
        return [stored(d) for d in self.need_matches.get(need_id, {}).values()]
