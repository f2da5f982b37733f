"""Catalogue search as equality (pure): the stored values that answer a filter select
exactly the solutions that the former Python-side filter selected, and the words of `q`
match a solution's search terms by the shared analyser's rule, as the needs list's do."""

from __future__ import annotations

import pytest

from marketplace_contracts.reference import (
    COUNTRY_CODE,
    InvalidCpvCode,
    UnknownRegion,
    all_counties,
    all_municipalities,
    all_nuts,
    matches_prefix,
    parse_region,
    region_covers,
)
from marketplace_contracts.text.search import index_terms, matches, query_term_groups, query_terms
from suppliers.domain.search import (
    cpv_prefixes,
    cpv_search_prefixes,
    regions_serving,
    search_terms,
)

STORED_REGIONS = [
    COUNTRY_CODE,
    *(c.code for c in all_counties()),
    *(m.code for m in all_municipalities()),
]
WANTED_REGIONS = [*STORED_REGIONS, *(n.code for n in all_nuts() if n.level in (1, 2, 3))]


def served_as_before(regions: list[str], wanted: str) -> bool:
    """The filter the catalogue search applied in Python before it asked the database."""
    region = parse_region(wanted)
    if region.kind == "country":
        return True
    counties = region.county_codes if region.kind == "nuts" else (region.code,)
    for served in regions:
        if served in (COUNTRY_CODE, region.code):
            return True
        if region.kind == "municipality" and region_covers(served, region.code):
            return True
        if region.kind in ("county", "nuts") and served[:2] in counties:
            return True
    return False


def test_regions_serving_selects_what_the_python_filter_did() -> None:
    for wanted in WANTED_REGIONS:
        serving = regions_serving(wanted)
        if serving is None:
            assert parse_region(wanted).kind == "country"
            continue
        chosen = set(serving)
        for stored in STORED_REGIONS:
            assert (stored in chosen) == served_as_before([stored], wanted), (wanted, stored)


def test_regions_serving_a_municipality_and_a_nuts_area() -> None:
    assert regions_serving("1780") == ("SE", "1780", "17")
    assert regions_serving("SE") is None
    assert regions_serving("SE311") == regions_serving("17")  # NUTS-3 is its county
    north_middle_sweden = regions_serving("SE31")
    assert north_middle_sweden is not None
    assert {"SE", "SE31", "17", "20", "21", "1780"} <= set(north_middle_sweden)
    assert "1283" not in north_middle_sweden
    with pytest.raises(UnknownRegion):
        regions_serving("99")


CODES = ["80500000", "80530000", "72000000", "09310000", "45233120", "33000000"]
PREFIXES = [
    "8",
    "80",
    "805",
    "8053",
    "80500000",
    "80500000-9",
    "0",
    "09",
    "0931",
    " 72 ",
    "4523312",
]


def test_cpv_search_prefixes_select_what_matches_prefix_did() -> None:
    for prefix in PREFIXES:
        wanted = set(cpv_search_prefixes(prefix))
        for code in CODES:
            found = bool(wanted & set(cpv_prefixes([code])))
            assert found == matches_prefix(code, prefix), (prefix, code)


def test_cpv_prefixes_and_search_prefixes() -> None:
    assert cpv_prefixes(["80500000-9"]) == [
        "80",
        "805",
        "8050",
        "80500",
        "805000",
        "8050000",
        "80500000",
    ]
    assert cpv_search_prefixes("80500000-9") == ("805",)
    assert cpv_search_prefixes("8") == tuple(f"8{d}" for d in range(10))
    for bad in ("", "x", "123456789", "80500000-1"):
        with pytest.raises(InvalidCpvCode):
            cpv_search_prefixes(bad)


VR_COURSE = "VR-utbildning för vårdpersonal"
VR_TAGS = ("digital-inclusion",)


def found(
    q: str, name: str = "ViroteaED", description: str = VR_COURSE, tags: tuple[str, ...] = ()
) -> bool:
    """Whether a solution holds a term of every group of `q`: the listing's postings rule."""
    terms = set(search_terms(name, description, tags))
    return all(terms & set(group) for group in query_term_groups(q))


def test_every_word_in_the_name_description_or_tags() -> None:
    assert found("VIROTEA vård")  # the opening of the name, of a compound
    assert found("inclusion", tags=VR_TAGS)  # a tag's word
    assert not found("inclusion")
    assert found("vr utbildning")  # "VR-utbildning" is two words
    assert not found("vr sensorer")
    assert found("   ") and found("")  # no words: no condition


def test_the_terms_are_the_shared_analysers_over_name_description_and_tags() -> None:
    assert search_terms("Namn", "En text", ["a-tag"]) == index_terms(["Namn", "En text", "a-tag"])
    terms = search_terms("ViroteaED", VR_COURSE, VR_TAGS)
    for q in ("vårdpersonal", "Utbildningar vård", "inclusion digital", "sensorer", "vr"):
        assert query_term_groups(q) == tuple(tuple(g) for g in query_terms(q))
        assert found(q, tags=VR_TAGS) == matches(terms, q)  # the needs list's rule


def test_a_compound_is_found_by_its_parts() -> None:
    course = "Vårdpersonalsutbildning i demens"
    assert found("vårdpersonal", description=course)
    assert found("utbildning", description=course)
    assert found("Vårdpersonalsutbildningar", description=course)  # the compound, inflected
    assert not found("personalen", description="Vård")


def test_an_english_word_finds_its_inflections() -> None:
    assert found("trainings", description="Digital training for care staff")
    assert found("training", description="Digital trainings for care staff")
    assert found("nurse", description="Simulators for nurses")
    assert not found("trainee", description="Digital training for care staff")


def test_a_decomposed_swedish_letter_is_the_composed_one() -> None:
    decomposed = "ha\u030allbar va\u030ard"  # "a" + combining ring above (U+030A)
    assert decomposed != "hållbar vård"
    assert found(decomposed, description="Hållbar vård i hemmet")
    assert found("HÅLLBAR", description="Ha\u030allbar va\u030ard")
    assert found("A\u0308LDREOMSORG", description="Äldreomsorg")  # a decomposed capital "Ä"
    assert not found("hallbar", description="Hållbar vård")  # "a" is not "å"


def test_stopwords_alone_find_nothing_rather_than_everything() -> None:
    text = "Stöd i och för vården, the care of the elderly"
    assert query_term_groups("och i the") == ((),)  # one word nothing is findable by
    assert not found("och", description=text)
    assert not found("i the of", description=text)
    assert not found("ä 2024", description=text)  # one letter and a bare number alike
    assert found("och vården", description=text)  # beside a word they do not count


def test_every_word_must_match() -> None:
    text = "Sensorer för snöröjning"
    assert found("sensorer snöröjning", description=text)
    assert not found("sensorer demens", description=text)
    assert not found("demens sensorer", description=text)
    assert len(query_term_groups("sensorer demens")) == 2
