"""NeedIndex: needs (open and past) in memory, ranked for a solution."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

from marketplace_contracts.process import WITHDRAWN
from marketplace_contracts.text.bilingual import default_lexicon
from marketplace_contracts.text.ranking import Analysis, Analyzer, default_analyzer

from .model import Match, NeedProfile, SolutionProfile
from .postings import Versions, Vocabulary, fingerprint_of
from .scoring import (
    DEFAULT_WEIGHTS,
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
)
from .solution_index import SolutionIndex


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
        self._versions = Versions()
        self._needs: dict[str, _NeedEntry] = {}
        self._terms: dict[str, set[str]] = {}
        self._divisions: dict[str, set[str]] = {}
        self._vocab = Vocabulary()
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
        entry = _NeedEntry(need, analysis, self._reach(analysis))
        self._needs[nid] = entry
        for t in entry.terms:
            self._terms.setdefault(sys.intern(t), set()).add(nid)
        for division in {c[:2] for c in need.cpv_codes}:
            self._divisions.setdefault(division, set()).add(nid)
        self._vocab.add(analysis.words)
        self._versions.store(nid, need.version)
        self.generation += 1
        return True

    def _reach(self, analysis: Analysis) -> frozenset[str]:
        """The terms a need is found by: its own and their translations, which its query
        scores too (see `prepare_need`)."""
        if self.weights.bridge_weight <= 0:
            return frozenset(analysis.terms)
        lexicon = default_lexicon()
        bridged = {b.term for t in analysis.terms for b in lexicon.bridges(t, analysis.language)}
        return frozenset(analysis.terms) | bridged

    def remove(self, need_id: str, version: int | None = None) -> bool:
        if not self._versions.remove(need_id, version):
            return False
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
