"""Explainable need-solution scoring.

The combined score is a weighted sum of component scores, each in [0, 1]:

    score = w.cpv * cpv + w.text * text + w.region * region + w.fit * fit
            + w.social_proof * social_proof

with the weights summing to 1, so the score is in [0, 1] too. Rules on top of the sum:

* a pair with neither a shared CPV level nor text relevance is no match, however well
  region, fit and social proof agree: those say *whether* a solution could be used, not
  *that* it addresses the need. Text relevance here means text >= ``min_text`` *and* at
  least one shared discriminative term: words found in a large share of all solutions
  ("digital", "system", "tjänst"; see ``common_df``) still add to the text score of a
  pair, but alone they do not make one. This also bounds the work of candidate generation
  in a large index, since such words would otherwise make nearly every solution a
  candidate;
* a withdrawn need matches nothing.

Components (tables below are the documented defaults):

* cpv: the deepest CPV level two codes share, over the best need/solution code pair
  (``CPV_LEVEL_SCORES``);
* text: BM25 coverage of the need's terms by the solution, normalized by the need's own
  IDF mass and saturated: ``1 - exp(-coverage / text_saturation)``;
* region: municipality / county / whole country (``REGION_SCORES``);
* fit: phase/maturity fit (``PHASE_MATURITY_FIT``), with ``tag_share`` of it taken by shared
  practice tags when the need has tags;
* social proof: ``1 - exp(-adoptions / adoption_scale)``, diminishing returns.

The same functions serve the vectorized index (which mirrors them with numpy) and the
brute-force path; tests check that both agree.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Container, Mapping, MutableMapping
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import Final, Literal, NamedTuple, Protocol

from marketplace_contracts.events import Maturity, Phase
from marketplace_contracts.process import WITHDRAWN
from marketplace_contracts.reference.cpv import (
    LEVEL_DIGITS,
    LEVELS,
    level_depth,
    lookup,
    shared_depth,
)
from marketplace_contracts.reference.regions import COUNTRY_CODE, county_of
from marketplace_contracts.text.bilingual import BilingualLexicon, default_lexicon
from marketplace_contracts.text.ranking import Analysis, Analyzer, Split, default_analyzer

from .model import (
    MATURITIES,
    PHASES,
    Match,
    NeedProfile,
    Reason,
    SolutionProfile,
    place_name,
)

# -- configuration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoringWeights:
    """Weights of the components (must sum to 1) and the few knobs of the scorers.

    Defaults: CPV and text carry most weight because they say what the solution *is*;
    region, fit and social proof order solutions that address the need equally well.
    """

    cpv: float = 0.30
    text: float = 0.35
    region: float = 0.10
    fit: float = 0.15
    social_proof: float = 0.10
    # share of `fit` carried by shared practice tags when the need names tags
    tag_share: float = 0.3
    # default minimum combined score for a match (rank() can override)
    threshold: float = 0.3
    # text relevance below this counts as "no text relevance" for the no-match rule
    min_text: float = 0.05
    # a term is "common" when more than max(common_min_df, common_ratio * N) of the N
    # indexed documents contain it: it scores, but does not on its own make a match
    common_ratio: float = 0.05
    common_min_df: int = 500
    # BM25 term saturation and length normalisation; lengths are compared with a fixed
    # reference length rather than the corpus average, so that weights can be computed
    # once at insert time and do not depend on insertion order
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    reference_length: float = 60.0
    # coverage at which text relevance reaches 1 - 1/e (~0.63)
    text_saturation: float = 0.35
    # adoptions at which social proof reaches 1 - 1/e (~0.63); 26 adoptions -> ~0.99
    adoption_scale: float = 6.0
    # a translation of a need's term (see `prepare_need`) weighs this share of the term
    # itself, times the translation's strength; 0 matches in the need's language only
    bridge_weight: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} must be >= 0")
        total = self.cpv + self.text + self.region + self.fit + self.social_proof
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"component weights must sum to 1, not {total:.6f}")
        if not 0.0 <= self.tag_share <= 1.0:
            raise ValueError("tag_share must be in [0, 1]")
        if self.text_saturation <= 0 or self.adoption_scale <= 0 or self.reference_length <= 0:
            raise ValueError("text_saturation, adoption_scale and reference_length must be > 0")


DEFAULT_WEIGHTS: Final = ScoringWeights()

# Depth 0 = nothing shared; 1..5 = division, group, class, category, full code. A shared
# division is weak evidence (division 72 spans all IT services), hence the steep start.
CPV_LEVEL_SCORES: Final[tuple[float, ...]] = (0.0, 0.3, 0.6, 0.8, 0.9, 1.0)

RegionLevel = Literal["municipality", "county", "country"]
# Index 0 = the solution does not serve the buyer's area; then country, county,
# municipality (local presence matters for on-site work and follow-up).
REGION_LEVELS: Final[tuple[RegionLevel | None, ...]] = (None, "country", "county", "municipality")
REGION_SCORES: Final[tuple[float, ...]] = (0.0, 0.6, 0.8, 1.0)

# Rows: need phase; columns: solution maturity (idea, prototype, pilot, market-ready).
# Early phases (hypothesis, validation, co-creation) welcome ideas, prototypes and pilots and
# still want to see what already exists; procurement onwards wants pilots or products.
PHASE_MATURITY_FIT: Final[dict[Phase, tuple[float, float, float, float]]] = {
    "hypothesis": (1.0, 1.0, 1.0, 0.8),
    "validation": (1.0, 1.0, 1.0, 0.8),
    "co-creation": (0.8, 1.0, 1.0, 0.8),
    "procurement": (0.1, 0.3, 0.8, 1.0),
    "implementation": (0.0, 0.1, 0.6, 1.0),
    "scaling": (0.0, 0.0, 0.5, 1.0),
    "withdrawn": (0.0, 0.0, 0.0, 0.0),
}
MATURITY_INDEX: Final[dict[Maturity, int]] = {m: i for i, m in enumerate(MATURITIES)}
PHASE_INDEX: Final[dict[Phase, int]] = {p: i for i, p in enumerate(PHASES)}


# -- component scorers --------------------------------------------------------------------


def cpv_depth(a: str, b: str) -> int:
    """Deepest level at which two normalized codes agree and both are at least that specific.

    80500000 vs 80530000 -> 2 (group 805); 80530000 vs 80533100 -> 3 (class 8053). The
    contracts' `shared_depth`, except that equal codes share only their own level: two
    80500000 share the group (2), since a full code (5) is more than either says.
    """
    return min(shared_depth(a, b), level_depth(a), level_depth(b))


@functools.lru_cache(maxsize=65536)
def best_cpv_overlap(
    need_codes: tuple[str, ...], solution_codes: tuple[str, ...]
) -> tuple[int, str | None]:
    """(depth, shared prefix) of the best code pair; ties go to the smallest prefix.

    Cached: code lists repeat a lot (profiles keep them sorted), and this runs per pair."""
    best = 0
    prefix: str | None = None
    for a in need_codes:
        for b in solution_codes:
            d = cpv_depth(a, b)
            if d == 0:
                continue
            p = a[: LEVEL_DIGITS[d - 1]]
            if d > best or (d == best and prefix is not None and p < prefix):
                best, prefix = d, p
    return best, prefix


@functools.lru_cache(maxsize=8192)
def cpv_label(prefix: str) -> str | None:
    """The English label of the code a prefix stands for ("805" -> "Training services")."""
    if not prefix.isdigit() or len(prefix) > 8:
        return None
    entry = lookup(prefix.ljust(8, "0"))
    return entry.label_en if entry is not None else None


def region_level(location: str, regions: Container[str]) -> int:
    """Index into REGION_LEVELS: how closely a solution's regions cover a buyer location.

    `location` is a municipality code; a county code or "SE" is tolerated for buyers that
    are themselves regions or national agencies.
    """
    if location in regions:
        if len(location) == 4:
            return 3
        return 2 if location != COUNTRY_CODE else 1
    county = county_of(location)
    if county is not None and len(location) == 4 and county in regions:
        return 2
    return 1 if COUNTRY_CODE in regions else 0


def phase_fit(phase: Phase, maturity: Maturity) -> float:
    return PHASE_MATURITY_FIT[phase][MATURITY_INDEX[maturity]]


def tag_overlap(need_tags: frozenset[str], solution_tags: frozenset[str]) -> frozenset[str]:
    return need_tags & solution_tags


def fit_score(
    phase: Phase, maturity: Maturity, shared_tags: int, need_tags: int, tag_share: float
) -> float:
    """Phase/maturity fit; shared tags take `tag_share` of it when the need names tags, so
    an untagged need neither rewards nor punishes tags."""
    pf = phase_fit(phase, maturity)
    if need_tags == 0:
        return pf
    return (1.0 - tag_share) * pf + tag_share * (shared_tags / need_tags)


def social_proof(adoptions: int, scale: float = DEFAULT_WEIGHTS.adoption_scale) -> float:
    """1 - exp(-n / scale): the first adoptions count most, 26 is almost as good as 100."""
    if adoptions <= 0:
        return 0.0
    return 1.0 - math.exp(-adoptions / scale)


def bm25_idf(doc_freq: int, doc_count: int) -> float:
    """BM25's idf with +1 inside the log, so that it stays positive for common terms."""
    return math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25_doc_weights(analysis: Analysis, weights: ScoringWeights) -> dict[str, float]:
    """Per-term BM25 weight of a document, without idf (applied at query time).

    Equals 1.0 for a term seen once in a document of the reference length.
    """
    k1 = weights.bm25_k1
    norm = k1 * (1.0 - weights.bm25_b + weights.bm25_b * analysis.length / weights.reference_length)
    return {t: tf * (k1 + 1.0) / (tf + norm) for t, tf in analysis.terms.items()}


def common_df(doc_count: int, weights: ScoringWeights) -> float:
    """Document frequency above which a term is common (see the no-match rule)."""
    return max(float(weights.common_min_df), weights.common_ratio * doc_count)


def saturate_text(coverage: float, weights: ScoringWeights) -> float:
    return 1.0 - math.exp(-coverage / weights.text_saturation)


# -- prepared inputs ----------------------------------------------------------------------


class TermStats(Protocol):
    """Document frequencies of the corpus whose idf a query is weighted with."""

    @property
    def doc_count(self) -> int: ...

    def doc_freq(self, term: str) -> int: ...


@dataclass(frozen=True, slots=True, eq=False)
class NeedQuery:
    """A need ready to be scored: its analysis and per-term coefficients.

    coefs[t] = qw(t) * idf(t) / sum over known terms of qw * idf, with qw = 1 + ln(tf), so
    that coverage = sum of coefs[t] * bm25_weight(t, doc) is 1.0 for a reference-length
    document containing every known term once.
    """

    profile: NeedProfile
    analysis: Analysis
    coefs: dict[str, float]
    # terms of coefs that are common in the corpus (score, but never make a match alone)
    common: frozenset[str] = frozenset()
    # terms of coefs that translate the need's words: term -> (the need's word, the term
    # as a word), so that an explanation can name the bridge
    bridges: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class SolutionDoc:
    """A solution as an index stores it: profile, BM25 term weights, social proof."""

    profile: SolutionProfile
    terms: tuple[str, ...]
    weights: array[float]
    social: float


def prepare_need(
    need: NeedProfile,
    stats: TermStats,
    *,
    analyzer: Analyzer | None = None,
    vocabulary: Container[str] | None = None,
    cache: MutableMapping[str, Split] | None = None,
    analysis: Analysis | None = None,
    weights: ScoringWeights = DEFAULT_WEIGHTS,
    lexicon: BilingualLexicon | None = None,
) -> NeedQuery:
    """Analyze a need as a query (compounds split against `vocabulary` too) and weight its
    terms with the idf of `stats`, adding their translations into the other language
    (`lexicon`, by default the one learned from the CPV labels).

    Each of the need's terms is one concept, found by the word itself or a translation: a
    translation's weight is the term's, with the translation's idf, times its strength and
    `bridge_weight`; the normalisation sums each concept's best form. Concepts the corpus
    knows in neither language are left out of it: no document can match them, and they
    would only lower every score."""
    if analysis is None:
        analysis = (analyzer or default_analyzer()).analyze(
            need.text, need.language, vocabulary=vocabulary, cache=cache
        )
    lex = lexicon if lexicon is not None else default_lexicon()
    translate = weights.bridge_weight > 0
    n = stats.doc_count
    cutoff = common_df(n, weights)
    raw: dict[str, float] = {}
    common: list[str] = []
    bridges: dict[str, tuple[str, str]] = {}
    total = 0.0
    for term, tf in analysis.terms.items():
        qw = 1.0 + math.log(tf)
        best = 0.0
        df = stats.doc_freq(term)
        if df > 0:
            best = raw[term] = qw * bm25_idf(df, n)
            if df > cutoff:
                common.append(term)
        for bridge in lex.bridges(term, analysis.language) if translate else ():
            target = bridge.term
            if target in analysis.terms or (bdf := stats.doc_freq(target)) == 0:
                continue  # the need says it itself, or no document does
            value = qw * bm25_idf(bdf, n) * bridge.strength * weights.bridge_weight
            if value > raw.get(target, 0.0):
                raw[target] = value
                bridges[target] = (analysis.display.get(term, term), bridge.display)
                if bdf > cutoff and target not in common:
                    common.append(target)
            best = max(best, value)
        total += best
    coefs = {t: v / total for t, v in raw.items()} if total > 0 else {}
    return NeedQuery(need, analysis, coefs, frozenset(common), bridges)


def make_solution_doc(
    solution: SolutionProfile,
    weights: ScoringWeights = DEFAULT_WEIGHTS,
    *,
    analyzer: Analyzer | None = None,
    analysis: Analysis | None = None,
) -> SolutionDoc:
    """Analyze a solution as a document: a pure function of the solution (built-in compound
    parts and its own words only), so any index holds the same weights in any order."""
    if analysis is None:
        analysis = (analyzer or default_analyzer()).analyze(solution.text, solution.language)
    w = bm25_doc_weights(analysis, weights)
    return SolutionDoc(
        profile=solution,
        terms=tuple(w),
        weights=array("d", w.values()),
        social=social_proof(solution.adoption_count, weights.adoption_scale),
    )


# -- combined score -----------------------------------------------------------------------


class Components(NamedTuple):
    """Every component's score, plus what the explanation needs (a NamedTuple: built once
    per scored pair, so cheap construction matters)."""

    cpv: float
    text: float
    region: float
    fit: float
    social_proof: float
    total: float
    cpv_depth: int
    cpv_prefix: str | None
    region_level: int
    shared_tags: frozenset[str]
    # (term, its share of the coverage) for every shared term, for the explanation
    shared_terms: tuple[tuple[str, float], ...]


def text_coverage(
    need: NeedQuery, doc: SolutionDoc
) -> tuple[float, bool, tuple[tuple[str, float], ...]]:
    """(BM25 coverage of the need's terms by the document, whether a non-common term is
    shared, the shared terms with their contributions)."""
    get = need.coefs.get
    shared = [
        (t, c * w) for t, w in zip(doc.terms, doc.weights, strict=True) if (c := get(t)) is not None
    ]
    if not shared:
        return 0.0, False, ()
    common = need.common
    # fsum is exactly rounded: the same value whatever the order of the terms
    coverage = math.fsum(map(itemgetter(1), shared))
    discriminative = not common or not frozenset(map(itemgetter(0), shared)) <= common
    return coverage, discriminative, tuple(shared)


def components(
    need: NeedQuery, doc: SolutionDoc, weights: ScoringWeights = DEFAULT_WEIGHTS
) -> Components | None:
    """All component scores of a pair, or None when the rules say it is no match."""
    n = need.profile
    s = doc.profile
    if n.phase == WITHDRAWN:
        return None
    depth, prefix = best_cpv_overlap(n.cpv_codes, s.cpv_codes)
    coverage, discriminative, shared_terms = text_coverage(need, doc)
    text = saturate_text(coverage, weights)
    if depth == 0 and (text < weights.min_text or not discriminative):
        return None
    cpv = CPV_LEVEL_SCORES[depth]
    rlevel = region_level(n.municipality_code, s.regions)
    region = REGION_SCORES[rlevel]
    shared = n.tags & s.tags
    fit = fit_score(n.phase, s.maturity, len(shared), len(n.tags), weights.tag_share)
    total = (
        weights.cpv * cpv
        + weights.text * text
        + weights.region * region
        + weights.fit * fit
        + weights.social_proof * doc.social
    )
    total = min(1.0, max(0.0, total))
    return Components(
        cpv, text, region, fit, doc.social, total, depth, prefix, rlevel, shared, shared_terms
    )


def score(
    need: NeedQuery, doc: SolutionDoc, weights: ScoringWeights = DEFAULT_WEIGHTS
) -> float | None:
    """The combined score in [0, 1], or None for no match."""
    c = components(need, doc, weights)
    return None if c is None else c.total


def _shared_words(need: NeedQuery, c: Components, limit: int = 6) -> tuple[str, ...]:
    """The shared terms that add most to the text score, as the need wrote them; a
    translated one as "the need's word ≈ the solution's"."""
    display = need.analysis.display
    bridges = need.bridges
    # By contribution, largest first; ties by term (the inner sort; sorting is stable).
    ordered = sorted(sorted(c.shared_terms), key=itemgetter(1), reverse=True)
    names: dict[str, None] = {}
    for t, _ in ordered:
        bridge = bridges.get(t)
        names.setdefault(f"{bridge[0]} ≈ {bridge[1]}" if bridge else display.get(t, t))
        if len(names) == limit:
            break
    return tuple(names)


def _region_reason(score: float, level: int, need: NeedProfile) -> Reason:
    loc = need.municipality_code
    name = REGION_LEVELS[level]
    if name is None:
        where, detail = loc, f"region: does not serve {place_name(loc)}"
    elif name == "country":
        where, detail = COUNTRY_CODE, "region: serves all of Sweden"
    elif name == "county" and len(loc) == 4:
        where = county_of(loc) or loc
        detail = f"region: serves {place_name(where)}"
    else:
        where, detail = loc, f"region: serves {place_name(loc)}"
    return Reason("region", score, detail, f"region.{name or 'none'}", (("place", where),))


def explain(
    need: NeedQuery, doc: SolutionDoc, c: Components, weights: ScoringWeights = DEFAULT_WEIGHTS
) -> tuple[Reason, ...]:
    """Reasons in component order; components with zero weight are left out. Each has an
    English detail and a code with its values, from which the same is said in Swedish."""
    n = need.profile
    s = doc.profile
    reasons: list[Reason] = []
    if weights.cpv > 0:
        if c.cpv_prefix is None:
            reasons.append(Reason("cpv", c.cpv, "no shared CPV level", "cpv.none"))
        else:
            level = LEVELS[c.cpv_depth - 1]
            label = cpv_label(c.cpv_prefix)
            detail = f"CPV {level} {c.cpv_prefix}" + (f" ({label})" if label else "")
            shared_at = (("level", level), ("prefix", c.cpv_prefix))
            reasons.append(Reason("cpv", c.cpv, detail, "cpv.shared", shared_at))
    if weights.text > 0:
        words = _shared_words(need, c) if c.shared_terms else ()
        if words:
            detail = "terms: " + ", ".join(words)
            reasons.append(Reason("text", c.text, detail, "text.terms", (("terms", words),)))
        else:
            reasons.append(Reason("text", c.text, "no shared terms", "text.none"))
    if weights.region > 0:
        reasons.append(_region_reason(c.region, c.region_level, n))
    if weights.fit > 0:
        pf = phase_fit(n.phase, s.maturity)
        verdict = "fits" if pf >= 0.75 else ("partly" if pf >= 0.3 else "not")
        verb = {"fits": "fits", "partly": "partly fits", "not": "does not fit"}[verdict]
        fit_of = (("maturity", s.maturity), ("phase", n.phase), ("verdict", verdict))
        detail = f"maturity {s.maturity} {verb} phase {n.phase}"
        reasons.append(Reason("fit", pf, detail, "fit", fit_of))
        if n.tags:
            shared = tuple(sorted(c.shared_tags))
            share = len(shared) / len(n.tags)
            if shared:
                detail = f"shared tags: {', '.join(shared)}"
                reasons.append(Reason("tags", share, detail, "tags.shared", (("tags", shared),)))
            else:
                reasons.append(Reason("tags", share, "no shared tags", "tags.none"))
    if weights.social_proof > 0:
        k = s.adoption_count
        detail = (
            "no deployments yet"
            if k == 0
            else f"used by {k} organisation" + ("" if k == 1 else "s")
        )
        reasons.append(
            Reason("social_proof", c.social_proof, detail, "social_proof", (("adoptions", k),))
        )
    return tuple(reasons)


def match(
    need: NeedQuery, doc: SolutionDoc, weights: ScoringWeights = DEFAULT_WEIGHTS
) -> Match | None:
    """Score a pair and explain it: the scalar reference that the index must agree with."""
    c = components(need, doc, weights)
    if c is None:
        return None
    return Match(
        need_id=need.profile.need_id,
        solution_id=doc.profile.solution_id,
        score=c.total,
        reasons=explain(need, doc, c, weights),
        need_version=need.profile.version,
        solution_version=doc.profile.version,
    )


def score_profiles(
    need: NeedProfile,
    solution: SolutionProfile,
    stats: TermStats,
    weights: ScoringWeights = DEFAULT_WEIGHTS,
    *,
    analyzer: Analyzer | None = None,
) -> Match | None:
    """Convenience for one pair: analyze both sides and match them (no index needed)."""
    doc = make_solution_doc(solution, weights, analyzer=analyzer)
    return match(prepare_need(need, stats, analyzer=analyzer, weights=weights), doc, weights)


class StaticStats:
    """A fixed TermStats, e.g. for scoring a pair without an index."""

    def __init__(self, doc_count: int, doc_freqs: Mapping[str, int]) -> None:
        self._n = doc_count
        self._df = dict(doc_freqs)

    @property
    def doc_count(self) -> int:
        return self._n

    def doc_freq(self, term: str) -> int:
        return self._df.get(term, 0)
