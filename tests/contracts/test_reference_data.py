"""Reference data: CPV vocabulary and Swedish regions (pure functions, no infrastructure)."""

from __future__ import annotations

import csv
import io
import random
from importlib.resources import files

import pytest

from marketplace_contracts.reference import (
    LEVELS,
    POPULATION_YEAR,
    InvalidCpvCode,
    UnknownCpvCode,
    UnknownRegion,
    all_codes,
    all_counties,
    all_municipalities,
    county,
    is_known,
    label,
    level_of,
    lookup,
    matches_prefix,
    municipalities_in,
    municipality,
    normalize_cpv,
    parent_of,
    parse_region,
    population_of,
    region_covers,
    shared_depth,
    shared_level_name,
    significant_prefix,
    swedish_sort_key,
)
from marketplace_contracts.reference.cpv import level_depth, normalize_prefix

# The 45 divisions of CPV 2008.
DIVISIONS = tuple(
    f"{n:02d}"
    for n in (
        3,
        9,
        14,
        15,
        16,
        18,
        19,
        22,
        24,
        30,
        31,
        32,
        33,
        34,
        35,
        37,
        38,
        39,
        41,
        42,
        43,
        44,
        45,
        48,
        50,
        51,
        55,
        60,
        63,
        64,
        65,
        66,
        70,
        71,
        72,
        73,
        75,
        76,
        77,
        79,
        80,
        85,
        90,
        92,
        98,
    )
)


# --- CPV: the shipped vocabulary ---------------------------------------------------------------


def test_vocabulary_is_the_whole_of_cpv_2008_and_well_formed() -> None:
    codes = all_codes()
    assert len(codes) == 9454
    assert len({c.code for c in codes}) == len(codes)
    for entry in codes:
        assert len(entry.code) == 8 and entry.code.isdigit(), entry
        if entry.check_digit is None:
            assert entry.full == entry.code
        else:
            assert len(entry.check_digit) == 1 and entry.check_digit.isdigit(), entry
            assert entry.full == f"{entry.code}-{entry.check_digit}"
        assert entry.level == level_of(entry.code)
    assert [c.code for c in codes] == sorted(c.code for c in codes)
    assert sum(c.check_digit is not None for c in codes) == 412


def test_every_code_is_accepted_in_both_forms_and_labelled_in_both_languages() -> None:
    for entry in all_codes():
        assert normalize_cpv(entry.code) == entry.code
        assert normalize_cpv(f"{entry.code}-{entry.check_digit or 0}") == entry.code
        assert is_known(entry.full)
        assert label(entry.code, "sv") == entry.label_sv
        assert label(entry.code, "en") == entry.label_en


def test_csv_file_is_loaded_as_package_data() -> None:
    text = files("marketplace_contracts.reference").joinpath("cpv_codes.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["code", "check_digit", "parent", "label_en", "label_sv"]
    assert len(rows) == len(all_codes())


def test_all_45_divisions_present() -> None:
    assert len(DIVISIONS) == 45
    divisions = {c.code[:2] for c in all_codes() if c.level == "division"}
    assert divisions == set(DIVISIONS)
    for division in DIVISIONS:
        entry = lookup(division + "000000")
        assert entry is not None and entry.parent is None


def test_every_non_division_has_its_parent_in_the_vocabulary() -> None:
    for entry in all_codes():
        if entry.level == "division":
            assert entry.parent is None
            continue
        assert entry.parent is not None, entry
        parent = lookup(entry.parent)
        assert parent is not None, entry
        # The parent is strictly shallower ("code"-level entries can nest: 34144510 in 34144500).
        assert LEVELS.index(parent.level) <= LEVELS.index(entry.level)
        assert len(significant_prefix(parent.code)) < len(significant_prefix(entry.code))
        assert entry.code.startswith(significant_prefix(parent.code))


def test_labels_present_in_both_languages() -> None:
    for entry in all_codes():
        assert entry.label_en.strip() and entry.label_sv.strip(), entry
    assert label("80000000") == "Undervisning och utbildning"
    assert label("80000000", lang="en") == "Education and training services"
    assert label("80500000-9", "en") == "Training services"
    assert label("85311200", "en") == "Welfare services for the handicapped"
    assert label("72000000", "en").startswith("IT services")
    with pytest.raises(ValueError, match="sv"):
        label("80000000", lang="de")  # type: ignore[arg-type]
    assert label("79212000", "en") == "Auditing services"
    assert label("71314000") == "Energi och tillhörande tjänster"
    with pytest.raises(UnknownCpvCode):
        label("80512900")  # well-formed, but not a code of CPV 2008


@pytest.mark.parametrize(
    "code",
    [
        "80500000",
        "80510000",
        "80530000",
        "80533100",
        "72200000",
        "72260000",
        "72212000",
        "48100000",
        "48190000",
        "48900000",
        "85300000",
        "85310000",
        "85311000",
        "85311200",
        "85312000",
        "85140000",
        "30200000",
        "30230000",
        "30231000",
        "32300000",
        "60112000",
        "34100000",
        "34144900",
        "15800000",
        "55520000",
        "55523000",
        "90910000",
        "90911000",
        "90919000",
        "90510000",
        "45210000",
        "45400000",
        "79710000",
        "79410000",
        "73300000",
        "75200000",
        "72413000",
        "72415000",
        "72212224",
        "90720000",
        "09330000",
        "39100000",
        "18143000",
        "35113400",
        "77310000",
    ],
)
def test_requested_codes_are_shipped(code: str) -> None:
    assert is_known(code)


def test_official_check_digits_of_well_known_codes() -> None:
    expected = {
        "03000000": "1",
        "45000000": "7",
        "48000000": "8",
        "51000000": "9",
        "72000000": "5",
        "72212190": "7",
        "72212224": "5",
        "80000000": "4",
        "80500000": "9",
        "80533100": "0",
        "85000000": "9",
        "85311200": "4",
        "90910000": "9",
        "98000000": "3",
    }
    for code, check in expected.items():
        entry = lookup(code)
        assert entry is not None and entry.check_digit == check, code


# --- CPV: parsing and hierarchy ----------------------------------------------------------------


def test_normalize_accepts_both_forms_and_whitespace() -> None:
    assert normalize_cpv("80500000") == "80500000"
    assert normalize_cpv("80500000-9") == "80500000"
    assert normalize_cpv("  80500000-9\n") == "80500000"
    # Official digit unknown, so any single digit is accepted (no exact public algorithm exists).
    assert normalize_cpv("80512000-6") == "80512000"
    assert normalize_cpv("80512000-1") == "80512000"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "8050000",
        "805000000",
        "80500000-",
        "80500000-99",
        "80500000 9",
        "8050000a",
        "80-500000",
        "ABCDEFGH",
        "00000000",
        "80500000-0",
        "80500000—9",
    ],
)
def test_normalize_rejects_malformed(bad: str) -> None:
    with pytest.raises(InvalidCpvCode):
        normalize_cpv(bad)


def test_invalid_cpv_code_is_a_value_error_with_clear_message() -> None:
    with pytest.raises(ValueError, match="expected eight digits"):
        normalize_cpv("805")
    with pytest.raises(InvalidCpvCode, match="80500000-9"):
        normalize_cpv("80500000-1")  # wrong digit for a known code names the official one


def test_levels_and_significant_prefix() -> None:
    assert level_of("45000000") == "division"
    assert level_of("80500000") == "group"
    assert level_of("80530000") == "class"
    assert level_of("80533000") == "category"
    assert level_of("80533100") == "code"
    assert level_of("72212224-5") == "code"
    assert significant_prefix("80500000") == "805"
    assert significant_prefix("45000000") == "45"
    assert significant_prefix("09310000") == "0931"
    assert significant_prefix("03000000-1") == "03"


def test_significant_prefix_of_80511100_keeps_its_subcategory_digit() -> None:
    # XX000000 division, XXX00000 group, XXXX0000 class, XXXXX000 category; the sixth digit
    # is a subcategory, so 80511100 means "805111", not the eight digits: a filter on it
    # takes in the codes below it (03115100 -> 03115110 "Cotton" in the vocabulary).
    assert significant_prefix("80511100") == "805111"
    assert level_of("80511100") == "code"
    assert level_depth("80511100") == 5
    assert normalize_prefix("80511100") == "805111"
    assert matches_prefix("80511110", "80511100")
    assert not matches_prefix("80511200", "80511100")
    assert parent_of("03115110") == "03115100"
    assert matches_prefix("03115110", "03115100")


def test_parent_of_walks_up_to_nearest_existing_level() -> None:
    assert parent_of("80533100") == "80533000"
    assert parent_of("80500000") == "80000000"
    assert parent_of("80000000") is None
    # 60110000 does not exist officially: public road transport hangs under the group.
    assert parent_of("60112000") == "60100000"
    # Unknown codes still find their nearest shipped ancestor.
    assert parent_of("80512900") == "80512000"
    # Known codes take the EU list's own parent, which is not always the nearest by digits.
    assert parent_of("72212224") == "72212200"
    assert parent_of("03212211") == "03212200"


@pytest.mark.parametrize(
    ("a", "b", "depth", "name"),
    [
        ("72000000", "48000000", 0, None),
        ("80000000", "80500000", 1, "division"),
        ("80500000", "80510000", 2, "group"),
        ("80530000", "80500000", 2, "group"),
        ("80531200", "80533100", 3, "class"),
        ("80533100", "80533200", 4, "category"),
        ("80533100-0", "80533100", 5, "code"),
        ("45000000", "45000000", 5, "code"),
        ("30200000", "30213000", 2, "group"),
        ("85311200", "85312000", 3, "class"),
    ],
)
def test_shared_depth(a: str, b: str, depth: int, name: str | None) -> None:
    assert shared_depth(a, b) == depth
    assert shared_depth(b, a) == depth
    assert shared_level_name(a, b) == name


def test_matches_prefix() -> None:
    assert matches_prefix("80533100", "805")
    assert matches_prefix("80533100-0", "80")
    assert matches_prefix("80533100", "80500000")
    assert matches_prefix("80533100", "80500000-9")
    assert matches_prefix("80533100", "80533100")
    assert not matches_prefix("80533100", "8051")
    assert not matches_prefix("72000000", "48000000")
    assert not matches_prefix("80500000", "80533100")  # broader code is not under narrower
    with pytest.raises(InvalidCpvCode):
        matches_prefix("80533100", "8x")


def test_lookup_and_is_known() -> None:
    entry = lookup("80533100-0")
    assert entry is not None
    assert entry.label_sv and entry.parent == "80533000" and entry.level == "code"
    assert lookup("80512900") is None
    assert not is_known("80512900")
    assert not is_known("not a code")
    with pytest.raises(InvalidCpvCode):
        lookup("not a code")


# --- Regions -----------------------------------------------------------------------------------


def test_exactly_21_counties_and_290_municipalities() -> None:
    counties = all_counties()
    assert len(counties) == 21
    county_numbers = (1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 17, 18, 19, 20, 21, 22, 23, 24, 25)
    assert [c.code for c in counties] == [f"{n:02d}" for n in county_numbers]
    municipalities = all_municipalities()
    assert len(municipalities) == 290
    assert len({m.code for m in municipalities}) == 290
    county_codes = {c.code for c in counties}
    for m in municipalities:
        assert len(m.code) == 4 and m.code.isdigit()
        assert m.code[:2] == m.county_code and m.county_code in county_codes
        assert m.name.strip() and m.population > 0


def test_each_county_has_municipalities_and_consistent_population() -> None:
    expected_counts = {"01": 26, "09": 1, "12": 33, "14": 49, "17": 16, "25": 14}
    for c in all_counties():
        members = municipalities_in(c.code)
        assert members, c
        assert c.population == sum(m.population for m in members)
        if c.code in expected_counts:
            assert len(members) == expected_counts[c.code], c


@pytest.mark.parametrize(
    ("code", "name", "county_code"),
    [
        ("1780", "Karlstad", "17"),
        ("1761", "Hammarö", "17"),
        ("1715", "Kil", "17"),
        ("1283", "Helsingborg", "12"),
        ("1280", "Malmö", "12"),
        ("0180", "Stockholm", "01"),
        ("1480", "Göteborg", "14"),
        ("1880", "Örebro", "18"),
        ("2584", "Kiruna", "25"),
        ("0980", "Gotland", "09"),
        ("0139", "Upplands-Bro", "01"),
        ("2023", "Malung-Sälen", "20"),
    ],
)
def test_municipality_spot_checks(code: str, name: str, county_code: str) -> None:
    m = municipality(code)
    assert (m.name, m.county_code) == (name, county_code)


def test_county_names() -> None:
    assert county("17").name == "Värmlands län"
    assert county("12").name == "Skåne län"
    assert county("14").short_name == "Västra Götaland"
    with pytest.raises(UnknownRegion):
        county("02")
    with pytest.raises(UnknownRegion):
        municipality("1799")


def test_parse_region() -> None:
    assert parse_region("SE").kind == "country"
    assert parse_region(" se ").code == "SE"
    r = parse_region("17")
    assert (r.kind, r.code, r.name) == ("county", "17", "Värmlands län")
    r = parse_region("1780")
    assert (r.kind, r.code, r.name) == ("municipality", "1780", "Karlstad")
    with pytest.raises(UnknownRegion, match="county"):
        parse_region("02")
    with pytest.raises(UnknownRegion, match="municipality"):
        parse_region("1799")
    for bad in ["", "1", "178", "17800", "Karlstad", "SE-17"]:
        with pytest.raises(UnknownRegion, match="four-digit municipality code"):
            parse_region(bad)
    assert issubclass(UnknownRegion, ValueError)


def test_region_covers() -> None:
    assert region_covers("1780", "1780") == "municipality"
    assert region_covers("17", "1780") == "county"
    assert region_covers("17", "1761") == "county"
    assert region_covers("SE", "1780") == "country"
    assert region_covers("12", "1780") is None
    assert region_covers("1761", "1780") is None
    assert region_covers("0180", "0181") is None
    with pytest.raises(UnknownRegion):
        region_covers("99", "1780")
    with pytest.raises(UnknownRegion):
        region_covers("17", "17")  # the second argument must be a municipality


def test_population_of() -> None:
    assert POPULATION_YEAR == 2023
    karlstad = municipality("1780").population
    assert population_of(["1780"]) == karlstad
    assert population_of(["1780", "1761"]) == karlstad + municipality("1761").population
    assert population_of(["17"]) == county("17").population
    assert population_of(["17", "1780"]) == county("17").population  # overlap counted once
    national = population_of(["SE"])
    assert national == sum(m.population for m in all_municipalities())
    assert 10_400_000 < national < 10_700_000
    assert population_of([]) == 0
    # Sanity: the largest municipalities are the three metro cores.
    largest = sorted(all_municipalities(), key=lambda m: m.population, reverse=True)[:3]
    assert {m.name for m in largest} == {"Stockholm", "Göteborg", "Malmö"}


# --- Swedish sorting ---------------------------------------------------------------------------


def test_swedish_sort_order() -> None:
    names = ["Örebro", "Åre", "Älmhult", "Vaxholm", "Arboga", "Zinkgruvan", "ale"]
    expected = ["ale", "Arboga", "Vaxholm", "Zinkgruvan", "Åre", "Älmhult", "Örebro"]
    shuffled = names[:]
    random.Random(1).shuffle(shuffled)
    assert sorted(shuffled, key=swedish_sort_key) == expected


def test_swedish_sort_is_case_insensitive_and_locale_free() -> None:
    assert sorted(["östersund", "Åre", "ÄLMHULT"], key=swedish_sort_key) == [
        "Åre",
        "ÄLMHULT",
        "östersund",
    ]
    assert swedish_sort_key("Åre")[0] == swedish_sort_key("åre")[0]
    assert sorted(["Åsele", "Aneby", "Öckerö", "Ödeshög"], key=swedish_sort_key) == [
        "Aneby",
        "Åsele",
        "Öckerö",
        "Ödeshög",
    ]
    # Accented letters other than å ä ö sort with their base letter.
    assert sorted(["Eda", "Émile", "Ekerö"], key=swedish_sort_key) == ["Eda", "Ekerö", "Émile"]
    names = [m.name for m in all_municipalities()]
    ordered = sorted(names, key=swedish_sort_key)
    assert ordered[0] == "Ale" and ordered[-1] == "Övertorneå"
    assert ordered.index("Vännäs") > ordered.index("Vimmerby")
