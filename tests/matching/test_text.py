"""Text analysis: normalisation, tokens, stopwords, stemming, Swedish compounds."""

from __future__ import annotations

import unicodedata

import pytest

from marketplace_contracts.text import normalize, tokenize
from marketplace_contracts.text.ranking import (
    ENGLISH_RANKING_STOPWORDS,
    SWEDISH_RANKING_STOPWORDS,
    Analyzer,
    detect_language,
    language_from_hint,
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_normalize_composes_and_casefolds_swedish_letters() -> None:
    decomposed = unicodedata.normalize("NFD", "ÅÄÖ åäö")
    assert decomposed != "ÅÄÖ åäö"
    assert normalize(decomposed) == "åäö åäö"
    assert normalize("ÄLDREOMSORG") == "äldreomsorg"
    assert len(normalize("Å")) == 1


def test_tokenize_letters_and_digits_only() -> None:
    tokens = tokenize("Snöröjning, ÅTERVINNING och VR-utbildning 2024 i e-tjänster!")
    assert tokens == ["snöröjning", "återvinning", "och", "vr", "utbildning", "tjänster"]


def test_decomposed_and_composed_text_analyze_alike(analyzer: Analyzer) -> None:
    composed = analyzer.analyze("Äldreomsorg på Hammarö")
    decomposed = analyzer.analyze(unicodedata.normalize("NFD", "Äldreomsorg på Hammarö"))
    assert composed.terms == decomposed.terms
    assert any("ä" in t for t in composed.terms)


def test_swedish_stopwords_removed(analyzer: Analyzer) -> None:
    terms = analyzer.analyze("Vi vill att det är lätt för och med personalen", "sv").terms
    assert not set(terms) & SWEDISH_RANKING_STOPWORDS
    assert "personal" in terms


def test_english_stopwords_removed(analyzer: Analyzer) -> None:
    terms = analyzer.analyze("The training of the staff and their trainings", "en").terms
    assert not set(terms) & ENGLISH_RANKING_STOPWORDS
    assert terms["train"] == 2
    assert "staff" in terms


def test_swedish_stemming_merges_inflections(analyzer: Analyzer) -> None:
    a = analyzer.analyze("utbildningen", "sv").terms
    b = analyzer.analyze("utbildningar", "sv").terms
    assert set(a) == set(b) == {"utbildning"}


def test_compound_meets_all_its_parts(analyzer: Analyzer) -> None:
    terms = analyzer.analyze("Vårdpersonalsutbildning", "sv").terms
    for part in ("vårdpersonalsutbildning", "vårdpersonal", "utbildning", "vård", "personal"):
        assert part in terms, part


def test_inflected_compound_is_split_on_its_stem(analyzer: Analyzer) -> None:
    terms = analyzer.analyze("vårdpersonalsutbildningarna", "sv").terms
    assert {"utbildning", "vårdpersonal", "vård", "personal"} <= set(terms)


def test_compound_matches_across_texts(analyzer: Analyzer) -> None:
    need = analyzer.analyze("Utbildning för vårdpersonal", "sv").terms
    solution = analyzer.analyze("Vi erbjuder vårdpersonalsutbildning i VR", "sv").terms
    assert {"utbildning", "vårdpersonal"} <= set(need) & set(solution)


def test_linking_morphemes_s_and_e() -> None:
    analyzer = Analyzer(extra_words=["pojk"])
    assert analyzer.split_compound("sjukvårdsutbildning")[:3] == ("sjuk", "vård", "utbildning")
    assert analyzer.split_compound("pojkeskola") == ("pojk", "skola")


def test_known_words_are_not_split(analyzer: Analyzer) -> None:
    # "måltid" is a word of its own, not "mål" + "tid"
    assert set(analyzer.analyze("måltider", "sv").terms) == {"måltid"}
    assert analyzer.split_compound("personal") == ()


def test_index_vocabulary_splits_unknown_compounds(analyzer: Analyzer) -> None:
    assert "plattform" not in analyzer.analyze("viroteaplattform", "sv").terms
    terms = analyzer.analyze("viroteaplattform", "sv", vocabulary={"virotea"}).terms
    assert "plattform" in terms
    assert analyzer.stem("virotea") in terms


def test_own_words_help_split_a_compound(analyzer: Analyzer) -> None:
    terms = analyzer.analyze("Drönare för inspektion. Drönarinspektion av tak.", "sv").terms
    # the compound adds its parts: "inspektion" counted for both occurrences
    assert terms["inspektion"] == 2
    assert terms[analyzer.stem("drönare")] == 2


def test_english_words_are_not_decompounded(analyzer: Analyzer) -> None:
    terms = analyzer.analyze("The platform is a dashboard for caregivers", "en").terms
    assert "care" not in terms
    assert "board" not in terms


def test_language_detection_and_hints() -> None:
    assert detect_language(tokenize("Vi behöver en lösning för äldreomsorgen")) == "sv"
    assert detect_language(tokenize("We need a solution for the care of the elderly")) == "en"
    assert detect_language(tokenize("")) == "sv"
    assert language_from_hint("sv-SE") == "sv"
    assert language_from_hint("en_GB") == "en"
    assert language_from_hint("fi") is None


def test_display_keeps_the_readable_form(analyzer: Analyzer) -> None:
    a = analyzer.analyze("Skolmåltiderna och matsvinnet", "sv")
    assert a.display["skolmåltid"] == "skolmåltiderna"
    assert a.display["måltid"] == "måltid"


def test_analysis_is_deterministic(analyzer: Analyzer) -> None:
    text = "Hemtjänstplaneringen och schemaläggningen i hemtjänsten"
    fresh = Analyzer()
    assert analyzer.analyze(text).terms == fresh.analyze(text).terms


def test_swedish_words_meet_their_lemma_where_suffix_rules_cannot() -> None:
    lemmatizing = Analyzer()
    stemming_only = Analyzer(lemmatize=False)
    for inflected, base in (("böcker", "bok"), ("fötter", "fot")):
        assert lemmatizing.terms_of(inflected, "sv") == lemmatizing.terms_of(base, "sv")
        assert stemming_only.terms_of(inflected, "sv") != stemming_only.terms_of(base, "sv")


def test_a_lemma_that_changes_the_start_of_the_word_is_not_taken() -> None:
    # simplemma gives "gammal" for "äldre": a word of its own in care ("äldreomsorg").
    assert Analyzer().terms_of("äldre", "sv") == Analyzer(lemmatize=False).terms_of("äldre", "sv")
