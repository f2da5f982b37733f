"""Catalogue search as equality (pure): the stored values that answer a filter select
exactly the solutions that the former Python-side filter selected."""

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
from suppliers.domain.catalogue import Solution
from suppliers.domain.search import (
    cpv_prefixes,
    cpv_search_prefixes,
    query_words,
    regions_serving,
    text_matches,
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


def test_text_matches_every_word_in_name_description_or_tags() -> None:
    solution = Solution(
        solution_id="s",
        supplier_org="acme",
        name="ViroteaED",
        description="VR-utbildning för vårdpersonal",
        cpv_codes=["80500000"],
        regions=["17"],
        maturity="pilot",
        tags=["digital-inclusion"],
    )
    assert text_matches(solution, query_words("VIROTEA vård"))
    assert text_matches(solution, query_words("inclusion"))  # a tag, and substrings count
    assert not text_matches(solution, query_words("vr sensorer"))
    assert text_matches(solution, query_words("   "))  # no words: no condition
