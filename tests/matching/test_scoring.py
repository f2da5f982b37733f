"""Component scorers and the combined, explained score."""

from __future__ import annotations

import itertools
import math

import pytest

from marketplace_contracts.events import Maturity, Phase
from marketplace_contracts.reference.cpv import level_depth, normalize_cpv, significant_prefix
from marketplace_contracts.text.ranking import default_analyzer
from matching.domain.model import (
    NeedProfile,
    SolutionProfile,
    normalize_cpv_prefix,
    normalize_region,
)
from matching.domain.scoring import (
    CPV_LEVEL_SCORES,
    DEFAULT_WEIGHTS,
    PHASE_MATURITY_FIT,
    ScoringWeights,
    StaticStats,
    best_cpv_overlap,
    cpv_depth,
    fit_score,
    make_solution_doc,
    match,
    phase_fit,
    prepare_need,
    region_level,
    score_profiles,
    social_proof,
)


def need(**kw: object) -> NeedProfile:
    base: dict[str, object] = {
        "need_id": "n1",
        "buyer_org": "karlstad",
        "title": "Utbildning för vårdpersonal",
        "problem": "Personalen i äldreomsorgen behöver förstå brukarnas verklighet.",
        "cpv_codes": ("80500000-9",),
        "municipality_code": "1780",
        "phase": "validation",
    }
    base.update(kw)
    return NeedProfile(**base)  # type: ignore[arg-type]


def solution(**kw: object) -> SolutionProfile:
    base: dict[str, object] = {
        "solution_id": "s1",
        "supplier_org": "virotea",
        "name": "ViroteaED",
        "description": "Vårdpersonalsutbildning i VR: upplev brukarens verklighet.",
        "cpv_codes": ("80530000",),
        "regions": ("17",),
        "maturity": "pilot",
    }
    base.update(kw)
    return SolutionProfile(**base)  # type: ignore[arg-type]


def stats_for(*texts: str) -> StaticStats:
    """Document frequencies of a tiny corpus of solution texts."""
    a = default_analyzer()
    df: dict[str, int] = {}
    for t in texts:
        for term in a.analyze(t).terms:
            df[term] = df.get(term, 0) + 1
    return StaticStats(len(texts), df)


CORPUS = (
    "Vårdpersonalsutbildning i VR: upplev brukarens verklighet.",
    "Snöröjning och halkbekämpning med GPS-uppföljning av plogbilar.",
    "Digital medborgarportal med e-tjänster och ärendehantering.",
    "Skolmåltider med mindre matsvinn i skolrestaurangen.",
    "VR training for care staff: experience dementia first hand.",
)

# -- CPV ----------------------------------------------------------------------------------


def test_cpv_normalisation() -> None:
    assert normalize_cpv("80500000-9") == "80500000"
    assert normalize_cpv(" 80500000 ") == "80500000"
    with pytest.raises(ValueError):
        normalize_cpv("805")
    with pytest.raises(ValueError):
        normalize_cpv("8050000X")
    assert normalize_cpv_prefix("80500000-9") == "805"
    assert normalize_cpv_prefix("805") == "805"
    # A code below the category keeps its sixth digit: "80533100" covers 80533110 too.
    assert significant_prefix("80533100") == "805331"
    assert normalize_cpv_prefix("80533100") == "805331"


@pytest.mark.parametrize(
    ("code", "level"),
    [("80000000", 1), ("80500000", 2), ("80530000", 3), ("80533000", 4), ("80533100", 5)],
)
def test_cpv_levels(code: str, level: int) -> None:
    assert level_depth(code) == level


@pytest.mark.parametrize(
    ("a", "b", "depth"),
    [
        ("80500000", "80530000", 2),  # group 805
        ("80530000", "80533100", 3),  # class 8053
        ("80533100", "80533200", 4),  # category 80533
        ("80533100", "80533100", 5),  # the same code
        ("80000000", "80533100", 1),  # a division code is only that specific
        ("80500000", "85000000", 0),
        ("80530000", "80540000", 2),
    ],
)
def test_cpv_shared_depth(a: str, b: str, depth: int) -> None:
    assert cpv_depth(a, b) == depth
    assert cpv_depth(b, a) == depth


def test_best_cpv_pair() -> None:
    assert best_cpv_overlap(("85000000", "80500000"), ("72000000", "80530000")) == (2, "805")
    assert best_cpv_overlap(("48000000",), ("72000000",)) == (0, None)


# -- region, fit, social proof ----------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "level"),
    [
        (("1780",), 3),
        (("17",), 2),
        (("SE",), 1),
        (("1761",), 0),
        (("12", "SE"), 1),
        (("SE", "17", "1780"), 3),
    ],
)
def test_region_levels(regions: tuple[str, ...], level: int) -> None:
    assert region_level("1780", regions) == level


def test_region_normalisation() -> None:
    assert normalize_region("se") == "SE"
    with pytest.raises(ValueError):
        normalize_region("178")


def test_phase_maturity_table() -> None:
    early: tuple[Phase, ...] = ("hypothesis", "validation", "co-creation")
    late: tuple[Phase, ...] = ("procurement", "implementation", "scaling")
    welcome_early: tuple[Maturity, ...] = ("idea", "prototype", "pilot")
    for phase in early:
        for maturity in welcome_early:
            assert phase_fit(phase, maturity) >= 0.8
    for phase in late:
        assert phase_fit(phase, "market-ready") == 1.0
        assert phase_fit(phase, "idea") <= 0.1
    assert set(PHASE_MATURITY_FIT["withdrawn"]) == {0.0}


def test_tags_raise_fit_only_for_tagged_needs() -> None:
    assert fit_score("validation", "pilot", 0, 0, 0.3) == 1.0
    assert fit_score("validation", "pilot", 1, 2, 0.3) == pytest.approx(0.85)
    assert fit_score("validation", "pilot", 2, 2, 0.3) == 1.0


def test_social_proof_has_diminishing_returns() -> None:
    values = [social_proof(n) for n in range(0, 40)]
    assert values[0] == 0.0
    assert all(b > a for a, b in itertools.pairwise(values))
    gains = [b - a for a, b in itertools.pairwise(values)]
    assert all(g2 < g1 for g1, g2 in itertools.pairwise(gains))
    assert 0.95 < social_proof(26) < 1.0
    assert social_proof(6) == pytest.approx(1 - math.exp(-1))


# -- text ---------------------------------------------------------------------------------


def _text_score(need_text: str, solution_text: str, language: str | None = None) -> float:
    n = need(title=need_text, problem="", cpv_codes=("45000000",), language=language)
    s = solution(name="", description=solution_text, cpv_codes=("90000000",))
    m = score_profiles(n, s, stats_for(*CORPUS, solution_text))
    if m is None:
        return 0.0
    r = m.reason("text")
    assert r is not None
    return r.score


def test_text_compound_need_meets_simple_words() -> None:
    assert _text_score("utbildning", "Vårdpersonalsutbildning i VR") > 0.5
    assert _text_score("vårdpersonalsutbildning", "Utbildning för vårdpersonal") > 0.5


def test_text_english() -> None:
    assert _text_score("Training for care staff", "VR training for care staff", "en") > 0.5


def test_text_unrelated_is_no_match() -> None:
    assert _text_score("snöröjning", "Digital medborgarportal") == 0.0


def test_text_stopwords_alone_do_not_match() -> None:
    assert _text_score("och för med att", "Skolmåltider och matsvinn för alla med mat") == 0.0


def test_text_relevance_is_bounded() -> None:
    s = _text_score(
        "Vårdpersonalsutbildning i VR", "Vårdpersonalsutbildning i VR vårdpersonalsutbildning"
    )
    assert 0.0 < s <= 1.0


# -- combined score -----------------------------------------------------------------------


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(ValueError):
        ScoringWeights(cpv=0.5, text=0.5, region=0.5, fit=0.0, social_proof=0.0)
    with pytest.raises(ValueError):
        ScoringWeights(tag_share=1.5)
    w = ScoringWeights()
    assert w.cpv + w.text + w.region + w.fit + w.social_proof == pytest.approx(1.0)


def test_combined_score_with_reasons() -> None:
    n = need(tags=frozenset({"social-enterprise", "gender-equality"}))
    s = solution(tags=frozenset({"social-enterprise"}), adoption_count=26)
    m = score_profiles(n, s, stats_for(*CORPUS))
    assert m is not None
    assert 0.0 < m.score <= 1.0
    details = {r.component: r.detail for r in m.reasons}
    assert details["cpv"] == "CPV group 805 (Training services)"
    assert details["text"].startswith("terms: ")
    assert "utbildning" in details["text"]
    assert details["region"] == "region: serves Värmlands län"
    assert details["fit"] == "maturity pilot fits phase validation"
    assert details["tags"] == "shared tags: social-enterprise"
    assert details["social_proof"] == "used by 26 organisations"
    for r in m.reasons:
        assert 0.0 <= r.score <= 1.0
    w = DEFAULT_WEIGHTS
    expected = (
        w.cpv * CPV_LEVEL_SCORES[2]
        + w.text * m.reasons[1].score
        + w.region * 0.8
        + w.fit * fit_score("validation", "pilot", 1, 2, w.tag_share)
        + w.social_proof * social_proof(26)
    )
    assert m.score == pytest.approx(expected)


def test_region_reasons() -> None:
    stats = stats_for(*CORPUS)
    for regions, detail in [
        (("1780",), "region: serves Karlstad"),
        (("SE",), "region: serves all of Sweden"),
        (("1761",), "region: does not serve Karlstad"),
        # NUTS codes as their counties: SE311 is Värmland, SE31 groups Värmland, Dalarna
        # and Gävleborg, SE11 is Stockholm.
        (("SE311",), "region: serves Värmlands län"),
        (("SE31",), "region: serves Värmlands län"),
        (("SE11",), "region: does not serve Karlstad"),
    ]:
        m = score_profiles(need(), solution(regions=regions), stats)
        assert m is not None
        r = m.reason("region")
        assert r is not None
        assert r.detail == detail


def test_no_cpv_and_no_text_is_no_match() -> None:
    n = need(title="Snöröjning", problem="Plogning av gator", cpv_codes=("90620000",))
    s = solution(regions=("1780",), maturity="pilot", adoption_count=100)
    assert score_profiles(n, s, stats_for(*CORPUS)) is None


def test_cpv_alone_is_enough_for_a_match() -> None:
    n = need(title="Snöröjning", problem="Plogning av gator", cpv_codes=("80530000",))
    m = score_profiles(n, solution(), stats_for(*CORPUS))
    assert m is not None
    text = m.reason("text")
    assert text is not None
    assert text.score == 0.0
    assert text.detail == "no shared terms"


def test_common_terms_alone_do_not_make_a_match() -> None:
    # In a large corpus "digital" is in most solutions: it may add to a score, but a pair
    # that shares nothing else (and no CPV level) is no match.
    a = default_analyzer()
    stats = StaticStats(10_000, {a.stem("digital"): 9_000, a.stem("portal"): 40})
    n = need(title="Digital", problem="", cpv_codes=("45000000",))
    s = solution(description="Digital portal", cpv_codes=("90000000",))
    assert score_profiles(n, s, stats) is None
    n2 = need(title="Digital portal", problem="", cpv_codes=("45000000",))
    assert score_profiles(n2, s, stats) is not None
    n3 = need(title="Digital", problem="", cpv_codes=("90000000",))
    assert score_profiles(n3, s, stats) is not None


def test_withdrawn_need_matches_nothing() -> None:
    assert score_profiles(need(phase="withdrawn"), solution(), stats_for(*CORPUS)) is None


def test_maturity_reason_for_a_poor_fit() -> None:
    m = score_profiles(need(phase="procurement"), solution(maturity="idea"), stats_for(*CORPUS))
    assert m is not None
    r = m.reason("fit")
    assert r is not None
    assert r.detail == "maturity idea does not fit phase procurement"
    assert r.score == phase_fit("procurement", "idea")


def test_zero_weight_components_are_not_explained() -> None:
    w = ScoringWeights(cpv=0.5, text=0.5, region=0.0, fit=0.0, social_proof=0.0)
    n = prepare_need(need(), stats_for(*CORPUS), weights=w)
    m = match(n, make_solution_doc(solution(), w), w)
    assert m is not None
    assert [r.component for r in m.reasons] == ["cpv", "text"]


def test_more_adoptions_rank_higher_all_else_equal() -> None:
    stats = stats_for(*CORPUS)
    a = score_profiles(need(), solution(adoption_count=1), stats)
    b = score_profiles(need(), solution(adoption_count=20), stats)
    assert a is not None
    assert b is not None
    assert b.score > a.score
