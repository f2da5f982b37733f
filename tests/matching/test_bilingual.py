"""Matching across Swedish and English: the term mapping learned from the CPV labels and the
glossary, and rankings that use it with reasons naming the bridge."""

from __future__ import annotations

from dataclasses import replace

import pytest

from marketplace_contracts.text.bilingual import BilingualLexicon, default_lexicon
from matching.domain.model import NeedProfile, SolutionProfile
from matching.domain.need_index import NeedIndex
from matching.domain.scoring import ScoringWeights
from matching.domain.solution_index import SolutionIndex


def test_model_one_aligns_the_word_that_recurs_with_its_translation() -> None:
    pairs = [
        ("röd bil", "red car"),
        ("röd båt", "red boat"),
        ("blå bil", "blue car"),
        ("blå båt", "blue boat"),
        ("snabb bil", "fast car"),
    ]
    lexicon = BilingualLexicon.learn(pairs, min_strength=0.5)
    assert [b.term for b in lexicon.bridges("bil", "sv")][:1] == ["car"]
    assert [b.term for b in lexicon.bridges("car", "en")][:1] == ["bil"]
    assert "boat" not in {b.term for b in lexicon.bridges("bil", "sv")}


def test_the_default_mapping_bridges_the_words_of_care_and_schools() -> None:
    lexicon = default_lexicon()
    sv = {t: {b.term for b in lexicon.bridges(t, "sv")} for t in ("vård", "utbildning", "skol")}
    assert "care" in sv["vård"]
    assert "train" in sv["utbildning"]  # English stems: "training" -> "train"
    assert "school" in sv["skol"]
    assert "vård" in {b.term for b in lexicon.bridges("care", "en")}
    for term in ("vård", "utbildning", "skol"):
        assert all(0.0 < b.strength <= 1.0 for b in lexicon.bridges(term, "sv"))


SOLUTIONS = [
    SolutionProfile(
        solution_id="vr-en",
        supplier_org="immersive-care",
        name="Virtual reality training for care workers",
        description="Care staff practise meeting people with dementia in VR scenarios.",
        cpv_codes=("80500000",),
        regions=("SE",),
        maturity="market-ready",
        language="en",
    ),
    SolutionProfile(
        solution_id="snow-sv",
        supplier_org="vinterdrift",
        name="Snöröjning med ruttoptimering",
        description="Plogbilarnas rutter planeras efter väderprognosen.",
        cpv_codes=("90620000",),
        regions=("SE",),
        maturity="market-ready",
        language="sv",
    ),
    SolutionProfile(
        solution_id="meals-sv",
        supplier_org="skolmat",
        name="Planering av skolmåltider",
        description="Menyer och inköp för skolköket med mindre matsvinn.",
        cpv_codes=("55524000",),
        regions=("SE",),
        maturity="pilot",
        language="sv",
    ),
    SolutionProfile(
        solution_id="escort-sv",
        supplier_org="ledsagarappen",
        name="Digital ledsagning för vårdpersonal",
        description="Vårdpersonal och omsorgspersonal får utbildning i bemötande.",
        cpv_codes=("85311200",),
        regions=("SE",),
        maturity="pilot",
        language="sv",
    ),
]

SWEDISH_NEED = NeedProfile(
    need_id="need-sv",
    buyer_org="karlstad",
    title="Utbildning av vårdpersonal",
    problem="Vår personal inom vården behöver träna bemötande av personer med demens.",
    cpv_codes=("85000000",),  # a division the English solution does not share
    municipality_code="1780",
    language="sv",
)
ENGLISH_NEED = NeedProfile(
    need_id="need-en",
    buyer_org="goteborg",
    title="Route planning for snow clearance",
    problem="Our snow ploughs drive the same routes whatever the weather forecast says.",
    cpv_codes=("34000000",),
    municipality_code="1480",
    language="en",
)


@pytest.fixture(scope="module")
def index() -> SolutionIndex:
    idx = SolutionIndex()
    for s in SOLUTIONS:
        idx.upsert(s)
    return idx


def _text_detail(index: SolutionIndex, need: NeedProfile, solution_id: str) -> str:
    m = index.explain(need, solution_id)
    assert m is not None
    reason = m.reason("text")
    assert reason is not None
    return reason.detail


def test_a_swedish_need_finds_an_english_solution_and_names_the_bridges(
    index: SolutionIndex,
) -> None:
    ranked = [m.solution_id for m in index.rank(SWEDISH_NEED, k=5, threshold=0)]
    assert "vr-en" in ranked
    detail = _text_detail(index, SWEDISH_NEED, "vr-en")
    assert "≈" in detail
    assert "utbildning ≈ training" in detail or "vårdpersonal ≈ care" in detail


def test_an_english_need_finds_a_swedish_solution(index: SolutionIndex) -> None:
    ranked = [m.solution_id for m in index.rank(ENGLISH_NEED, k=2, threshold=0)]
    assert ranked[0] == "snow-sv"
    assert "≈" in _text_detail(index, ENGLISH_NEED, "snow-sv")


def test_without_bridges_the_english_solution_shares_no_term_with_the_swedish_need() -> None:
    # The counterpart of the test above: what makes the match is the mapping.
    idx = SolutionIndex(weights=ScoringWeights(bridge_weight=0.0))
    for s in SOLUTIONS:
        idx.upsert(s)
    assert "vr-en" not in [m.solution_id for m in idx.rank(SWEDISH_NEED, k=5, threshold=0)]


def test_bridged_rankings_equal_brute_force_both_ways(index: SolutionIndex) -> None:
    for need in (SWEDISH_NEED, ENGLISH_NEED):
        assert index.rank(need, k=4, threshold=0) == index.rank_brute_force(need, k=4, threshold=0)
    needs = NeedIndex(solutions=index)
    for need in (SWEDISH_NEED, ENGLISH_NEED, replace(SWEDISH_NEED, need_id="need-sv-2")):
        needs.upsert(need)
    found = needs.rank_needs_for(SOLUTIONS[0], k=None, threshold=0)
    assert "need-sv" in [m.need_id for m in found]
    for m in found:
        assert m == needs.explain(m.need_id, SOLUTIONS[0])
