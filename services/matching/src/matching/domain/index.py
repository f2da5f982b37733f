"""In-memory indexes: solutions ranked for a need, and open needs ranked for a solution.

SolutionIndex is the hot path (every published need, every preview). Design:

* every solution gets a dense slot; per-slot facts (maturity, social proof, "serves SE",
  tag bits) live in numpy arrays, and per-term postings hold (slot, BM25 weight) pairs
  computed once at insert time, so nothing about a solution is recomputed per query;
* candidates come from the inverted indexes on CPV prefixes (every level) and on the
  need's non-common terms; words found in a large share of solutions cannot make a match
  alone (scoring's no-match rule), so their long posting lists are never scanned: their
  weights are read, for the few candidates that need them, from dense per-term rows;
* every component is computed with numpy over the candidates, with a MaxScore-style cut
  (see rank) so that only candidates that can still reach the top k are fully scored;
* the best few are re-scored with the scalar reference (`scoring.components`), which also
  feeds their reasons, so results equal a brute-force scan (tests check it).

Documents are analyzed as a pure function of their own text, so two indexes holding the
same (id, version) set hold the same postings whatever the insertion order; the query side
uses the index vocabulary to split the need's compounds.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .model import (
    COUNTRY,
    CPV_LEVEL_DIGITS,
    WITHDRAWN,
    Match,
    NeedProfile,
    SolutionProfile,
    county_of,
    cpv_level,
)
from .scoring import (
    CPV_LEVEL_SCORES,
    DEFAULT_WEIGHTS,
    MATURITY_INDEX,
    PHASE_INDEX,
    PHASE_MATURITY_FIT,
    REGION_SCORES,
    Components,
    NeedQuery,
    ScoringWeights,
    SolutionDoc,
    TermStats,
    common_df,
    components,
    explain,
    make_solution_doc,
    match,
    prepare_need,
    score,
    social_proof,
)
from .text import Analysis, Analyzer, Split, default_analyzer

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]

# Score slack when pre-selecting with the vectorized scores: dense rows hold float32
# weights and sums run in another order, so vectorized scores may differ from the exact ones
# by ~1e-7; everything within the slack of the cut goes on, and the exact re-scoring decides.
_EPS = 1e-6

_CPV_SCORES = np.array(CPV_LEVEL_SCORES, dtype=np.float64)
_REGION_SCORES = np.array(REGION_SCORES, dtype=np.float64)
_FIT = np.array([PHASE_MATURITY_FIT[p] for p in PHASE_INDEX], dtype=np.float64)


def cpv_keys(codes: Iterable[str]) -> set[tuple[int, str]]:
    """(level, prefix) for every level at which each code is specific: the index keys."""
    keys: set[tuple[int, str]] = set()
    for code in codes:
        for level in range(1, cpv_level(code) + 1):
            keys.add((level, code[: CPV_LEVEL_DIGITS[level - 1]]))
    return keys


def fingerprint_of(pairs: Iterable[tuple[str, int]]) -> str:
    """sha256 over sorted (id, version): equal for equal contents, whatever the order."""
    h = hashlib.sha256()
    for key, version in sorted(pairs):
        h.update(f"{key}\x1f{version}\n".encode())
    return h.hexdigest()


class _Postings:
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


class _DenseRows:
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

    def row(self, term: str, postings: _Postings, columns: int) -> int | None:
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


class _Vocabulary:
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


class _Versions:
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


class SolutionIndex:
    """All solutions in memory, ranked for a need. Also the TermStats of the solution corpus."""

    # Candidates scored exactly first to find a floor (8 per result wanted, plus this), and
    # the size below which the remaining candidates get all common terms at once rather
    # than one term at a time: tuning only, results do not depend on them.
    probe_min = 256
    maxscore_min = 2048

    def __init__(
        self,
        weights: ScoringWeights = DEFAULT_WEIGHTS,
        *,
        analyzer: Analyzer | None = None,
        dense_bytes: int = 256 * 2**20,
    ) -> None:
        self.weights = weights
        self.analyzer = analyzer or default_analyzer()
        self._dense = _DenseRows(dense_bytes)
        self._versions = _Versions()
        self._slot_of: dict[str, int] = {}
        self._docs: list[SolutionDoc | None] = []
        self._free: list[int] = []
        self._terms: dict[str, _Postings] = {}
        self._cpv: dict[str, _Postings] = {}
        self._regions: dict[str, _Postings] = {}
        self._tags: dict[str, _Postings] = {}
        self._vocab = _Vocabulary()
        self._maturity = np.zeros(0, dtype=np.intp)
        self._social = np.zeros(0, dtype=np.float64)
        self._country = np.zeros(0, dtype=np.int8)  # 1 where the solution serves "SE"
        self._tag_mask = np.zeros(0, dtype=np.int64)
        self._tag_bits: dict[str, int] = {}
        self._scratch_cov = np.zeros(0, dtype=np.float64)
        self._scratch_depth = np.zeros(0, dtype=np.int8)
        self._scratch_region = np.zeros(0, dtype=np.int8)
        # bumped on every change: lets callers cache things derived from the stats
        self.generation = 0

    # -- TermStats ------------------------------------------------------------------------

    @property
    def doc_count(self) -> int:
        return len(self._slot_of)

    def doc_freq(self, term: str) -> int:
        p = self._terms.get(term)
        return 0 if p is None else len(p)

    @property
    def vocabulary(self) -> Container[str]:
        return self._vocab.counts

    # -- contents -------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self._slot_of)

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, solution_id: object) -> bool:
        return solution_id in self._slot_of

    def get(self, solution_id: str) -> SolutionProfile | None:
        doc = self._doc(solution_id)
        return None if doc is None else doc.profile

    def version_of(self, solution_id: str) -> int | None:
        return self._versions.live.get(solution_id)

    def ids(self) -> list[str]:
        return sorted(self._slot_of)

    def solutions(self) -> Iterator[SolutionProfile]:
        for doc in self._docs:
            if doc is not None:
                yield doc.profile

    def fingerprint(self) -> str:
        return fingerprint_of(self._versions.live.items())

    def warm_up(self) -> int:
        """Build the dense rows of every currently common term now, rather than on the
        first query that needs each (a few hundred microseconds apiece): call after a bulk
        load, e.g. once the index has been rebuilt from Kafka. Returns the rows built."""
        cutoff = common_df(len(self._slot_of), self.weights)
        columns = len(self._social)
        built = 0
        for term in sorted(self._terms):
            p = self._terms[term]
            if len(p) > cutoff and term not in self._dense.rows:
                if self._dense.row(term, p, columns) is None:
                    break  # the memory cap is reached; queries scan the postings instead
                built += 1
        return built

    def stats(self) -> dict[str, int | float]:
        """Sizes for monitoring (GET /v1/stats) and benchmarks."""
        return {
            "solutions": len(self._slot_of),
            "slots": len(self._docs),
            "terms": len(self._terms),
            "postings": sum(len(p) for p in self._terms.values()),
            "cpv_keys": len(self._cpv),
            "vocabulary_words": len(self._vocab.counts),
            "dense_rows": len(self._dense.rows),
            "dense_rows_mib": self._dense.nbytes / 2**20,
            "generation": self.generation,
        }

    def _doc(self, solution_id: str) -> SolutionDoc | None:
        slot = self._slot_of.get(solution_id)
        return None if slot is None else self._docs[slot]

    # -- changes --------------------------------------------------------------------------

    def upsert(self, solution: SolutionProfile) -> bool:
        """Add or replace a solution; an older (or equal) version than the one held, or than
        a removal seen, is ignored. Returns whether the index changed."""
        sid = solution.solution_id
        if not self._versions.accepts(sid, solution.version):
            return False
        analysis = self.analyzer.analyze(solution.text, solution.language)
        doc = make_solution_doc(solution, self.weights, analysis=analysis)
        if sid in self._slot_of:
            self._unlink(sid)
        self._link(doc, analysis.words)
        self._versions.live[sid] = solution.version
        self._versions.removed.pop(sid, None)
        self.generation += 1
        return True

    def remove(self, solution_id: str, version: int | None = None) -> bool:
        """Remove a solution (idempotent). With a version, a removal older than the held
        version is ignored; the removal is remembered so that stale upserts stay out."""
        if not self._versions.accepts_removal(solution_id, version):
            if version is not None and solution_id not in self._versions.live:
                prev = self._versions.removed.get(solution_id, 0)
                self._versions.removed[solution_id] = max(prev, version)
            return False
        held = self._versions.live.pop(solution_id)
        self._versions.removed[solution_id] = held if version is None else version
        self._unlink(solution_id)
        self.generation += 1
        return True

    def set_adoption_count(self, solution_id: str, count: int) -> bool:
        """Adoptions change social proof only: no re-analysis, no version change."""
        slot = self._slot_of.get(solution_id)
        doc = None if slot is None else self._docs[slot]
        if slot is None or doc is None or doc.profile.adoption_count == count:
            return False
        profile = replace(doc.profile, adoption_count=count)
        social = social_proof(count, self.weights.adoption_scale)
        self._docs[slot] = SolutionDoc(profile, doc.terms, doc.weights, social)
        self._social[slot] = social
        self.generation += 1
        return True

    def _alloc(self) -> int:
        if self._free:
            return self._free.pop()
        slot = len(self._docs)
        self._docs.append(None)
        if slot >= len(self._social):
            cap = max(1024, 2 * len(self._social))
            self._maturity = np.concatenate(
                [self._maturity, np.zeros(cap - len(self._maturity), dtype=np.intp)]
            )
            self._social = np.concatenate(
                [self._social, np.zeros(cap - len(self._social), dtype=np.float64)]
            )
            self._country = np.concatenate(
                [self._country, np.zeros(cap - len(self._country), dtype=np.int8)]
            )
            self._tag_mask = np.concatenate(
                [self._tag_mask, np.zeros(cap - len(self._tag_mask), dtype=np.int64)]
            )
            self._scratch_cov = np.zeros(cap, dtype=np.float64)
            self._scratch_depth = np.zeros(cap, dtype=np.int8)
            self._scratch_region = np.zeros(cap, dtype=np.int8)
            if self._dense.rows:
                self._dense.grow_columns(cap)
        return slot

    @staticmethod
    def _keys_of(profile: SolutionProfile) -> tuple[list[str], list[str], list[str]]:
        cpv = sorted(prefix for _, prefix in cpv_keys(profile.cpv_codes))
        return cpv, list(profile.regions), sorted(profile.tags)

    def _link(self, doc: SolutionDoc, words: Iterable[str]) -> None:
        slot = self._alloc()
        profile = doc.profile
        self._docs[slot] = doc
        self._slot_of[profile.solution_id] = slot
        self._maturity[slot] = MATURITY_INDEX[profile.maturity]
        self._social[slot] = doc.social
        self._country[slot] = COUNTRY in profile.regions
        mask = 0
        for tag in profile.tags:
            bit = self._tag_bits.get(tag)
            if bit is None and len(self._tag_bits) < 63:
                bit = self._tag_bits[tag] = len(self._tag_bits)
            if bit is not None:
                mask |= 1 << bit
        self._tag_mask[slot] = mask
        terms = self._terms
        dense = self._dense.rows
        for t, w in zip(doc.terms, doc.weights, strict=True):
            p = terms.get(t)
            if p is None:
                p = terms[sys.intern(t)] = _Postings(weighted=True)
            p.add(slot, w)
            if t in dense:
                self._dense.set(t, slot, w)
        cpv, regions, tags = self._keys_of(profile)
        for table, keys in ((self._cpv, cpv), (self._regions, regions), (self._tags, tags)):
            for key in keys:
                p = table.get(key)
                if p is None:
                    p = table[key] = _Postings(weighted=False)
                p.add(slot)
        self._vocab.add(words)

    def _unlink(self, solution_id: str) -> None:
        slot = self._slot_of.pop(solution_id)
        doc = self._docs[slot]
        assert doc is not None
        for t in doc.terms:
            p = self._terms[t]
            p.remove(slot)
            self._dense.set(t, slot, 0.0)
            if not len(p):
                del self._terms[t]
        cpv, regions, tags = self._keys_of(doc.profile)
        for table, keys in ((self._cpv, cpv), (self._regions, regions), (self._tags, tags)):
            for key in keys:
                p = table[key]
                p.remove(slot)
                if not len(p):
                    del table[key]
        # Documents are analyzed purely, so the words they added can be recomputed.
        words = self.analyzer.analyze(
            doc.profile.text, doc.profile.language, decompound=False
        ).words
        self._vocab.discard(words)
        self._docs[slot] = None
        self._maturity[slot] = 0
        self._social[slot] = 0.0
        self._country[slot] = 0
        self._tag_mask[slot] = 0
        self._free.append(slot)

    # -- ranking --------------------------------------------------------------------------

    def analyze_need(self, need: NeedProfile) -> Analysis:
        """The need's text as a query: its compounds also split with this index's words."""
        return self.analyzer.analyze(
            need.text, need.language, vocabulary=self._vocab.counts, cache=self._vocab.split_cache()
        )

    def prepare(self, need: NeedProfile, analysis: Analysis | None = None) -> NeedQuery:
        """The need as a query against this index, weighted with this index's idf."""
        return prepare_need(
            need,
            self,
            analysis=analysis or self.analyze_need(need),
            weights=self.weights,
        )

    def _accumulate(self, query: NeedQuery) -> tuple[IntArray, FloatArray, npt.NDArray[np.int8]]:
        """Candidates: slots sharing a CPV level or a non-common term with the need (sorted),
        with their coverage from non-common terms and their CPV depth.

        Common terms are left out here: scattering their long postings would touch most of
        the index, and by the no-match rule they cannot create a candidate anyway.
        """
        # Scratch arrays, zero between queries: every entry written here belongs to a
        # candidate and is zeroed again below, which is cheaper than fresh arrays per query.
        n = len(self._docs)
        coverage = self._scratch_cov
        depth = self._scratch_depth
        try:
            for term, coef in query.coefs.items():
                if term not in query.common:
                    p = self._terms[term]
                    np.add.at(coverage, p.np_slots(), coef * p.np_weights())
            # Shallow levels first, so that deeper ones overwrite: depth ends as the maximum.
            for level, prefix in sorted(cpv_keys(query.profile.cpv_codes)):
                hits = self._cpv.get(prefix)
                if hits is not None:
                    depth[hits.np_slots()] = level
            cands = np.flatnonzero((coverage[:n] > 0) | (depth[:n] > 0))
            cov, dep = coverage[cands], depth[cands]
            coverage[cands] = 0.0
            depth[cands] = 0
        except BaseException:
            coverage[:] = 0.0
            depth[:] = 0
            raise
        return cands, cov, dep

    def _common_coverage(
        self, query: NeedQuery, cands: IntArray, terms: list[str] | None = None
    ) -> FloatArray:
        """Coverage from the query's common terms (or the given ones) at the candidates
        (sorted slots)."""
        columns = len(self._social)
        rows: list[int] = []
        coefs: list[float] = []
        out = np.zeros(cands.size, dtype=np.float64)
        for term in sorted(query.common) if terms is None else terms:
            p = self._terms[term]
            r = self._dense.row(term, p, columns)
            if r is not None:
                rows.append(r)
                coefs.append(query.coefs[term])
            else:
                out += query.coefs[term] * self._scan_term(p, cands)
        if rows:
            # One flat take: cheaper than 2-D fancy indexing with np.ix_.
            data = self._dense.data
            flat = (np.array(rows, dtype=np.intp)[:, None] * data.shape[1] + cands).ravel()
            sub = data.reshape(-1).take(flat).reshape(len(rows), cands.size)
            out += np.array(coefs, dtype=np.float64) @ sub.astype(np.float64)
        return out

    def _scan_term(self, p: _Postings, slots: IntArray) -> FloatArray:
        """One term's weights at the given sorted slots (0 where absent), without a dense
        row: binary search per slot, or one masked pass over the postings when the slots
        are many, whichever touches fewer elements."""
        n = len(p)
        if slots.size * max(1, n.bit_length()) < 4 * n:
            return p.weights_at(slots)
        mask = np.zeros(len(self._docs), dtype=np.bool_)
        mask[slots] = True
        own = p.np_slots()
        sel = mask[own]
        out = np.zeros(slots.size, dtype=np.float64)
        out[np.searchsorted(slots, own[sel])] = p.np_weights()[sel]
        return out

    def candidates(self, need: NeedProfile) -> list[str]:
        """Ids of solutions sharing a CPV level or a non-common text term with the need."""
        cands, _, _ = self._accumulate(self.prepare(need))
        return sorted(self._profile_at(int(s)).solution_id for s in cands)

    def _profile_at(self, slot: int) -> SolutionProfile:
        doc = self._docs[slot]
        assert doc is not None
        return doc.profile

    def _region_levels(self, location: str, cands: IntArray) -> npt.NDArray[np.int8]:
        """scoring.region_level for every candidate, same precedence: the larger wins."""
        levels = self._scratch_region
        keys: list[tuple[str, int]] = []
        if len(location) == 4:
            county = county_of(location)
            assert county is not None
            keys = [(county, 2), (location, 3)]
        elif location != COUNTRY:
            keys = [(location, 2)]
        touched = [
            (p.np_slots(), level)
            for key, level in keys
            if (p := self._regions.get(key)) is not None
        ]
        for slots, level in touched:
            levels[slots] = level
        # "SE" is served by a large share of solutions: a per-slot flag, not a scatter.
        out: npt.NDArray[np.int8] = np.maximum(levels[cands], self._country[cands])
        for slots, _ in touched:
            levels[slots] = 0  # scratch: zero again for the next query
        return out

    def rank(self, need: NeedProfile, k: int = 20, threshold: float | None = None) -> list[Match]:
        """The k best solutions for a need with score >= threshold, best first; ties by id.

        Exact with respect to `scoring.match` (the brute-force result), in steps:

        1. candidates from the inverted indexes: slots sharing a CPV level or a non-common
           term (the no-match rule says nothing else can match);
        2. an optimistic bound per candidate from what is cheap (CPV, non-common text, the
           common terms at their largest weights, the best region and fit, social proof);
        3. the `probe` candidates with the best bounds scored exactly (common terms read
           from dense rows): their k-th best score is a floor that the final k-th best can
           only raise;
        4. every other candidate whose bound reaches the floor: exact components, common
           terms one at a time while its bound still reaches the floor (MaxScore);
        5. the scalar scorer re-scores the best few (and ties) and explains the top k.
        """
        w = self.weights
        thr = w.threshold if threshold is None else threshold
        if need.phase == WITHDRAWN or k <= 0 or not self._slot_of:
            return []
        query = self.prepare(need)
        cands, cov, depth = self._accumulate(query)
        if cands.size == 0:
            return []
        has_cpv = depth > 0
        bound = sum(query.coefs[t] * self._terms[t].max_weight() for t in query.common)
        probe = 8 * k + self.probe_min
        if cands.size <= probe:
            base = self._base_scores(need, cands, depth)
            if query.common:
                cov = cov + self._common_coverage(query, cands)
        else:
            cands, cov, base, has_cpv = self._prune(
                query, cands, cov, depth, has_cpv, bound=bound, probe=probe, k=k, thr=thr
            )
        text = 1.0 - np.exp(-cov / w.text_saturation)
        total = np.clip(base + w.text * text, 0.0, 1.0)
        keep = (has_cpv | (text >= w.min_text)) & (total >= thr - _EPS)
        cands, total = cands[keep], total[keep]
        if cands.size > k:
            # Everything tied with the k-th score goes on, so that ties resolve by id below.
            kth = np.partition(total, cands.size - k)[cands.size - k]
            cands = cands[total >= kth - _EPS]
        return self._finish(query, (int(s) for s in cands), k, thr)

    def _prune(
        self,
        query: NeedQuery,
        cands: IntArray,
        cov: FloatArray,
        depth: npt.NDArray[np.int8],
        has_cpv: npt.NDArray[np.bool_],
        *,
        bound: float,
        probe: int,
        k: int,
        thr: float,
    ) -> tuple[IntArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        """Steps 2-4 of rank(): (candidates, full coverage, base score, has CPV) for the
        probe and for every candidate that can still reach the probe's k-th best."""
        w = self.weights
        need = query.profile
        pf_best = max(PHASE_MATURITY_FIT[need.phase])
        fit_best = (1.0 - w.tag_share) * pf_best + w.tag_share if need.tags else pf_best
        cheap = (
            w.cpv * _CPV_SCORES[depth]
            + (w.region + w.fit * fit_best)
            + w.social_proof * self._social[cands]
        )
        ub0 = self._bounded(cov + bound, cheap, has_cpv)
        first = np.sort(np.argpartition(ub0, cands.size - probe)[cands.size - probe :])
        base_f = self._base_scores(need, cands[first], depth[first])
        cov_f = cov[first]
        if query.common:
            cov_f = cov_f + self._common_coverage(query, cands[first])
        exact = self._bounded(cov_f, base_f, has_cpv[first])
        floor = thr
        if np.count_nonzero(exact >= thr) >= k:
            floor = max(thr, float(np.partition(exact, exact.size - k)[exact.size - k]))
        rest = ub0 >= floor - _EPS
        rest[first] = False
        idx = np.flatnonzero(rest)
        base_r = self._base_scores(need, cands[idx], depth[idx])
        cov_r = cov[idx]
        if query.common:
            live = self._bounded(cov_r + bound, base_r, has_cpv[idx]) >= floor - _EPS
            idx, base_r, cov_r = idx[live], base_r[live], cov_r[live]
            cov_r = self._maxscore(query, cands[idx], cov_r, base_r, has_cpv[idx], floor=floor)
            live = cov_r >= 0.0
            idx, base_r, cov_r = idx[live], base_r[live], cov_r[live]
        order = np.concatenate([first, idx])
        return (
            cands[order],
            np.concatenate([cov_f, cov_r]),
            np.concatenate([base_f, base_r]),
            has_cpv[order],
        )

    def _maxscore(
        self,
        query: NeedQuery,
        cands: IntArray,
        cov: FloatArray,
        base: FloatArray,
        has_cpv: npt.NDArray[np.bool_],
        *,
        floor: float,
    ) -> FloatArray:
        """Full coverage of `cands` (sorted slots), or -1 for those proven unable to reach
        `floor`: common terms a few at a time, largest bounds first, re-checking each
        candidate's bound with what is still unknown (MaxScore). Few candidates get all
        terms at once: each round costs a handful of numpy calls."""
        if cands.size <= self.maxscore_min:
            return cov + self._common_coverage(query, cands)
        terms = sorted(
            ((query.coefs[t] * self._terms[t].max_weight(), t) for t in query.common),
            reverse=True,
        )
        out = np.full(cands.size, -1.0)
        pos = np.arange(cands.size)
        remaining = sum(b for b, _ in terms)
        step = max(1, -(-len(terms) // 4))  # at most 4 rounds
        for i in range(0, len(terms), step):
            chunk = terms[i : i + step]
            cov = cov + self._common_coverage(query, cands[pos], [t for _, t in chunk])
            remaining -= sum(b for b, _ in chunk)
            live = self._bounded(cov + remaining, base[pos], has_cpv[pos]) >= floor - _EPS
            pos, cov = pos[live], cov[live]
            if pos.size == 0:
                break
        out[pos] = cov
        return out

    def _bounded(
        self, cov: FloatArray, base: FloatArray, has_cpv: npt.NDArray[np.bool_]
    ) -> FloatArray:
        """Total scores for the given coverage; -1 where the rules say no match."""
        w = self.weights
        text = 1.0 - np.exp(-cov / w.text_saturation)
        out: FloatArray = np.where(has_cpv | (text >= w.min_text), base + w.text * text, -1.0)
        return out

    def _shared_tags(self, tags: frozenset[str], cands: IntArray) -> FloatArray:
        """How many of `tags` each candidate has: popcount over per-slot tag bits for the
        first 63 tags ever seen, posting lists for any beyond (tags are an open set)."""
        mask = 0
        shared = np.zeros(cands.size, dtype=np.float64)
        for tag in tags:
            bit = self._tag_bits.get(tag)
            if bit is not None:
                mask |= 1 << bit
            elif (p := self._tags.get(tag)) is not None:
                hit = np.zeros(len(self._docs), dtype=np.bool_)
                hit[p.np_slots()] = True
                shared += hit[cands]
        if mask:
            shared += np.bitwise_count(self._tag_mask[cands] & np.int64(mask))
        return shared

    def _base_scores(
        self, need: NeedProfile, cands: IntArray, depth: npt.NDArray[np.int8]
    ) -> FloatArray:
        """Weighted CPV, region, fit and social proof: the score except its text share."""
        w = self.weights
        region = _REGION_SCORES[self._region_levels(need.municipality_code, cands)]
        fit = _FIT[PHASE_INDEX[need.phase]][self._maturity[cands]]
        if need.tags:
            shared = self._shared_tags(need.tags, cands)
            fit = (1.0 - w.tag_share) * fit + w.tag_share * (shared / len(need.tags))
        out: FloatArray = (
            w.cpv * _CPV_SCORES[depth]
            + w.region * region
            + w.fit * fit
            + w.social_proof * self._social[cands]
        )
        return out

    def _finish(
        self, query: NeedQuery, slots: Iterable[int], k: int, threshold: float
    ) -> list[Match]:
        """Exact scores for the pre-selected slots, best k explained."""
        w = self.weights
        scored: list[tuple[float, str, SolutionDoc, Components]] = []
        for slot in slots:
            doc = self._docs[slot]
            assert doc is not None
            c = components(query, doc, w)
            if c is not None and c.total >= threshold:
                scored.append((-c.total, doc.profile.solution_id, doc, c))
        scored.sort(key=lambda x: (x[0], x[1]))
        # Reasons only for what is returned: ties at the k-th score may bring many more.
        return [
            Match(
                need_id=query.profile.need_id,
                solution_id=sid,
                score=c.total,
                reasons=explain(query, doc, c, w),
                need_version=query.profile.version,
                solution_version=doc.profile.version,
            )
            for _, sid, doc, c in scored[:k]
        ]

    def rank_brute_force(
        self, need: NeedProfile, k: int = 20, threshold: float | None = None
    ) -> list[Match]:
        """Reference ranking: the scalar scorer over every solution, no candidate generation."""
        thr = self.weights.threshold if threshold is None else threshold
        if need.phase == WITHDRAWN or k <= 0:
            return []
        query = self.prepare(need)
        w = self.weights
        scored: list[tuple[float, str, int]] = []
        for slot, doc in enumerate(self._docs):
            if doc is None:
                continue
            s = score(query, doc, w)
            if s is not None and s >= thr:
                scored.append((-s, doc.profile.solution_id, slot))
        scored.sort()
        return self._finish(query, (slot for _, _, slot in scored[:k]), k, thr)

    def explain(self, need: NeedProfile, solution_id: str) -> Match | None:
        """Score and reasons of one pair, whatever the threshold."""
        doc = self._doc(solution_id)
        if doc is None:
            return None
        return match(self.prepare(need), doc, self.weights)


@dataclass(slots=True)
class _NeedEntry:
    profile: NeedProfile
    analysis: Analysis
    terms: frozenset[str]


class NeedIndex:
    """Needs (open and past) in memory, ranked for a solution: new solutions meet open
    needs, adoptions meet similar needs elsewhere (see scaling.py).

    Scores are the same formula as SolutionIndex.rank, with the need as the query. Linked to
    a SolutionIndex, a need's terms are weighted with the solution corpus' current idf and
    its compounds split with the solution vocabulary as of the need's last update, as in the
    forward direction; so a pair scores the same whichever side arrived last, except for a
    compound whose parts first appeared among solutions after the need was stored.
    Unlinked, the needs are their own corpus.
    """

    def __init__(
        self,
        weights: ScoringWeights = DEFAULT_WEIGHTS,
        *,
        analyzer: Analyzer | None = None,
        solutions: SolutionIndex | None = None,
    ) -> None:
        self.weights = weights
        self.analyzer = analyzer or (solutions.analyzer if solutions else default_analyzer())
        self._solutions = solutions
        self._versions = _Versions()
        self._needs: dict[str, _NeedEntry] = {}
        self._terms: dict[str, set[str]] = {}
        self._divisions: dict[str, set[str]] = {}
        self._vocab = _Vocabulary()
        self._prepared: dict[str, tuple[int, NeedQuery]] = {}
        self.generation = 0

    # -- TermStats (used when not linked to a SolutionIndex) ------------------------------

    @property
    def doc_count(self) -> int:
        return len(self._needs)

    def doc_freq(self, term: str) -> int:
        s = self._terms.get(term)
        return 0 if s is None else len(s)

    # -- contents -------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self._needs)

    def __len__(self) -> int:
        return len(self._needs)

    def __contains__(self, need_id: object) -> bool:
        return need_id in self._needs

    def get(self, need_id: str) -> NeedProfile | None:
        e = self._needs.get(need_id)
        return None if e is None else e.profile

    def needs(self) -> Iterator[NeedProfile]:
        for e in self._needs.values():
            yield e.profile

    def fingerprint(self) -> str:
        return fingerprint_of(self._versions.live.items())

    def upsert(self, need: NeedProfile) -> bool:
        nid = need.need_id
        if not self._versions.accepts(nid, need.version):
            return False
        if nid in self._needs:
            self._unlink(nid)
        # Analyzed once, as a query: idf changes with every solution and is applied per
        # ranking, but re-splitting every need's compounds on every change would not scale.
        if self._solutions is not None:
            analysis = self._solutions.analyze_need(need)
        else:
            analysis = self.analyzer.analyze(
                need.text,
                need.language,
                vocabulary=self._vocab.counts,
                cache=self._vocab.split_cache(),
            )
        entry = _NeedEntry(need, analysis, frozenset(analysis.terms))
        self._needs[nid] = entry
        for t in entry.terms:
            self._terms.setdefault(sys.intern(t), set()).add(nid)
        for division in {c[:2] for c in need.cpv_codes}:
            self._divisions.setdefault(division, set()).add(nid)
        self._vocab.add(analysis.words)
        self._versions.live[nid] = need.version
        self._versions.removed.pop(nid, None)
        self.generation += 1
        return True

    def remove(self, need_id: str, version: int | None = None) -> bool:
        if not self._versions.accepts_removal(need_id, version):
            if version is not None and need_id not in self._versions.live:
                prev = self._versions.removed.get(need_id, 0)
                self._versions.removed[need_id] = max(prev, version)
            return False
        held = self._versions.live.pop(need_id)
        self._versions.removed[need_id] = held if version is None else version
        self._unlink(need_id)
        self.generation += 1
        return True

    def _unlink(self, need_id: str) -> None:
        e = self._needs.pop(need_id)
        self._prepared.pop(need_id, None)
        for t in e.terms:
            s = self._terms[t]
            s.discard(need_id)
            if not s:
                del self._terms[t]
        for division in {c[:2] for c in e.profile.cpv_codes}:
            s = self._divisions[division]
            s.discard(need_id)
            if not s:
                del self._divisions[division]
        self._vocab.discard(e.analysis.words)

    # -- ranking --------------------------------------------------------------------------

    def _stats(self) -> tuple[TermStats, int]:
        sol = self._solutions
        if sol is not None:
            return sol, sol.generation
        return self, self.generation

    def _prepare(self, need_id: str) -> NeedQuery:
        stats, gen = self._stats()
        hit = self._prepared.get(need_id)
        if hit is not None and hit[0] == gen:
            return hit[1]
        e = self._needs[need_id]
        q = prepare_need(e.profile, stats, analysis=e.analysis, weights=self.weights)
        self._prepared[need_id] = (gen, q)
        return q

    def candidates_for(self, solution: SolutionProfile) -> list[str]:
        """Needs sharing a CPV division or a non-common text term with the solution."""
        doc = make_solution_doc(solution, self.weights, analyzer=self.analyzer)
        return sorted(self._candidates(solution, doc))

    def _candidates(self, solution: SolutionProfile, doc: SolutionDoc) -> set[str]:
        # Common terms (by the stats' corpus) cannot make a match alone: skip them here, as
        # SolutionIndex does, or nearly every need would be a candidate.
        stats, _ = self._stats()
        cutoff = common_df(stats.doc_count, self.weights)
        found: set[str] = set()
        for t in doc.terms:
            s = self._terms.get(t)
            if s and stats.doc_freq(t) <= cutoff:
                found |= s
        for division in {c[:2] for c in solution.cpv_codes}:
            s = self._divisions.get(division)
            if s:
                found |= s
        return found

    def explain(
        self, need_id: str, solution: SolutionProfile, weights: ScoringWeights | None = None
    ) -> Match | None:
        """Score and reasons of one pair (None if the need is unknown or it is no match)."""
        if need_id not in self._needs:
            return None
        w = weights or self.weights
        doc = make_solution_doc(solution, w, analyzer=self.analyzer)
        return match(self._prepare(need_id), doc, w)

    def rank_needs_for(
        self,
        solution: SolutionProfile,
        k: int | None = 20,
        threshold: float | None = None,
        *,
        include_closed: bool = False,
        weights: ScoringWeights | None = None,
    ) -> list[Match]:
        """Needs this solution matches, best first (ties by need id); k=None for all.

        Withdrawn needs never match; past needs (is_open False) only with include_closed.
        """
        w = weights or self.weights
        thr = w.threshold if threshold is None else threshold
        doc = make_solution_doc(solution, w, analyzer=self.analyzer)
        scored: list[tuple[float, str, NeedQuery, Components]] = []
        for nid in self._candidates(solution, doc):
            profile = self._needs[nid].profile
            if not (profile.is_open or include_closed) or profile.phase == WITHDRAWN:
                continue
            query = self._prepare(nid)
            c = components(query, doc, w)
            if c is not None and c.total >= thr:
                scored.append((-c.total, nid, query, c))
        scored.sort(key=lambda x: (x[0], x[1]))
        if k is not None:
            scored = scored[:k]
        # Reasons only for what is returned: building them is the costly part.
        return [
            Match(
                need_id=nid,
                solution_id=solution.solution_id,
                score=c.total,
                reasons=explain(query, doc, c, w),
                need_version=query.profile.version,
                solution_version=solution.version,
            )
            for _, nid, query, c in scored
        ]
