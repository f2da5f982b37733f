"""Building blocks of the in-memory indexes: postings, dense rows, vocabulary, versions.

* `Postings`: the slots (and weights) of one key, with a sorted numpy copy for queries,
  and `add_keys`/`remove_keys` for a table of them;
* `DenseRows`: dense per-term rows for the common terms, read at a query's candidates;
* `Vocabulary`: the Swedish words of the indexed documents, for splitting query compounds;
* `Versions`: live versions and tombstones, so that stale updates stay ignored;
* `cpv_keys` and `fingerprint_of`: the CPV index keys of codes, and an order-free content hash.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from marketplace_contracts.reference.cpv import LEVEL_DIGITS, level_depth
from marketplace_contracts.text.ranking import Split

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]


def cpv_keys(codes: Iterable[str]) -> set[tuple[int, str]]:
    """(level, prefix) for every level at which each code is specific: the index keys."""
    keys: set[tuple[int, str]] = set()
    for code in codes:
        for level in range(1, level_depth(code) + 1):
            keys.add((level, code[: LEVEL_DIGITS[level - 1]]))
    return keys


def fingerprint_of(pairs: Iterable[tuple[str, int]]) -> str:
    """sha256 over sorted (id, version): equal for equal contents, whatever the order."""
    h = hashlib.sha256()
    for key, version in sorted(pairs):
        h.update(f"{key}\x1f{version}\n".encode())
    return h.hexdigest()


class Postings:
    """Slots (and optional weights) of one key: appendable arrays, plus a numpy copy sorted
    by slot (and the largest weight) rebuilt lazily after a change."""

    __slots__ = ("_max", "_np_slots", "_np_weights", "slots", "weights")

    def __init__(self, weighted: bool) -> None:
        self.slots = array("i")
        self.weights: array[float] | None = array("d") if weighted else None
        self._np_slots: IntArray | None = None
        self._np_weights: FloatArray | None = None
        self._max = 0.0

    def __len__(self) -> int:
        return len(self.slots)

    def add(self, slot: int, weight: float = 0.0) -> None:
        self.slots.append(slot)
        if self.weights is not None:
            self.weights.append(weight)
        self._np_slots = self._np_weights = None

    def remove(self, slot: int) -> None:
        i = self.slots.index(slot)  # a C-level scan; updates are rare next to queries
        del self.slots[i]
        if self.weights is not None:
            del self.weights[i]
        self._np_slots = self._np_weights = None

    def _fill(self) -> None:
        # intp, so that fancy indexing does not convert on every query; sorted, so that
        # slots can be looked up with searchsorted (slot reuse breaks insertion order).
        slots = np.array(self.slots, dtype=np.intp)
        order = None if np.all(slots[1:] > slots[:-1]) else np.argsort(slots, kind="stable")
        self._np_slots = slots if order is None else slots[order]
        if self.weights is not None:
            weights = np.array(self.weights, dtype=np.float64)
            self._np_weights = weights if order is None else weights[order]
            self._max = float(weights.max()) if weights.size else 0.0

    def np_slots(self) -> IntArray:
        if self._np_slots is None:
            self._fill()
        assert self._np_slots is not None
        return self._np_slots

    def np_weights(self) -> FloatArray:
        if self._np_slots is None:
            self._fill()
        assert self._np_weights is not None
        return self._np_weights

    def max_weight(self) -> float:
        if self._np_slots is None:
            self._fill()
        return self._max

    def weights_at(self, slots: IntArray) -> FloatArray:
        """Weights at the given sorted slots (0 where absent), by binary search."""
        own = self.np_slots()
        pos = np.searchsorted(own, slots)
        pos[pos == own.size] = 0
        hit = own[pos] == slots
        return np.where(hit, self.np_weights()[pos], 0.0)

    def scan(self, slots: IntArray, universe: int) -> FloatArray:
        """Weights at the given sorted slots (all below `universe`), 0 where absent: binary
        search per slot, or one masked pass over the postings when the slots are many,
        whichever touches fewer elements."""
        n = len(self)
        if slots.size * max(1, n.bit_length()) < 4 * n:
            return self.weights_at(slots)
        mask = np.zeros(universe, dtype=np.bool_)
        mask[slots] = True
        own = self.np_slots()
        sel = mask[own]
        out = np.zeros(slots.size, dtype=np.float64)
        out[np.searchsorted(slots, own[sel])] = self.np_weights()[sel]
        return out


def add_keys(table: dict[str, Postings], keys: Iterable[str], slot: int) -> None:
    """List `slot` under each key of an unweighted table."""
    for key in keys:
        p = table.get(key)
        if p is None:
            p = table[key] = Postings(weighted=False)
        p.add(slot)


def remove_keys(table: dict[str, Postings], keys: Iterable[str], slot: int) -> None:
    """Undo `add_keys`, dropping the keys nothing is listed under any more."""
    for key in keys:
        p = table[key]
        p.remove(slot)
        if not len(p):
            del table[key]


class DenseRows:
    """Dense float32 rows (slot -> weight) for the common terms that queries have used.

    A common term has a long posting list; a query only needs its weights at the
    candidates, and gathering those from a dense row costs one read per candidate. Rows are
    created on first use, kept up to date on every insert and removal, and capped by
    `max_bytes` (past it, queries fall back to scanning the posting list). The matrix is
    allocated zeroed at its full row capacity: the OS maps pages only when a row is written,
    so unused capacity costs address space, not memory, and rows never need copying.
    """

    __slots__ = ("data", "max_bytes", "rows")

    def __init__(self, max_bytes: int) -> None:
        self.rows: dict[str, int] = {}
        self.data: npt.NDArray[np.float32] = np.zeros((0, 0), dtype=np.float32)
        self.max_bytes = max_bytes

    @property
    def nbytes(self) -> int:
        """Bytes of the rows in use (the rest of the matrix is untouched, unmapped)."""
        return len(self.rows) * int(self.data.shape[1]) * 4

    def _allocate(self, columns: int) -> None:
        old = self.data
        capacity = max(0, self.max_bytes // (4 * max(1, columns)))
        self.data = np.zeros((capacity, columns), dtype=np.float32)
        used = min(len(self.rows), capacity, old.shape[0])
        self.data[:used, : old.shape[1]] = old[:used]
        if used < len(self.rows):  # only if max_bytes cannot hold the rows any more
            self.rows = {t: r for t, r in self.rows.items() if r < used}

    def grow_columns(self, columns: int) -> None:
        if self.rows:
            self._allocate(columns)

    def row(self, term: str, postings: Postings, columns: int) -> int | None:
        r = self.rows.get(term)
        if r is not None:
            return r
        if self.data.shape[1] != columns:
            self._allocate(columns)
        n = len(self.rows)
        if n >= self.data.shape[0]:
            return None
        self.data[n, postings.np_slots()] = postings.np_weights()
        self.rows[term] = n
        return n

    def set(self, term: str, slot: int, weight: float) -> None:
        r = self.rows.get(term)
        if r is not None:
            self.data[r, slot] = weight


class Vocabulary:
    """Swedish words of the indexed documents (refcounted), for splitting query compounds.

    `epoch` changes whenever a word appears or disappears, which invalidates the split cache.
    """

    __slots__ = ("_cache", "_cache_epoch", "counts", "epoch")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.epoch = 0
        self._cache: dict[str, Split] = {}
        self._cache_epoch = 0

    def add(self, words: Iterable[str]) -> None:
        counts = self.counts
        for w in words:
            n = counts.get(w, 0)
            if n == 0:
                counts[sys.intern(w)] = 1
                self.epoch += 1
            else:
                counts[w] = n + 1

    def discard(self, words: Iterable[str]) -> None:
        counts = self.counts
        for w in words:
            n = counts.get(w, 0)
            if n <= 1:
                if counts.pop(w, None) is not None:
                    self.epoch += 1
            else:
                counts[w] = n - 1

    def split_cache(self) -> dict[str, Split]:
        if self._cache_epoch != self.epoch:
            self._cache.clear()
            self._cache_epoch = self.epoch
        return self._cache


class Versions:
    """Live versions plus tombstones, so that a stale update after a removal stays ignored."""

    __slots__ = ("live", "removed")

    def __init__(self) -> None:
        self.live: dict[str, int] = {}
        self.removed: dict[str, int] = {}

    def accepts(self, key: str, version: int) -> bool:
        held = self.live.get(key)
        if held is not None:
            return version > held
        gone = self.removed.get(key)
        return gone is None or version > gone

    def accepts_removal(self, key: str, version: int | None) -> bool:
        held = self.live.get(key)
        return held is not None and (version is None or version >= held)

    def store(self, key: str, version: int) -> None:
        """Record that `version` of `key` is held now (after `accepts` said yes)."""
        self.live[key] = version
        self.removed.pop(key, None)

    def remove(self, key: str, version: int | None) -> bool:
        """Record a removal; True when `key` was held and is gone now (the caller drops it).

        With a version, a removal older than the held version is ignored; a removal of a key
        not held is remembered all the same, so that stale upserts stay out."""
        if not self.accepts_removal(key, version):
            if version is not None and key not in self.live:
                self.removed[key] = max(self.removed.get(key, 0), version)
            return False
        held = self.live.pop(key)
        self.removed[key] = held if version is None else version
        return True
