"""The published needs as a searchable list, held in memory: pure, no I/O.

FerretDB 1.x answers only a filter on `_id` alone from an index; any other filter, sort or
count decodes the whole collection (seconds at a few thousand needs). So the list and its
searches are answered here, from postings per filter value, and the database is asked only
for the page's documents by id. The listing is fed from Kafka's needs topic (every instance
sees every instance's writes) and from this instance's own writes at once (so that a buyer
sees what it just published); both carry the need's version, and an older one never
overwrites a newer one.

Order: newest publication first (ties: the greater id first); pages are keyset (`after` the
last key of the previous page), so a page costs the same at any depth and no total is
counted. Keys are kept ascending, (publication time, id), and walked from the end: needs
arrive roughly in the order they were published, so each one is appended, not inserted.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import heapq
import json
import math
from collections.abc import Iterable, Iterator
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

from .model import cpv_prefixes
from .text import index_terms

# Postings keys: one namespace per filter.
CPV, COUNTY, MUNICIPALITY = "cpv", "county", "municipality"
PHASE, STATUS, TERM = "phase", "status", "term"
PUBLISHED = "published"
# A candidate set this much smaller than the list is sorted; a larger one is walked in order.
SORT_BELOW_SHARE = 8

Key = tuple[float, str]  # (published timestamp, id); the list runs from the greatest


@dataclass(frozen=True, slots=True)
class Listed:
    """What the list needs of one need; `terms` are its search terms (text.index_terms), a
    tuple rather than a set since a hundred thousand of them are held."""

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

    @property
    def key(self) -> Key:
        return (self.published_ts, self.need_id)

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
        self._keys: dict[str, Key] = {}
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
        key = self._keys[entry.need_id] = entry.key
        if not self._order or self._order[-1] < key:
            self._order.append(key)  # the usual case: the newest publication
        else:
            bisect.insort(self._order, key)
        for posting in entry.postings():
            self._postings.setdefault(posting, set()).add(entry.need_id)
        return True

    def _remove(self, entry: Listed) -> None:
        del self._keys[entry.need_id]
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
        end = bisect.bisect_left(self._order, after) if after is not None else len(self._order)
        if len(sets[0]) * SORT_BELOW_SHARE < len(self._order):
            ids = self._sorted_matches(sets, after, limit + 1)
        else:
            ids = self._walked_matches(sets, end, limit + 1)
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
            sets.append(_union([get((COUNTY, c), empty) for c in query.county_codes]))
        for group in query.term_groups:
            sets.append(_union([get((TERM, t), empty) for t in group]))
        return sets

    def _sorted_matches(self, sets: list[set[str]], after: Key | None, count: int) -> list[str]:
        candidates = sets[0].intersection(*sets[1:])
        keys: Iterable[Key] = map(self._keys.__getitem__, candidates)
        if after is not None:
            keys = (key for key in keys if key < after)
        return [need_id for _, need_id in heapq.nlargest(count, keys)]

    def _walked_matches(self, sets: list[set[str]], end: int, count: int) -> list[str]:
        out: list[str] = []
        order = self._order
        for index in range(end - 1, -1, -1):
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


def _union(sets: list[set[str]]) -> set[str]:
    if len(sets) == 1:
        return sets[0]  # read only: no copy
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
        published_ts=(state.published_at or published_at).timestamp(),
        cpv_prefixes=tuple(cpv_prefixes(state.cpv_codes)),
        county_code=place.county_code,
        municipality_code=place.code,
        terms=tuple(index_terms(texts)),
    )


def listed_after(event: Payload, held: Listed | None, *, event_time: datetime) -> Listed | None:
    """The entry after one event of the needs topic, or None when it changes nothing here
    (a delta for a need not held, an event of another kind)."""
    if isinstance(event, NeedState):
        status = held.status if held is not None else PUBLISHED
        published_at = (
            datetime.fromtimestamp(held.published_ts, UTC) if held is not None else event_time
        )
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
