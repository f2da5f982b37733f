"""SolutionIndex: all solutions in memory, ranked for a need.

The hot path (every published need, every preview). Design:

* every solution gets a dense slot; per-slot facts (maturity, social proof, "serves SE",
  tag bits: `solution_facts`) live in numpy arrays, and per-term postings hold (slot, BM25
  weight) pairs computed once at insert time, so nothing about a solution is recomputed per
  query;
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

import sys
from collections.abc import Container, Iterable, Iterator
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from marketplace_contracts.process import WITHDRAWN
from marketplace_contracts.text.bilingual import default_lexicon
from marketplace_contracts.text.ranking import Analysis, Analyzer, default_analyzer

from .model import Match, NeedProfile, SolutionProfile
from .postings import (
    DenseRows,
    FloatArray,
    IntArray,
    Postings,
    Versions,
    Vocabulary,
    add_keys,
    cpv_keys,
    fingerprint_of,
    remove_keys,
)
from .scoring import (
    DEFAULT_WEIGHTS,
    Components,
    NeedQuery,
    ScoringWeights,
    SolutionDoc,
    common_df,
    components,
    explain,
    make_solution_doc,
    match,
    prepare_need,
    score,
    social_proof,
)
from .solution_facts import SolutionFacts

# Score slack when pre-selecting with the vectorized scores: dense rows hold float32
# weights and sums run in another order, so vectorized scores may differ from the exact ones
# by ~1e-7; everything within the slack of the cut goes on, and the exact re-scoring decides.
_EPS = 1e-6


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
        self._dense = DenseRows(dense_bytes)
        self._versions = Versions()
        self._slot_of: dict[str, int] = {}
        self._docs: list[SolutionDoc | None] = []
        self._free: list[int] = []
        self._terms: dict[str, Postings] = {}
        self._cpv: dict[str, Postings] = {}
        self._facts = SolutionFacts()  # maturity, social proof, regions, tags per slot
        self._vocab = Vocabulary()
        self._scratch_cov = np.zeros(0, dtype=np.float64)
        self._scratch_depth = np.zeros(0, dtype=np.int8)
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
        load, e.g. once the index has been rebuilt from Kafka. Returns the rows built.
        The term mapping across languages is learned here too, not on the first need."""
        default_lexicon()
        cutoff = common_df(len(self._slot_of), self.weights)
        columns = self._facts.capacity
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
        self._versions.store(sid, solution.version)
        self.generation += 1
        return True

    def remove(self, solution_id: str, version: int | None = None) -> bool:
        """Remove a solution (idempotent). With a version, a removal older than the held
        version is ignored; the removal is remembered so that stale upserts stay out."""
        if not self._versions.remove(solution_id, version):
            return False
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
        self._facts.set_social(slot, social)
        self.generation += 1
        return True

    def _alloc(self) -> int:
        if self._free:
            return self._free.pop()
        slot = len(self._docs)
        self._docs.append(None)
        if slot >= self._facts.capacity:
            cap = self._facts.grow()
            self._scratch_cov = np.zeros(cap, dtype=np.float64)
            self._scratch_depth = np.zeros(cap, dtype=np.int8)
            if self._dense.rows:
                self._dense.grow_columns(cap)
        return slot

    @staticmethod
    def _cpv_keys_of(profile: SolutionProfile) -> list[str]:
        return sorted(prefix for _, prefix in cpv_keys(profile.cpv_codes))

    def _link(self, doc: SolutionDoc, words: Iterable[str]) -> None:
        slot = self._alloc()
        profile = doc.profile
        self._docs[slot] = doc
        self._slot_of[profile.solution_id] = slot
        self._facts.add(slot, profile, doc.social)
        terms = self._terms
        dense = self._dense.rows
        for t, w in zip(doc.terms, doc.weights, strict=True):
            p = terms.get(t)
            if p is None:
                p = terms[sys.intern(t)] = Postings(weighted=True)
            p.add(slot, w)
            if t in dense:
                self._dense.set(t, slot, w)
        add_keys(self._cpv, self._cpv_keys_of(profile), slot)
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
        remove_keys(self._cpv, self._cpv_keys_of(doc.profile), slot)
        self._facts.remove(slot, doc.profile)
        # Documents are analyzed purely, so the words they added can be recomputed.
        words = self.analyzer.analyze(
            doc.profile.text, doc.profile.language, decompound=False
        ).words
        self._vocab.discard(words)
        self._docs[slot] = None
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
        columns = self._facts.capacity
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
                out += query.coefs[term] * p.scan(cands, len(self._docs))
        if rows:
            # One flat take: cheaper than 2-D fancy indexing with np.ix_.
            data = self._dense.data
            flat = (np.array(rows, dtype=np.intp)[:, None] * data.shape[1] + cands).ravel()
            sub = data.reshape(-1).take(flat).reshape(len(rows), cands.size)
            out += np.array(coefs, dtype=np.float64) @ sub.astype(np.float64)
        return out

    def candidates(self, need: NeedProfile) -> list[str]:
        """Ids of solutions sharing a CPV level or a non-common text term with the need."""
        cands, _, _ = self._accumulate(self.prepare(need))
        return sorted(self._profile_at(int(s)).solution_id for s in cands)

    def _profile_at(self, slot: int) -> SolutionProfile:
        doc = self._docs[slot]
        assert doc is not None
        return doc.profile

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
            base = self._facts.base_scores(self.weights, need, cands, depth)
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
        need = query.profile
        cheap = self._facts.base_bound(self.weights, need, cands, depth)
        ub0 = self._bounded(cov + bound, cheap, has_cpv)
        first = np.sort(np.argpartition(ub0, cands.size - probe)[cands.size - probe :])
        base_f = self._facts.base_scores(self.weights, need, cands[first], depth[first])
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
        base_r = self._facts.base_scores(self.weights, need, cands[idx], depth[idx])
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
