"""Step 1 of the scale seed: the documents, written as the needs stream by.

Documents are built by the services' own code. Needs by `needs.adapters.repository`'s
`need_to_doc`, solutions and subscriptions by the suppliers' `solution_state` /
`subscription_state`, each with the events of its history passed through
`marketplace_platform.outbox.save` into a stand-in collection that keeps the document
instead of sending it, then inserted many at a time; outboxes are stored empty, as the
relay leaves them once the broker acknowledged every event. Inbox entries and the
matches of each need are written by the inbox repositories themselves
(`upsert_matches`, `upsert_opportunity`, `store_many`), a week of entries per call;
supplier profiles by `put`. The per-organisation orders of the inboxes are left to the
services' first start (`_OrderLater`).

Alongside, `Samples` keeps uniform samples of the ids, orgs and filters the measuring will
call with, and the writer keeps the events the outboxes held (by topic) and the inbox
entries to mark read later, in the seed database.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.scale_data import FIRST_NEED, Marketplace
from bench.scale_plan import NeedRecord, Opportunity, Plan
from bench.scale_store import (
    PARTS,
    Databases,
    Document,
    Log,
    Stopwatch,
    per_org_in_order,
    repair_lookup_indexes,
    storage,
    when_not_busy,
)
from marketplace_platform.mongo import insert_absent

SOURCE_NEEDS = "/marketplace/needs"
SOURCE_SUPPLIERS = "/marketplace/suppliers"
BATCH = 500  # documents per insert_many
WINDOW = timedelta(days=7)  # inbox entries are written a week at a time
# Inbox entries their organisation has read; each read costs about six round trips
# (entry, order chunk and head), so at 100 000 needs 1 % is already 20 000 reads.
READ_SHARE = 0.01
SAMPLES = 400  # ids and orgs kept per kind for the measuring


# --- documents as the services store them -------------------------------------------------


class _CapturedCollection:
    """Stands in for a collection: keeps what `outbox.save` inserts instead of sending it,
    so that the services' own code builds each document and many are written at once."""

    name = full_name = "captured"

    def __init__(self) -> None:
        self.docs: list[Document] = []
        self.database = self  # `save` marks the aggregate pending there: a seeded outbox
        # is stored empty, as the relay leaves it, so the marker is not kept either

    def __getitem__(self, name: str) -> _CapturedCollection:
        return self

    async def update_one(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def insert_one(self, doc: Document) -> None:
        self.docs.append(doc)


async def stored_form(state: Document, events: list[tuple[str, Any]], writes: int) -> Document:
    """The document `outbox.save` inserts for `state` and its events, as the relay leaves
    it once the broker acknowledged them (an empty outbox), with the revision a history
    of `writes` saves gave it; the events are kept aside under `_sent`."""
    from marketplace_platform.outbox import save

    target = _CapturedCollection()
    await save(target, state, events, None)  # type: ignore[arg-type]  # a stand-in
    [doc] = target.docs
    doc["_sent"] = doc.pop("outbox")
    doc["outbox"] = []
    doc["rev"] = writes
    return doc


def sent_events(doc: Document) -> list[Document]:
    return doc.pop("_sent")


class _OrderLater:
    """Stands in for an inbox repository's per-organisation order while seeding: the
    service builds the order itself at its first start, from the entries (its one-off
    reference of an inbox that predates the order), one pass per organisation."""

    async def add(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def reference(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def mark_read(self, *args: Any, **kwargs: Any) -> None:
        return None


# --- samples for the measuring -----------------------------------------------------------


class Samples:
    """Uniform samples (reservoirs) of what the reads and writes will be called with, and
    how many inbox entries and subscriptions each organisation has."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.kept: dict[str, list[Any]] = defaultdict(list)
        self.seen: Counter[str] = Counter()
        self.buyer_entries: Counter[str] = Counter()
        self.supplier_entries: Counter[str] = Counter()
        self.subscribers: Counter[str] = Counter()

    def offer(self, kind: str, value: Any) -> None:
        self.seen[kind] += 1
        kept = self.kept[kind]
        if len(kept) < SAMPLES:
            kept.append(value)
            return
        slot = self.rng.randrange(self.seen[kind])
        if slot < SAMPLES:
            kept[slot] = value

    def need(self, record: NeedRecord, home: str) -> None:
        need = record.need
        who = {"id": need.id, "org": need.buyer_org, "home": home}
        self.offer("buyers", {"org": need.buyer_org, "home": home})
        if need.status == "draft":
            self.offer("drafts", who)
        if need.status != "published":
            return
        self.offer("published", who)
        if record.matches:
            self.offer("with_matches", who)
        forward = {"hypothesis": "validation", "validation": "co-creation"}
        if need.phase in forward:
            self.offer("movable", {**who, "to": forward[need.phase]})
        self.offer("cpv", need.cpv_codes[0][: self.rng.choice((2, 3, 3, 4, 5))])
        place = need.municipality_code
        self.offer("region", self.rng.choice((place, place[:2])))
        self.offer("phase", need.phase)
        words = [w for w in need.title.split() if len(w) >= 6]
        if words:
            self.offer("need_words", self.rng.choice(words).lower())

    def solution(self, solution: Any) -> None:
        if solution.status != "published":
            return
        self.offer("solutions", solution.solution_id)
        self.offer("solution_suppliers", solution.supplier_org)
        self.offer("solution_cpv", solution.cpv_codes[0][: self.rng.choice((2, 3, 4))])
        self.offer("solution_region", self.rng.choice(solution.regions))
        words = [w for w in solution.description.split() if len(w) >= 6]
        if words:
            self.offer("solution_words", self.rng.choice(words).lower())

    def as_documents(self) -> list[Document]:
        docs: list[Document] = [{"_id": kind, "values": v} for kind, v in self.kept.items()]
        docs.append({"_id": "buyer_entries", "values": dict(self.buyer_entries)})
        docs.append({"_id": "supplier_entries", "values": dict(self.supplier_entries)})
        docs.append({"_id": "subscribers", "values": dict(self.subscribers)})
        return docs


# --- step 1: documents ---------------------------------------------------------------------


class Writer:
    """Writes the missing databases as the needs stream by in publication order, a week
    of inbox entries at a time (so that each organisation's inbox grows in order, as the
    consumers write it)."""

    def __init__(self, dbs: Databases, kinds: set[str], market: Marketplace) -> None:
        self.dbs = dbs
        self.kinds = kinds
        self.market = market
        self.clock = Stopwatch()
        self.s = storage()
        self.buyer_inbox = self.s.BuyerInbox(dbs["needs"])
        self.supplier_inbox = self.s.SupplierInbox(dbs["suppliers"])
        for repo in (self.buyer_inbox, self.supplier_inbox):
            if hasattr(repo, "order"):
                repo.order = _OrderLater()
        self.samples = Samples(seed=size_seed(dbs.size))
        self.read_rng = random.Random(size_seed(dbs.size) + 1)
        self.reads: dict[str, list[Document]] = {"needs": [], "suppliers": []}
        self.homes = {b.org: b.home for b in market.buyers}
        self.need_docs: list[Document] = []
        self.topic_batches = itertools.count()
        self.window: int | None = None
        self.window_matches: list[Any] = []
        self.window_alerts: list[Any] = []
        self.later: list[tuple[datetime, int, Opportunity]] = []  # a heap by time
        self.tiebreak = itertools.count()
        self.lookup_checked_at = 0.0
        self.repaired: list[str] = []

    # --- needs ---------------------------------------------------------------------------

    async def need(self, record: NeedRecord) -> None:
        self.samples.need(record, self.homes[record.need.buyer_org])
        if record.published_at is not None:
            await self._advance_to(_window_of(record.published_at))
            self.window_matches.extend(record.matches)
            self.window_alerts.extend(record.alerts)
            for opp in record.opportunities:
                heapq.heappush(self.later, (opp.at, next(self.tiebreak), opp))
        self.need_docs.append(await self._need_document(record))
        if len(self.need_docs) >= BATCH:
            await self._write_needs()

    async def _need_document(self, record: NeedRecord) -> Document:
        """What `NeedsRepository.save` stores for a new need, with the events of its whole
        history (one save here where the service made one per command)."""
        from marketplace_contracts.events import envelope

        need = record.need
        events = [(p.topic, envelope(p, source=SOURCE_NEEDS)) for p in need.take_events()]
        return await stored_form(self.s.need_to_doc(need), events, record.writes)

    async def _write_needs(self) -> None:
        docs, self.need_docs = self.need_docs, []
        if "needs" not in self.kinds or not docs:
            return
        # The needs topic keeps every need.* event; adoption.recorded goes to its own topic,
        # which no service measured here reads (solutions hold their deployments already).
        events = [e for doc in docs for e in sent_events(doc) if e["topic"] == "needs"]
        collection = self.dbs["needs"]["needs"]
        await self.clock.timed(
            "needs", when_not_busy(lambda: insert_absent(collection, docs)), len(docs)
        )
        await self._keep_events("needs", "needs", events)

    async def _keep_events(self, database: str, topic: str, entries: list[Document]) -> None:
        if not entries:
            return
        batch = {
            "_id": f"{topic}:{next(self.topic_batches):07d}",
            "database": database,
            "topic": topic,
            "events": [json.dumps(e["event"]) for e in entries],
        }
        topics = self.dbs["seed"]["topics"]
        write = when_not_busy(lambda: insert_absent(topics, [batch]))
        await self.clock.timed("topic_events", write, len(entries))

    async def finish_stream(self) -> None:
        await self._write_needs()
        while self.window_matches or self.window_alerts or self.later:
            await self._advance_to((self.window or 0) + 1)

    # --- inboxes, a week at a time -----------------------------------------------------

    async def _advance_to(self, window: int) -> None:
        if self.window is None:
            self.window = window
        while self.window < window:
            await self._flush(self.window)
            self.window += 1

    async def _flush(self, window: int) -> None:
        self._keep_lookup_indexes()
        # A week's entries are written at its end (the last week's at the seed's end).
        at = min(FIRST_NEED + WINDOW * (window + 1), self.market.end)
        matches, self.window_matches = self.window_matches, []
        alerts, self.window_alerts = self.window_alerts, []
        opportunities = []
        while self.later and self.later[0][0] < at:
            opportunities.append(heapq.heappop(self.later)[2])
        if "needs" in self.kinds:
            await self._buyer_week(matches, opportunities, at)
        if "suppliers" in self.kinds:
            await self._supplier_week(matches, alerts, at)
        for m in matches:
            self.samples.buyer_entries[m.buyer_org] += 1
            self.samples.supplier_entries[m.supplier_org] += 1
        for a in alerts:
            self.samples.supplier_entries[a.supplier_org] += 1
        for o in opportunities:
            self.samples.buyer_entries[o.payload.buyer_org] += 1

    async def _buyer_week(
        self, matches: list[Any], opportunities: list[Opportunity], at: datetime
    ) -> None:
        if matches:
            write = when_not_busy(lambda: self.buyer_inbox.upsert_matches(matches, at))
            await self.clock.timed("buyer_inbox", write, len(matches))
            for m in matches:
                self._maybe_read("needs", m.buyer_org, m.match_id, at)
        # Opportunities after the week's matches, a second apart: in time order.
        jobs: dict[str, list[Callable[[], Awaitable[Any]]]] = defaultdict(list)
        for i, opp in enumerate(opportunities):
            when = at + timedelta(seconds=i + 1)
            payload = opp.payload
            jobs[payload.buyer_org].append(
                lambda p=payload, w=when: self.buyer_inbox.upsert_opportunity(p, w)
            )
            self._maybe_read("needs", payload.buyer_org, payload.opportunity_id, when)
        if jobs:
            await self.clock.timed("buyer_inbox", per_org_in_order(jobs), len(opportunities))

    async def _supplier_week(self, matches: list[Any], alerts: list[Any], at: datetime) -> None:
        from marketplace_contracts.events import deterministic_id

        # Each with the event id the matching service gives it (matching.service.engine).
        entries = [
            self.s.from_match(
                m,
                deterministic_id(
                    "match.found", m.match_id, str(m.need_version), str(m.solution_version)
                ),
            )
            for m in matches
        ]
        entries += [
            self.s.from_alert(a, deterministic_id("alert.raised", a.alert_id)) for a in alerts
        ]
        for start in range(0, len(entries), BATCH * 4):
            chunk = entries[start : start + BATCH * 4]
            write = when_not_busy(lambda c=chunk: self.supplier_inbox.store_many(c, at))
            await self.clock.timed("supplier_inbox", write, len(chunk))
        for e in entries:
            self._maybe_read("suppliers", e["supplier_org"], e["_id"], at)

    def _maybe_read(self, database: str, org: str, entry_id: str, at: datetime) -> None:
        if self.read_rng.random() < READ_SHARE:
            read_at = min(self.market.end, at + timedelta(days=self.read_rng.uniform(0.1, 20)))
            self.reads[database].append({"org": org, "id": entry_id, "at": read_at})

    def _keep_lookup_indexes(self, now: bool = False) -> None:
        """New collections appear as the repositories write; see `repair_lookup_indexes`."""
        if now or time.monotonic() - self.lookup_checked_at > 5:
            self.lookup_checked_at = time.monotonic()
            self.repaired += repair_lookup_indexes(self.dbs.size)

    # --- after the stream: the catalogue, the reads to come ------------------------------

    async def solutions(self) -> None:
        events_of = importlib.import_module(self.s.events)
        docs = []
        for seeded in self.market.solutions:
            solution = seeded.solution
            self.samples.solution(solution)
            state = self.s.solution_state(
                solution, created_at=seeded.created_at, updated_at=seeded.updated_at
            )
            # The solutions topic is compacted: the last event of each solution is its state.
            if solution.status == "retired":
                last = events_of.solution_retired(solution, SOURCE_SUPPLIERS)
            elif solution.version > 1:
                last = events_of.solution_updated(solution, SOURCE_SUPPLIERS)
            else:
                last = events_of.solution_published(solution, SOURCE_SUPPLIERS)
            docs.append(await stored_form(state, [last], seeded.writes))
        await self._insert_with_events("solutions", "solutions", docs)

    async def subscriptions(self) -> None:
        events_of = importlib.import_module(self.s.events)
        docs = []
        for seeded in self.market.subscriptions:
            subscription = seeded.subscription
            if subscription.status == "active":
                self.samples.subscribers[subscription.supplier_org] += 1
                last = events_of.subscription_upserted(subscription, SOURCE_SUPPLIERS)
            else:
                last = events_of.subscription_deleted(subscription, SOURCE_SUPPLIERS)
            state = self.s.subscription_state(
                subscription, created_at=seeded.created_at, updated_at=seeded.updated_at
            )
            docs.append(await stored_form(state, [last], seeded.writes))
        await self._insert_with_events("subscriptions", "subscriptions", docs)

    async def _insert_with_events(self, part: str, topic: str, docs: list[Document]) -> None:
        if "suppliers" not in self.kinds:
            return
        collection = self.dbs["suppliers"][part]
        for start in range(0, len(docs), BATCH):
            chunk = docs[start : start + BATCH]
            events = [e for doc in chunk for e in sent_events(doc)]
            write = when_not_busy(lambda c=chunk: insert_absent(collection, c))
            await self.clock.timed(part, write, len(chunk))
            await self._keep_events("suppliers", topic, events)

    async def profiles(self) -> None:
        if "suppliers" not in self.kinds:
            return
        repo = self.s.Profiles(self.dbs["suppliers"])
        await repo.get("|")  # the collection exists, so that its lookup index can be made
        self._keep_lookup_indexes(now=True)
        jobs = {
            org: [lambda o=org, f=fields, a=at: repo.put(o, f, a)]
            for org, fields, at in self.market.profiles()
        }
        await self.clock.timed("profiles", per_org_in_order(jobs), len(jobs))

    async def keep_reads(self) -> None:
        """The entries to mark read after the first start (when the orders exist)."""
        for database, reads in self.reads.items():
            if database not in self.kinds:
                continue
            for start in range(0, len(reads), BATCH * 4):
                doc = {
                    "_id": f"{database}:{start:09d}",
                    "database": database,
                    "reads": reads[start : start + BATCH * 4],
                }
                await self.dbs["seed"]["reads"].insert_one(doc)


def _window_of(at: datetime) -> int:
    return max(0, int((at - FIRST_NEED) / WINDOW))


def size_seed(size: int) -> int:
    return 15_000 + size


async def write_documents(dbs: Databases, marker: Document, kinds: list[str], log: Log) -> None:
    started = time.perf_counter()
    for kind in kinds:
        await dbs.drop(kind)
    market = Marketplace(Plan(dbs.size), end=marker["end"], seed=size_seed(dbs.size))
    writer = Writer(dbs, set(kinds), market)
    for n, record in enumerate(market.needs(), 1):
        await writer.need(record)
        if n % max(1, dbs.size // 10) == 0:
            waits = sum(writer.clock.seconds.values())
            spent = time.perf_counter() - started
            log(f"size {dbs.size}: {n} needs, {spent:.0f} s ({waits:.0f} s writing)")
    await writer.finish_stream()
    await writer.solutions()
    await writer.subscriptions()
    await writer.profiles()
    await writer.keep_reads()
    await dbs["seed"]["samples"].delete_many({})
    await dbs["seed"]["samples"].insert_many(writer.samples.as_documents())
    total_s = time.perf_counter() - started
    writing_s = sum(writer.clock.seconds.values())
    for kind in kinds:
        marker["databases"][kind] = {
            "done": True,
            "parts": {part: writer.clock.report(part) for part in PARTS[kind]},
            "seeded_at": datetime.now(UTC),
        }
    marker.pop("first_start", None)
    marker.pop("reads", None)
    marker["documents"] = {
        "databases": kinds,
        "seconds": round(total_s, 1),
        "writing_s": round(writing_s, 1),
        "generating_s": round(total_s - writing_s, 1),  # domain commands, ranking, builders
        "topic_events": writer.clock.report("topic_events"),
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "lookup_indexes_repaired": writer.repaired + repair_lookup_indexes(dbs.size),
    }
    await dbs.save_marker(marker)
    log(f"size {dbs.size}: documents in {total_s:.0f} s ({writing_s:.0f} s writing)")
