"""Catalogue search as equality: the values a solution must hold to answer a filter.

Pure: no I/O. A solution is listed under every prefix of its CPV codes (`cpv_prefixes`),
the regions it serves and its search terms (`search_terms`); a search then asks for "any of
these prefixes", "any of these regions" and, for each word of `q`, "any of its variants",
which postings answer without looking at every solution. The text uses the analyser the
needs list uses (`marketplace_contracts.text.search`): a solution is findable by the
`index_terms` of its name, description and tags, each word of `q` stands for its
`query_terms` (the word and its Swedish and English stems; å, ä, ö one letter however
typed), and a solution matches when it holds one variant of every word (`matches`), so that
"vårdpersonal" finds "vårdpersonalsutbildning" and "trainings" finds "training".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from marketplace_contracts.reference import (
    COUNTRY_CODE,
    matches_prefix,
    municipalities_in,
    municipality,
    normalize_cpv,
    parse_region,
    significant_prefix,
)
from marketplace_contracts.text.search import index_terms

DIVISION_DIGITS = 2  # the shortest stored prefix: a CPV division ("80")


@dataclass(frozen=True)
class SolutionQuery:
    """What a catalogue search asks (see `listing.SolutionListing`); None means "no
    condition"."""

    supplier_org: str | None = None
    published_only: bool = True
    cpv_prefixes: tuple[str, ...] | None = None  # the solution holds any of them
    regions: tuple[str, ...] | None = None  # the solution serves any of them
    # Each group: the variants of one word of `q`, one of which the solution's terms hold.
    term_groups: tuple[tuple[str, ...], ...] = ()


def cpv_prefixes(codes: Iterable[str]) -> list[str]:
    """Every prefix (division to full code, 2-8 digits) of every code, stored with each
    solution so that a prefix search is an equality ("805" is among them for 80500000)."""
    digits = [normalize_cpv(code) for code in codes]
    return sorted({code[:n] for code in digits for n in range(DIVISION_DIGITS, 9)})


def cpv_search_prefixes(value: str) -> tuple[str, ...]:
    """The stored prefixes that answer a CPV filter, any of which a solution must hold.

    "805" stays "805", a full code ("80500000" or "80500000-9") stands for its significant
    prefix, as in `matches_prefix`; a single digit ("8") stands for its ten divisions,
    since stored prefixes start at the division. Raises InvalidCpvCode as `matches_prefix`.
    """
    matches_prefix("10000000", value)  # validates, with the contract's message
    raw = value.strip()
    wanted = raw if raw.isdigit() and len(raw) < 8 else significant_prefix(raw)
    if len(wanted) < DIVISION_DIGITS:
        return tuple(f"{wanted}{digit}" for digit in range(10))
    return (wanted,)


def regions_serving(value: str) -> tuple[str, ...] | None:
    """The stored region codes of the solutions that serve (part of) the region `value`;
    None for the whole country, which every solution serves a part of.

    A municipality is served by itself, its county and "SE"; a county by "SE", itself and
    its municipalities; a NUTS-1/2 area by "SE", itself, its counties and their
    municipalities. Raises UnknownRegion for a malformed or unknown region.
    """
    region = parse_region(value)
    if region.kind == "country":
        return None
    if region.kind == "municipality":
        return (COUNTRY_CODE, region.code, municipality(region.code).county_code)
    counties = region.county_codes if region.kind == "nuts" else (region.code,)
    places = [m.code for county in counties for m in municipalities_in(county)]
    return tuple(dict.fromkeys([COUNTRY_CODE, region.code, *counties, *places]))


def search_terms(name: str, description: str, tags: Iterable[str]) -> list[str]:
    """The terms a solution is findable by: those of its name, description and tags."""
    return index_terms([name, description, *tags])
