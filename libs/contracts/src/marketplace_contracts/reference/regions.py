"""Swedish regions: the 21 counties (län) and 290 municipalities (kommuner) with SCB codes.

Codes are Statistics Sweden's (SCB) official codes: two digits for a county, four for a
municipality, whose first two digits are its county's code ("1780" Karlstad lies in "17"
Värmlands län). A region reference in this system is "SE" (the whole country), a county code,
a municipality code or a NUTS code of Sweden (``nuts_se.csv``, from the EU's eForms SDK): a
NUTS-3 code ("SE311") is its county, a NUTS-1 or NUTS-2 code ("SE3", "SE31") the counties it
groups. ``parse_region`` validates one, ``canonical_regions`` turns one into the SCB codes that
are stored and matched, and ``region_covers`` decides whether a region includes a municipality.

Populations refer to 31 December 2023 (POPULATION_YEAR) and are meant for weighting and
ranking, not as official statistics. Every municipality of Södermanlands, Blekinge, Hallands,
Värmlands, Örebro and Västernorrlands län, and a few dozen elsewhere, matches SCB's published
figure; the others are estimates, scaled so that the 15 counties whose official total was
available (all but Gotland, Västra Götaland, Västmanland, Dalarna, Västerbotten and
Norrbotten) add up to SCB's total. Individual estimates may be off by a few per cent.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Final, Literal

__all__ = [
    "COUNTRY_CODE",
    "COUNTRY_NAME",
    "POPULATION_YEAR",
    "County",
    "Municipality",
    "Nuts",
    "Region",
    "RegionKind",
    "UnknownRegion",
    "all_counties",
    "all_municipalities",
    "all_nuts",
    "canonical_regions",
    "county",
    "county_of",
    "municipalities_in",
    "municipality",
    "nuts",
    "nuts_code_of",
    "parse_region",
    "population_of",
    "region_covers",
    "swedish_sort_key",
]

POPULATION_YEAR: Final = 2023
COUNTRY_CODE: Final = "SE"
COUNTRY_NAME: Final = "Sverige"

RegionKind = Literal["country", "nuts", "county", "municipality"]

_DATA_PACKAGE: Final = "marketplace_contracts.reference"
_COUNTY_RE: Final = re.compile(r"\d{2}")
_MUNICIPALITY_RE: Final = re.compile(r"\d{4}")
_NUTS_RE: Final = re.compile(r"SE[0-9A-Z]{1,3}")
_RULE: Final = (
    "expected 'SE' (the whole country), a two-digit county code (län, e.g. '17'), "
    "a four-digit municipality code (kommun, e.g. '1780') or a NUTS code of Sweden "
    "(e.g. 'SE311')"
)


class UnknownRegion(ValueError):
    """A region reference that is malformed or names no existing county or municipality."""


@dataclass(frozen=True, slots=True)
class County:
    code: str  # "17"
    name: str  # "Värmlands län"
    short_name: str  # "Värmland"
    population: int  # sum of its municipalities


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str  # "1780"
    name: str  # "Karlstad"
    county_code: str  # "17"
    population: int


@dataclass(frozen=True, slots=True)
class Nuts:
    code: str  # "SE311"
    level: int  # 0 the country, 1-3 NUTS-1 .. NUTS-3
    name: str  # "Värmlands län"
    parent: str | None  # "SE31"
    county_codes: tuple[str, ...]  # the counties it covers: ("17",) for SE311


@dataclass(frozen=True, slots=True)
class Region:
    """A validated region reference. ``kind`` "nuts" is a NUTS-1 or NUTS-2 area: a NUTS-3
    code parses as its county and "SE" as the country, so that each place has one form."""

    kind: RegionKind
    code: str
    name: str
    county_codes: tuple[str, ...] = ()  # for kind "nuts": the counties it groups


# --- lookups ---------------------------------------------------------------------------------


def county(code: str) -> County:
    """The county with this two-digit code; raises UnknownRegion otherwise."""
    key = code.strip()
    if not _COUNTY_RE.fullmatch(key):
        raise UnknownRegion(f"malformed county code {code!r}: expected two digits, e.g. '17'")
    found = _data().counties.get(key)
    if found is None:
        raise UnknownRegion(f"no county (län) has code {key!r}")
    return found


def municipality(code: str) -> Municipality:
    """The municipality with this four-digit code; raises UnknownRegion otherwise."""
    key = code.strip()
    if not _MUNICIPALITY_RE.fullmatch(key):
        raise UnknownRegion(
            f"malformed municipality code {code!r}: expected four digits, e.g. '1780'"
        )
    found = _data().municipalities.get(key)
    if found is None:
        raise UnknownRegion(f"no municipality (kommun) has code {key!r}")
    return found


def nuts(code: str) -> Nuts:
    """The NUTS entry of Sweden with this code ("SE", "SE3", "SE31", "SE311")."""
    found = _data().nuts.get(code.strip().upper())
    if found is None:
        raise UnknownRegion(f"no NUTS region of Sweden has code {code!r}")
    return found


def all_nuts() -> tuple[Nuts, ...]:
    """Sweden's NUTS codes: the country, 3 NUTS-1, 8 NUTS-2 and 21 NUTS-3, ordered by code."""
    return tuple(_data().nuts.values())


def nuts_code_of(code: str) -> str | None:
    """The NUTS-3 code of a municipality or county ("1780" or "17" -> "SE311"); None for "SE"."""
    region = parse_region(code)
    county_code = None if region.kind == "nuts" else county_of(region.code)
    return None if county_code is None else _data().nuts_of_county[county_code]


def county_of(code: str) -> str | None:
    """The county code of a county or municipality code ("1780" -> "17", "17" -> "17"), None
    for "SE". SCB's rule, read off the digits without a lookup: a municipality's code begins
    with its county's. Raises UnknownRegion for anything but "SE", two or four digits."""
    key = code.strip()
    if key.upper() == COUNTRY_CODE:
        return None
    if _COUNTY_RE.fullmatch(key) or _MUNICIPALITY_RE.fullmatch(key):
        return key[:2]
    raise UnknownRegion(
        f"malformed region code {code!r}: expected 'SE', a county code (two digits, e.g. "
        "'17') or a municipality code (four digits, e.g. '1780')"
    )


def all_counties() -> tuple[County, ...]:
    """All 21 counties, ordered by code."""
    return tuple(_data().counties.values())


def all_municipalities() -> tuple[Municipality, ...]:
    """All 290 municipalities, ordered by code."""
    return tuple(_data().municipalities.values())


def municipalities_in(county_code: str) -> tuple[Municipality, ...]:
    """The municipalities of a county, ordered by code; raises UnknownRegion for a bad county."""
    return _data().by_county[county(county_code).code]


# --- region references -----------------------------------------------------------------------


def parse_region(value: str) -> Region:
    """Validate a region reference: "SE", a county code or a municipality code.

    Raises UnknownRegion naming the rule that was broken.
    """
    if not isinstance(value, str):
        raise UnknownRegion(f"region must be a string, got {type(value).__name__}: {_RULE}")
    key = value.strip()
    if key.upper() == COUNTRY_CODE:
        return Region(kind="country", code=COUNTRY_CODE, name=COUNTRY_NAME)
    if _COUNTY_RE.fullmatch(key):
        found_county = _data().counties.get(key)
        if found_county is None:
            raise UnknownRegion(
                f"unknown region {value!r}: two digits denote a county (län), and no county "
                f"has code {key!r}"
            )
        return Region(kind="county", code=key, name=found_county.name)
    if _MUNICIPALITY_RE.fullmatch(key):
        found = _data().municipalities.get(key)
        if found is None:
            raise UnknownRegion(
                f"unknown region {value!r}: four digits denote a municipality (kommun), and no "
                f"municipality has code {key!r}"
            )
        return Region(kind="municipality", code=key, name=found.name)
    if _NUTS_RE.fullmatch(key.upper()):
        area = _data().nuts.get(key.upper())
        if area is None:
            raise UnknownRegion(
                f"unknown region {value!r}: no NUTS region of Sweden has this code "
                "(NUTS-3 codes run from SE110 to SE332)"
            )
        if area.level == 3:
            county_code = area.county_codes[0]
            return Region(kind="county", code=county_code, name=_data().counties[county_code].name)
        return Region(kind="nuts", code=area.code, name=area.name, county_codes=area.county_codes)
    raise UnknownRegion(f"malformed region {value!r}: {_RULE}")


def canonical_regions(value: str) -> tuple[str, ...]:
    """The stored form of a region reference: "SE", one county or municipality code, or for a
    NUTS-1/2 area the codes of the counties it groups ("SE31" -> "17", "20", "21")."""
    region = parse_region(value)
    return region.county_codes if region.kind == "nuts" else (region.code,)


def region_covers(region_code: str, municipality_code: str) -> RegionKind | None:
    """Which rule makes ``region_code`` include the municipality, if any.

    Returns "municipality" (the same municipality), "county" (the region is the municipality's
    county), "country" (the region is "SE") or None. Both arguments are validated and raise
    UnknownRegion when malformed or unknown, so a typo never silently reads as "no match".
    """
    region = parse_region(region_code)
    target = municipality(municipality_code)
    if region.kind == "country":
        return "country"
    if region.kind == "nuts":
        return "county" if target.county_code in region.county_codes else None
    if region.kind == "county":
        return "county" if target.county_code == region.code else None
    return "municipality" if target.code == region.code else None


def population_of(codes: Iterable[str]) -> int:
    """Population of the area covered by the given region references.

    Overlapping references are counted once: ["17", "1780"] is just Värmlands län.
    """
    covered: set[str] = set()
    data = _data()
    for code in codes:
        region = parse_region(code)
        if region.kind == "country":
            covered.update(data.municipalities)
        elif region.kind == "nuts":
            covered.update(m.code for c in region.county_codes for m in data.by_county[c])
        elif region.kind == "county":
            covered.update(m.code for m in data.by_county[region.code])
        else:
            covered.add(region.code)
    return sum(data.municipalities[code].population for code in covered)


# --- Swedish collation -----------------------------------------------------------------------

# Swedish alphabet order: a-z, then å, ä, ö. Letters from neighbouring alphabets sort as their
# Swedish equivalents (æ as ä, ø as ö, ü as y), other accented letters as their base letter.
_SWEDISH_EXTRA: Final = {"å": 26, "ä": 27, "æ": 27, "ö": 28, "ø": 28}
_EQUIVALENT: Final = {"ü": "y", "ß": "ss"}


def _char_weights(ch: str) -> tuple[int, ...]:
    if ch in _SWEDISH_EXTRA:
        return (300 + _SWEDISH_EXTRA[ch],)
    if ch in _EQUIVALENT:
        return tuple(w for c in _EQUIVALENT[ch] for w in _char_weights(c))
    if "a" <= ch <= "z":
        return (300 + ord(ch) - ord("a"),)
    if ch.isdigit():
        return (200 + int(ch),)
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch and "a" <= base <= "z":  # é -> e, à -> a
        return (300 + ord(base) - ord("a"),)
    if ch.isspace() or ch in "-–—_.,'’/()":
        return (100,)  # separators sort before digits and letters, all alike
    return (1000 + ord(ch),)


def swedish_sort_key(s: str) -> tuple[tuple[int, ...], str, str]:
    """Sort key for Swedish text that needs no OS locale: ... x y z å ä ö, case-insensitive.

    Usable as ``sorted(names, key=swedish_sort_key)``. Ties on the letters are broken by the
    case-folded text and then the original, so ordering is total and deterministic.
    """
    folded = s.casefold()
    primary = tuple(w for ch in folded for w in _char_weights(ch))
    return primary, folded, s


# --- data loading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Data:
    counties: dict[str, County]
    municipalities: dict[str, Municipality]
    by_county: dict[str, tuple[Municipality, ...]]
    nuts: dict[str, Nuts]
    nuts_of_county: dict[str, str]


def _read_csv(name: str) -> list[dict[str, str]]:
    text = files(_DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def _data() -> _Data:
    """Load and cross-check counties.csv and municipalities.csv once; bad data fails loudly."""
    county_rows: dict[str, tuple[str, str]] = {}
    for row in _read_csv("counties.csv"):
        code = row["code"]
        if not _COUNTY_RE.fullmatch(code) or code in county_rows:
            raise ValueError(f"counties.csv: bad or duplicate county code {code!r}")
        county_rows[code] = (row["name"].strip(), row["short_name"].strip())

    municipalities: dict[str, Municipality] = {}
    for row in _read_csv("municipalities.csv"):
        code, county_code = row["code"], row["county_code"]
        if not _MUNICIPALITY_RE.fullmatch(code) or code in municipalities:
            raise ValueError(f"municipalities.csv: bad or duplicate municipality code {code!r}")
        # The county is encoded in the code itself; a mismatch would misroute region matches.
        if county_code != county_of(code) or county_code not in county_rows:
            raise ValueError(f"municipalities.csv: {code} has inconsistent county {county_code!r}")
        population = int(row["population"])
        if population <= 0:
            raise ValueError(f"municipalities.csv: {code} has non-positive population")
        municipalities[code] = Municipality(
            code=code, name=row["name"].strip(), county_code=county_code, population=population
        )
    municipalities = dict(sorted(municipalities.items()))

    by_county: dict[str, tuple[Municipality, ...]] = {
        code: tuple(m for m in municipalities.values() if m.county_code == code)
        for code in sorted(county_rows)
    }
    counties = {
        code: County(
            code=code,
            name=county_rows[code][0],
            short_name=county_rows[code][1],
            population=sum(m.population for m in by_county[code]),
        )
        for code in sorted(county_rows)
    }
    nuts_areas, nuts_of_county = _load_nuts(set(counties))
    return _Data(
        counties=counties,
        municipalities=municipalities,
        by_county=by_county,
        nuts=nuts_areas,
        nuts_of_county=nuts_of_county,
    )


def _load_nuts(county_codes: set[str]) -> tuple[dict[str, Nuts], dict[str, str]]:
    """nuts_se.csv, with each area's counties collected from the NUTS-3 codes below it."""
    rows = sorted(_read_csv("nuts_se.csv"), key=lambda row: row["code"])
    nuts_of_county = {row["county_code"]: row["code"] for row in rows if row["county_code"]}
    if set(nuts_of_county) != county_codes:
        raise ValueError("nuts_se.csv: the NUTS-3 codes do not name every county exactly once")
    areas: dict[str, Nuts] = {}
    for row in rows:
        code = row["code"]
        covered = tuple(sorted(c for c, n in nuts_of_county.items() if n.startswith(code)))
        areas[code] = Nuts(
            code=code,
            level=int(row["level"]),
            name=row["label_sv"].strip(),
            parent=row["parent"] or None,
            county_codes=covered,
        )
    return areas, nuts_of_county
