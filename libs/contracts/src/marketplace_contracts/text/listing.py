"""An in-memory listing that answers its own searches: pure, no I/O.

The needs list and the solution catalogue are both this: entries by id, their keys in a
sorted list, and the entries posted by filter value and search term (`postings`). What
differs is left to them: the entry (its key, version, postings and the filters checked on
it), the posting groups a query asks for, and the direction the list runs in.

A key is an entry's place in the order and ends with its id, so a page is read from the
keys alone. Pages are keyset (`after` the key of the previous page's last entry): a page
costs the same at any depth and nothing is counted.

A search either sorts its candidates (`Postings.select`) or walks the order until the page
is full, whichever costs less: sorting c candidates takes about c steps, and a walk of a
list of n entries about page * n / c steps when the candidates are spread over the list,
so up to sqrt(page * n) candidates are sorted. Candidates that bunch far down the list
would make the walk long: a walk that has taken as many steps as sorting would have costs
sorts what is left instead, so a page never costs more than twice the cheaper way.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar

from .postings import Postings, Selection

__all__ = ["Entry", "Key", "Listing", "sort_at_most"]

Key = tuple[Any, ...]  # the entry's sort fields, then its id

Q_contra = TypeVar("Q_contra", contravariant=True)
Q = TypeVar("Q")


class Entry(Protocol[Q_contra]):
    """What a listing needs of one entry; a frozen dataclass of the service's fields."""

    @property
    def key(self) -> Key:
        """Where it stands in the order; the last field is the entry's id."""

    @property
    def version(self) -> int: ...

    @property
    def carries_postings(self) -> bool:
        """Whether it brings its postings; one that does not (made from a delta event)
        keeps those of the entry it follows."""

    def postings(self) -> Iterable[Hashable]:
        """The keys it is posted under."""

    def kept(self) -> Self:
        """The entry as held: without what is only posted (its search terms)."""

    def fits(self, query: Q_contra) -> bool:
        """The filters that are not postings."""


E = TypeVar("E", bound=Entry[Any])


class Listing(Generic[E, Q]):
    """Entries by id, their keys in ascending order, and their postings. `descending`: the
    list runs from the greatest key (walked from the end), else from the least."""

    def __init__(
        self,
        posting_groups: Callable[[Q], Sequence[Sequence[Hashable]]],
        *,
        descending: bool,
    ) -> None:
        self._posting_groups = posting_groups
        self._descending = descending
        self._entries: dict[str, E] = {}
        self._order: list[Key] = []
        self._postings: Postings[Hashable] = Postings()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, entry_id: str) -> E | None:
        return self._entries.get(entry_id)

    def put(self, entry: E) -> bool:
        """Add or replace an entry; one older than the entry held is ignored."""
        key = entry.key
        entry_id: str = key[-1]
        old = self._entries.get(entry_id)
        if old is not None:
            if old.version >= entry.version:
                return False
            self._unorder(old.key)
        self._entries[entry_id] = entry.kept()
        self._order_in(key)
        if old is None or entry.carries_postings:
            self._postings.post(entry_id, entry.postings())
        return True

    def _order_in(self, key: Key) -> None:
        if not self._order or self._order[-1] < key:
            self._order.append(key)  # entries that come in key order (needs do) are appended
        else:
            bisect.insort(self._order, key)

    def _unorder(self, key: Key) -> None:
        index = bisect.bisect_left(self._order, key)
        if index < len(self._order) and self._order[index] == key:
            del self._order[index]

    def page(self, query: Q, *, after: Key | None, limit: int) -> tuple[list[str], bool]:
        """The ids of one page in list order, and whether more follow."""
        count = limit + 1
        groups = self._posting_groups(query)
        selection = self._postings.select(groups, sort_at_most(count, len(self._order)))
        if selection.nothing:
            return [], False
        if selection.few is not None:
            ids = self._sorted_matches(query, selection.few, after, count)
        else:
            # What sorting would cost: the smallest group's candidates (without groups every
            # entry is a candidate, and the walk is the only way).
            sizes = [self._postings.size(group) for group in groups]
            budget = min(sizes) if sizes else len(self._order)
            ids, stopped_at = self._walked_matches(query, selection, after, count, budget)
            if stopped_at is not None:
                rest = self._sorted_matches(
                    query, selection.candidates(), stopped_at, count - len(ids)
                )
                ids += rest
        return ids[:limit], len(ids) > limit

    def _sorted_matches(
        self, query: Q, candidates: set[int], after: Key | None, count: int
    ) -> list[str]:
        held = map(self._entries.__getitem__, self._postings.ids(candidates))
        keys = [entry.key for entry in held if entry.fits(query)]
        if self._descending:
            if after is not None:
                keys = [key for key in keys if key < after]
            return [key[-1] for key in heapq.nlargest(count, keys)]
        if after is not None:
            keys = [key for key in keys if key > after]
        return [key[-1] for key in heapq.nsmallest(count, keys)]

    def _walked_matches(
        self, query: Q, selection: Selection, after: Key | None, count: int, budget: int
    ) -> tuple[list[str], Key | None]:
        """Up to `count` matches in list order, and, when `budget` steps ran out first, the
        key of the last entry looked at (the rest lies beyond it)."""
        ordinal, entries, order = self._postings.ordinal, self._entries, self._order
        if self._descending:
            end = bisect.bisect_left(order, after) if after is not None else len(order)
            indices = range(end - 1, -1, -1)
        else:
            start = bisect.bisect_right(order, after) if after is not None else 0
            indices = range(start, len(order))
        # The first set is the smallest group's: most entries walked past fail it, so it is
        # tested first and the rest only then (a step is what a walk costs).
        first, *others = selection.allowed or (None,)
        out: list[str] = []
        for steps, index in enumerate(indices, 1):
            entry_id = order[index][-1]
            allowed = first is None or (
                (o := ordinal(entry_id)) in first and all(o in s for s in others)
            )
            if allowed and entries[entry_id].fits(query):
                out.append(entry_id)
                if len(out) == count:
                    break
            if steps == budget and index != indices[-1]:
                return out, order[index]
        return out, None


def sort_at_most(count: int, listed: int) -> int:
    """The most candidates to sort rather than walk for `count` entries of `listed` (see
    the module's docstring): sorting c costs c, a walk about count * listed / c."""
    return math.isqrt(count * listed)
