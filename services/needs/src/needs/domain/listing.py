"""The published needs as a searchable list, held in memory: pure, no I/O.

FerretDB 1.x answers only a filter on `_id` alone from an index; any other filter, sort or
count decodes the whole collection (seconds at a few thousand needs). So the list and its
searches are answered here, from postings per filter value. Each entry also holds the
need's card, what a list shows of it (title, the opening of the problem, codes, place,
phase, dates), so a page reads nothing from the database: twenty needs read by `_id` cost
20-40 ms once the database outgrows its caches. The listing is fed from
Kafka's needs topic (every instance sees every instance's writes) and from this instance's
own writes at once (so that a buyer sees what it just published); both carry the need's
version, and an older one never overwrites a newer one.

Order: newest publication first (ties: the greater id first); pages are keyset (`after` the
last key of the previous page), so a page costs the same at any depth and no total is
counted. Keys are kept ascending, (publication time, id), and walked from the end: needs
arrive roughly in the order they were published, so each one is appended, not inserted.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from marketplace_contracts.events import (
    NeedCosigned,
    NeedPhaseChanged,
    NeedState,
    NeedWithdrawn,
    Payload,
)
from marketplace_contracts.process import WITHDRAWN
from marketplace_contracts.reference import municipality
from marketplace_contracts.text.postings import Postings, Selection
from marketplace_contracts.text.search import index_terms
from marketplace_contracts.text.summary import summary_of

from .model import Need, cpv_prefixes

# Postings keys: one namespace per filter.
CPV, COUNTY, MUNICIPALITY = "cpv", "county", "municipality"
PHASE, STATUS, TERM = "phase", "status", "term"
PUBLISHED = "published"
# A candidate set this much smaller than the list is sorted; a larger one is walked in order.
SORT_BELOW_SHARE = 8

Key = tuple[float, str]  # (published timestamp, id); the list runs from the greatest


@dataclass(frozen=True, slots=True)
class NeedCard:
    """What a list shows of one need; the whole need is `GET /v1/needs/{id}`."""

    need_id: str
    buyer_org: str
    title: str
    summary: str
    cpv_codes: tuple[str, ...]
    municipality_code: str
    tags: tuple[str, ...]
    language: str
    phase: str
    status: str
    version: int
    organisations: int  # behind the need, its owner included
    published_at: datetime | None
    updated_at: datetime


def card_of_need(need: Need) -> NeedCard:
    """The card of a need as stored (a draft, which no listing holds)."""
    return NeedCard(
        need_id=need.id,
        buyer_org=need.buyer_org,
        title=need.title,
        summary=summary_of(need.problem),
        cpv_codes=tuple(need.cpv_codes),
        municipality_code=need.municipality_code,
        tags=tuple(need.tags),
        language=need.language,
        phase=need.phase,
        status=need.status,
        version=need.version,
        organisations=1 + len(need.cosigners),
        published_at=need.published_at,
        updated_at=need.updated_at,
    )


@dataclass(frozen=True, slots=True)
class Listed:
    """What the list needs of one need: its filters and its card's fields. `terms` are its
    search terms (text.index_terms, some 200 a need): the listing posts them and does not
    keep them; an entry made from a delta event (a phase move) has none and keeps the
    postings of the entry it follows."""

    need_id: str
    version: int
    buyer_org: str
    status: str
    phase: str
    published_ts: float
    cpv_prefixes: tuple[str, ...]
    county_code: str
    municipality_code: str
    terms: tuple[str, ...]
    title: str
    summary: str
    cpv_codes: tuple[str, ...]
    tags: tuple[str, ...]
    language: str
    organisations: int
    updated_ts: float

    def card(self) -> NeedCard:
        return NeedCard(
            need_id=self.need_id,
            buyer_org=self.buyer_org,
            title=self.title,
            summary=self.summary,
            cpv_codes=self.cpv_codes,
            municipality_code=self.municipality_code,
            tags=self.tags,
            language=self.language,
            phase=self.phase,
            status=self.status,
            version=self.version,
            organisations=self.organisations,
            published_at=datetime.fromtimestamp(self.published_ts, UTC),
            updated_at=datetime.fromtimestamp(self.updated_ts, UTC),
        )

    @property
    def key(self) -> Key:
        return (self.published_ts, self.need_id)

    def postings(self) -> Iterator[tuple[str, str]]:
        """The selective filters' keys; status and phase are checked on the entry itself."""
        yield COUNTY, self.county_code
        yield MUNICIPALITY, self.municipality_code
        for prefix in self.cpv_prefixes:
            yield CPV, prefix
        for term in self.terms:
            yield TERM, term

    def fits(self, query: ListQuery) -> bool:
        """The filters that are not postings (the others are checked by the caller)."""
        return self.phase == query.phase if query.phase else self.status == PUBLISHED


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Filters as the API takes them, already validated: each one narrows the list."""

    phase: str | None = None  # None: every published need; else that phase, ever published
    cpv_prefix: str | None = None
    county_codes: tuple[str, ...] = ()  # any of these counties
    municipality_code: str | None = None
    term_groups: tuple[tuple[str, ...], ...] = ()  # each group: any of its terms


class NeedListing:
    """Entries by id, their keys in order, and postings per filter value
    (`marketplace_contracts.text.postings`: a need keeps its ordinal while its text, codes
    and place stay the same)."""

    def __init__(self) -> None:
        self._entries: dict[str, Listed] = {}
        self._order: list[Key] = []  # ascending; the list runs from the end
        self._postings: Postings[tuple[str, str]] = Postings()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, need_id: str) -> Listed | None:
        return self._entries.get(need_id)

    def key_of(self, need_id: str) -> Key:
        return self._entries[need_id].key

    def put(self, entry: Listed) -> bool:
        """Add or replace a need's entry; an entry older than the one held is ignored."""
        old = self._entries.get(entry.need_id)
        if old is not None:
            if old.version >= entry.version:
                return False
            self._unorder(old)
        self._entries[entry.need_id] = replace(entry, terms=()) if entry.terms else entry
        self._order_in(entry.key)
        if old is None or entry.terms:  # an entry without terms keeps the postings held
            self._postings.post(entry.need_id, entry.postings())
        return True

    def _order_in(self, key: Key) -> None:
        if not self._order or self._order[-1] < key:
            self._order.append(key)  # the usual case: the newest publication
        else:
            bisect.insort(self._order, key)

    def _unorder(self, entry: Listed) -> None:
        index = bisect.bisect_left(self._order, entry.key)
        if index < len(self._order) and self._order[index] == entry.key:
            del self._order[index]

    def page(self, query: ListQuery, *, after: Key | None, limit: int) -> tuple[list[str], bool]:
        """The ids of one page in list order, and whether more follow."""
        selection = self._postings.select(self._posting_groups(query), SORT_BELOW_SHARE)
        if selection.nothing:
            return [], False
        if selection.few is not None:
            ids = self._sorted_matches(query, selection.few, after, limit + 1)
        else:
            ids = self._walked_matches(query, selection, after, limit + 1)
        return ids[:limit], len(ids) > limit

    @staticmethod
    def _posting_groups(query: ListQuery) -> list[list[tuple[str, str]]]:
        """One group a filter: the keys any of which it allows."""
        groups: list[list[tuple[str, str]]] = []
        if query.cpv_prefix:
            groups.append([(CPV, query.cpv_prefix)])
        if query.municipality_code:
            groups.append([(MUNICIPALITY, query.municipality_code)])
        if query.county_codes:
            groups.append([(COUNTY, c) for c in query.county_codes])
        for terms in query.term_groups:
            groups.append([(TERM, t) for t in terms])
        return groups

    def _sorted_matches(
        self, query: ListQuery, candidates: set[int], after: Key | None, count: int
    ) -> list[str]:
        entries = self._entries
        keys = (
            entries[need_id].key
            for need_id in self._postings.ids(candidates)
            if entries[need_id].fits(query)
        )
        if after is not None:
            keys = (key for key in keys if key < after)
        return [need_id for _, need_id in heapq.nlargest(count, keys)]

    def _walked_matches(
        self, query: ListQuery, selection: Selection, after: Key | None, count: int
    ) -> list[str]:
        ordinal, entries, order = self._postings.ordinal, self._entries, self._order
        end = bisect.bisect_left(order, after) if after is not None else len(order)
        out: list[str] = []
        for index in range(end - 1, -1, -1):
            need_id = order[index][1]
            if not entries[need_id].fits(query):
                continue
            if selection.allowed and not selection.admits(ordinal(need_id)):
                continue
            out.append(need_id)
            if len(out) == count:
                break
        return out


# --- what feeds the listing ------------------------------------------------------------------


def listed_from_state(
    state: NeedState, *, published_at: datetime, updated_at: datetime, status: str = PUBLISHED
) -> Listed:
    """The entry of a need from its full state (need.published, need.updated); the event's
    time is when the need last changed."""
    place = municipality(state.municipality_code)
    texts = [state.title, state.problem, state.target_group, *state.desired_outcomes, *state.tags]
    return Listed(
        need_id=state.need_id,
        version=state.version,
        buyer_org=state.buyer_org,
        status=status,
        phase=state.phase,
        published_ts=(state.published_at or published_at).timestamp(),
        cpv_prefixes=tuple(cpv_prefixes(state.cpv_codes)),
        county_code=place.county_code,
        municipality_code=place.code,
        terms=tuple(index_terms(texts)),
        title=state.title,
        summary=summary_of(state.problem),
        cpv_codes=tuple(state.cpv_codes),
        tags=tuple(state.tags),
        language=state.language,
        organisations=1 + len(state.cosigner_orgs),
        updated_ts=updated_at.timestamp(),
    )


def listed_after(event: Payload, held: Listed | None, *, event_time: datetime) -> Listed | None:
    """The entry after one event of the needs topic, or None when it changes nothing here
    (a delta for a need not held, an event of another kind)."""
    if isinstance(event, NeedState):
        status = held.status if held is not None else PUBLISHED
        published_at = (
            datetime.fromtimestamp(held.published_ts, UTC) if held is not None else event_time
        )
        return listed_from_state(
            event, published_at=published_at, updated_at=event_time, status=status
        )
    if held is None:
        return None
    changed = event_time.timestamp()
    if isinstance(event, NeedPhaseChanged):
        return replace(held, version=event.version, phase=event.to_phase, updated_ts=changed)
    if isinstance(event, NeedWithdrawn):
        return replace(
            held, version=event.version, phase=WITHDRAWN, status=WITHDRAWN, updated_ts=changed
        )
    if isinstance(event, NeedCosigned):
        return replace(
            held, version=event.version, organisations=event.organisations, updated_ts=changed
        )
    return None
