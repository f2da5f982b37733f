"""Postings of an in-memory listing: which documents hold a key, pure and without I/O.

A listing that answers its searches itself (the needs list, the solution catalogue) posts
each document under its keys: its search terms (`search.index_terms`) and the values of its
selective filters (codes, places, an owner). A search is groups of keys, and a document
matches when it holds a key of every group: a query word is the group of its variants
(`search.query_terms`), a filter the group of the values it accepts.

A document is numbered by an ordinal, and a posting is an append-only array of ordinals (4
bytes each: some 20 million of them at 100 000 needs of 200 terms, where sets of ids would
take gigabytes). A document keeps its ordinal while its keys stay the same and gets a new
one when they change, the old one being dead from then on; dead ordinals are dropped from
the postings once they are a third of all.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Postings", "Selection"]

K = TypeVar("K", bound=Hashable)
_EMPTY = array("I")


@dataclass(frozen=True, slots=True)
class Selection:
    """What the postings allow for one search: nothing at all; or `few` ordinals, the only
    candidates, to be sorted; or, when the candidates are many, the ordinals each group
    allows (`allowed`), to test while walking the list in its order (`admits`)."""

    nothing: bool
    few: set[int] | None
    allowed: tuple[set[int], ...]

    def admits(self, ordinal: int) -> bool:
        return all(ordinal in ordinals for ordinals in self.allowed)

    def candidates(self) -> set[int]:
        """The ordinals every group allows (`few`, or the intersection of `allowed`)."""
        if self.few is not None:
            return self.few
        first, *others = self.allowed
        return first.intersection(*others)


class Postings(Generic[K]):
    """Ordinals by document id, ids by ordinal and, per key, the ordinals posted under it."""

    def __init__(self) -> None:
        self._ordinal: dict[str, int] = {}
        self._ids: list[str | None] = []  # by ordinal; None once dead
        self._postings: dict[K, array[int]] = {}
        self._signature: dict[str, int] = {}  # of the keys posted, by document
        self._dead = 0

    def __len__(self) -> int:
        """The ordinals handed out, dead ones included: what a walk of every posting costs."""
        return len(self._ids)

    def ordinal(self, doc_id: str) -> int:
        """The live ordinal of a posted document (KeyError for one never posted)."""
        return self._ordinal[doc_id]

    def ids(self, ordinals: Iterable[int]) -> list[str]:
        """The ids of the live ones among `ordinals`."""
        ids = self._ids
        return [doc_id for doc_id in (ids[o] for o in ordinals) if doc_id is not None]

    def posting(self, key: K) -> array[int]:
        """The ordinals posted under `key`, dead ones included (read only)."""
        return self._postings.get(key, _EMPTY)

    def post(self, doc_id: str, keys: Iterable[K]) -> bool:
        """Post a document under `keys`, replacing what it was posted under; False when the
        keys are those already posted (the ordinal stays, nothing is written)."""
        keys = tuple(keys)
        signature = hash(keys)
        previous = self._ordinal.get(doc_id)
        if previous is not None:
            if self._signature[doc_id] == signature:
                return False
            self._ids[previous] = None
            self._dead += 1
        ordinal = self._ordinal[doc_id] = len(self._ids)
        self._ids.append(doc_id)
        self._signature[doc_id] = signature
        for key in keys:
            found = self._postings.get(key)
            if found is None:
                found = self._postings[key] = array("I")
            found.append(ordinal)
        if self._dead * 3 > len(self._ids):
            self._compact()
        return True

    def _compact(self) -> None:
        ids = self._ids
        for key, ordinals in list(self._postings.items()):
            live = array("I", (o for o in ordinals if ids[o] is not None))
            if live:
                self._postings[key] = live
            else:
                del self._postings[key]
        self._dead = 0

    def size(self, keys: Iterable[K]) -> int:
        """How many ordinals the postings of `keys` hold together (an upper bound of the
        documents that hold one of them)."""
        return sum(len(self.posting(key)) for key in keys)

    def union(self, keys: Iterable[K]) -> set[int]:
        """The ordinals posted under any of `keys`."""
        out: set[int] = set()
        for key in keys:
            out.update(self.posting(key))
        return out

    def select(self, groups: Sequence[Sequence[K]], sort_at_most: int) -> Selection:
        """The documents that hold a key of every group. When the smallest group holds at
        most `sort_at_most` ordinals, its candidates are few enough to sort (`few`, every
        group intersected); otherwise walking the list in order and stopping at a full page
        costs less. No groups: every document (to walk)."""
        sizes = sorted((self.size(group), i) for i, group in enumerate(groups))
        if sizes and sizes[0][0] == 0:
            return Selection(nothing=True, few=set(), allowed=())
        ordered = [groups[i] for _, i in sizes]
        if ordered and sizes[0][0] <= sort_at_most:
            few = self.union(ordered[0]).intersection(*(self.union(g) for g in ordered[1:]))
            return Selection(nothing=not few, few=few, allowed=())
        return Selection(nothing=False, few=None, allowed=tuple(self.union(g) for g in ordered))
