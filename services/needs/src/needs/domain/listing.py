"""The published needs as a searchable list, held in memory: pure, no I/O.

FerretDB 1.x answers only a filter on `_id` alone from an index; any other filter, sort or
count decodes the whole collection (seconds at a few thousand needs). So the list and its
searches are answered here, from postings per filter value, and the database is asked only
for the page's documents by id. The listing is fed from Kafka's needs topic (every instance
sees every instance's writes) and from this instance's own writes at once (so that a buyer
sees what it just published); both carry the need's version, and an older one never
overwrites a newer one.

Order: newest publication first, then id; pages are keyset (`after` the last key of the
previous page), so a page costs the same at any depth and no total is counted.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from marketplace_contracts.events import (
    NeedCosigned,
    NeedPhaseChanged,
    NeedState,
    NeedWithdrawn,
    Payload,
)
from marketplace_contracts.process import WITHDRAWN
from marketplace_contracts.reference import municipality

from .model import cpv_prefixes
from .text import index_terms

# Postings keys: one namespace per filter.
CPV, COUNTY, MUNICIPALITY = "cpv", "county", "municipality"
PHASE, STATUS, TERM = "phase", "status", "term"
PUBLISHED = "published"
# A candidate set this much smaller than the list is sorted; a larger one is walked in order.
SORT_BELOW_SHARE = 8

Key = tuple[float, str]  # (-published timestamp, id): ascending order is newest first


@dataclass(frozen=True, slots=True)
class Listed:
    """What the list needs of one need; `terms` are its search terms (text.index_terms)."""

    need_id: str
    version: int
    buyer_org: str
    status: str
    phase: str
    published_at: datetime
    cpv_prefixes: tuple[str, ...]
    county_code: str
    municipality_code: str
    terms: frozenset[str]

    @property
    def key(self) -> Key:
        return (-self.published_at.timestamp(), self.need_id)

    def postings(self) -> Iterator[tuple[str, str]]:
        yield STATUS, self.status
        yield PHASE, self.phase
        yield COUNTY, self.county_code
        yield MUNICIPALITY, self.municipality_code
        for prefix in self.cpv_prefixes:
            yield CPV, prefix
        for term in self.terms:
            yield TERM, term


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Filters as the API takes them, already validated: each one narrows the list."""

    phase: str | None = None  # None: every published need; else that phase, ever published
    cpv_prefix: str | None = None
    county_codes: tuple[str, ...] = ()  # any of these counties
    municipality_code: str | None = None
    term_groups: tuple[tuple[str, ...], ...] = ()  # each group: any of its terms


class NeedListing:
    def __init__(self) -> None:
        self._entries: dict[str, Listed] = {}
        self._order: list[Key] = []
        self._postings: dict[tuple[str, str], set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def version_of(self, need_id: str) -> int:
        entry = self._entries.get(need_id)
        return entry.version if entry else 0

    def get(self, need_id: str) -> Listed | None:
        return self._entries.get(need_id)

    def put(self, entry: Listed) -> bool:
        """Add or replace a need's entry; an entry older than the one held is ignored."""
        old = self._entries.get(entry.need_id)
        if old is not None:
            if old.version >= entry.version:
                return False
            self._remove(old)
        self._entries[entry.need_id] = entry
        bisect.insort(self._order, entry.key)
        for posting in entry.postings():
            self._postings.setdefault(posting, set()).add(entry.need_id)
        return True

    def _remove(self, entry: Listed) -> None:
        index = bisect.bisect_left(self._order, entry.key)
        if index < len(self._order) and self._order[index] == entry.key:
            del self._order[index]
        for posting in entry.postings():
            ids = self._postings.get(posting)
            if ids is not None:
                ids.discard(entry.need_id)
                if not ids:
                    del self._postings[posting]

    def page(self, query: ListQuery, *, after: Key | None, limit: int) -> tuple[list[str], bool]:
        """The ids of one page in list order, and whether more follow."""
        sets = self._candidate_sets(query)
        if any(not s for s in sets):
            return [], False
        sets.sort(key=len)
        start = bisect.bisect_right(self._order, after) if after is not None else 0
        if len(sets[0]) * SORT_BELOW_SHARE < len(self._order):
            ids = self._sorted_matches(sets, after, limit + 1)
        else:
            ids = self._walked_matches(sets, start, limit + 1)
        return ids[:limit], len(ids) > limit

    def key_of(self, need_id: str) -> Key:
        return self._entries[need_id].key

    def _candidate_sets(self, query: ListQuery) -> list[set[str]]:
        empty: set[str] = set()
        get = self._postings.get
        first = (PHASE, query.phase) if query.phase else (STATUS, PUBLISHED)
        sets = [get(first, empty)]
        if query.cpv_prefix:
            sets.append(get((CPV, query.cpv_prefix), empty))
        if query.municipality_code:
            sets.append(get((MUNICIPALITY, query.municipality_code), empty))
        if query.county_codes:
            sets.append(_union(get((COUNTY, c), empty) for c in query.county_codes))
        for group in query.term_groups:
            sets.append(_union(get((TERM, t), empty) for t in group))
        return sets

    def _sorted_matches(self, sets: list[set[str]], after: Key | None, count: int) -> list[str]:
        smallest, rest = sets[0], sets[1:]
        keys = sorted(self._entries[i].key for i in smallest if all(i in other for other in rest))
        if after is not None:
            keys = keys[bisect.bisect_right(keys, after) :]
        return [need_id for _, need_id in keys[:count]]

    def _walked_matches(self, sets: list[set[str]], start: int, count: int) -> list[str]:
        out: list[str] = []
        order = self._order
        for index in range(start, len(order)):
            need_id = order[index][1]
            if all(need_id in s for s in sets):
                out.append(need_id)
                if len(out) == count:
                    break
        return out


def cursor_of(key: Key) -> str:
    """An opaque cursor for the page after `key` (url-safe, no padding)."""
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_of_cursor(cursor: str) -> Key:
    """Raises ValueError for a cursor this listing did not write."""
    refusal = "not a cursor of this list: take it from the `next` of a page"
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, need_id = json.loads(raw)
        if isinstance(ts, bool) or not isinstance(ts, int | float) or not isinstance(need_id, str):
            raise ValueError(refusal)
        key = (float(ts), need_id)
    except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
        raise ValueError(refusal) from exc
    if not math.isfinite(key[0]):
        raise ValueError(refusal)
    return key


def _union(sets: Iterable[set[str]]) -> set[str]:
    out: set[str] = set()
    for s in sets:
        out |= s
    return out


# --- what feeds the listing ------------------------------------------------------------------


def listed_from_state(
    state: NeedState, *, published_at: datetime, status: str = PUBLISHED
) -> Listed:
    """The entry of a need from its full state (need.published, need.updated)."""
    place = municipality(state.municipality_code)
    texts = [state.title, state.problem, state.target_group, *state.desired_outcomes, *state.tags]
    return Listed(
        need_id=state.need_id,
        version=state.version,
        buyer_org=state.buyer_org,
        status=status,
        phase=state.phase,
        published_at=state.published_at or published_at,
        cpv_prefixes=tuple(cpv_prefixes(state.cpv_codes)),
        county_code=place.county_code,
        municipality_code=place.code,
        terms=frozenset(index_terms(texts)),
    )


def listed_after(event: Payload, held: Listed | None, *, event_time: datetime) -> Listed | None:
    """The entry after one event of the needs topic, or None when it changes nothing here
    (a delta for a need not held, an event of another kind)."""
    if isinstance(event, NeedState):
        status = held.status if held is not None else PUBLISHED
        published_at = held.published_at if held is not None else event_time
        return listed_from_state(event, published_at=published_at, status=status)
    if held is None:
        return None
    if isinstance(event, NeedPhaseChanged):
        return replace(held, version=event.version, phase=event.to_phase)
    if isinstance(event, NeedWithdrawn):
        return replace(held, version=event.version, phase=WITHDRAWN, status=WITHDRAWN)
    if isinstance(event, NeedCosigned):
        return replace(held, version=event.version)
    return None
