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
The mechanism (order, postings, pages) is `marketplace_contracts.text.listing.Listing`, which
the solution catalogue shares; what is said here of needs is this module's.
"""

from __future__ import annotations

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
from marketplace_contracts.text.listing import Listing
from marketplace_contracts.text.search import index_terms
from marketplace_contracts.text.summary import summary_of

from .model import Need, cpv_prefixes

# Postings keys: one namespace per filter.
CPV, COUNTY, MUNICIPALITY = "cpv", "county", "municipality"
PHASE, STATUS, TERM = "phase", "status", "term"
PUBLISHED = "published"

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

    @property
    def carries_postings(self) -> bool:
        return bool(self.terms)

    def kept(self) -> Listed:
        return replace(self, terms=()) if self.terms else self

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


class NeedListing(Listing[Listed, ListQuery]):
    """The needs, newest publication first (`marketplace_contracts.text.listing`: a need
    keeps its postings' ordinal while its text, codes and place stay the same)."""

    def __init__(self) -> None:
        super().__init__(posting_groups, descending=True)

    def key_of(self, need_id: str) -> Key:
        return self._entries[need_id].key


def posting_groups(query: ListQuery) -> list[list[tuple[str, str]]]:
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
