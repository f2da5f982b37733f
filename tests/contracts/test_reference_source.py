"""The committed reference data against its source: the eForms SDK's code lists."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from marketplace_contracts.reference import (
    UnknownRegion,
    all_counties,
    all_nuts,
    canonical_regions,
    county,
    nuts,
    nuts_code_of,
    parse_region,
    population_of,
    region_covers,
)
from tools import reference_data

DATA = files("marketplace_contracts.reference")


def _source() -> dict[str, object]:
    return json.loads(DATA.joinpath(reference_data.SOURCE_FILE).read_text("utf-8"))


def test_committed_files_are_what_the_pinned_sdk_version_gave() -> None:
    source = _source()
    assert source["sdk"] == (
        f"{reference_data.SDK_GROUP}:{reference_data.SDK_ARTIFACT}:{reference_data.SDK_VERSION}"
    )
    recorded = source["files"]
    assert isinstance(recorded, dict)
    for name in (reference_data.CPV_FILE, reference_data.NUTS_FILE):
        text = DATA.joinpath(name).read_text("utf-8")
        # A hand edit (or a regeneration that was not recorded) changes the hash.
        assert reference_data.sha256(text) == recorded[name], name
    assert source["cpv_codes"] == 9454


GENERICODE = b"""<?xml version="1.0" encoding="UTF-8"?>
<gc:CodeList xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">
  <SimpleCodeList>
    <Row>
      <Value ColumnRef="code"><SimpleValue>60000000</SimpleValue></Value>
      <Value ColumnRef="eng_label"><SimpleValue>Transport services</SimpleValue></Value>
      <Value ColumnRef="swe_label"><SimpleValue>Transporttj\xc3\xa4nster</SimpleValue></Value>
    </Row>
    <Row>
      <Value ColumnRef="code"><SimpleValue>60112000</SimpleValue></Value>
      <Value ColumnRef="eng_label"><SimpleValue>Public road transport</SimpleValue></Value>
      <Value ColumnRef="swe_label"><SimpleValue>Kollektivtrafik p\xc3\xa5 v\xc3\xa4g</SimpleValue>
      </Value>
    </Row>
    <Row>
      <Value ColumnRef="code"><SimpleValue>60100000</SimpleValue></Value>
      <Value ColumnRef="parentCode"><SimpleValue>60000000</SimpleValue></Value>
      <Value ColumnRef="eng_label"><SimpleValue>Road transport services</SimpleValue></Value>
      <Value ColumnRef="swe_label"><SimpleValue>V\xc3\xa4gtransport</SimpleValue></Value>
    </Row>
  </SimpleCodeList>
</gc:CodeList>
"""


def test_generator_reads_genericode_sorts_and_gives_orphans_their_ancestor() -> None:
    rows = reference_data.cpv_rows(reference_data.read_genericode(GENERICODE), {"60000000": "3"})
    assert [(r["code"], r["parent"], r["check_digit"]) for r in rows] == [
        ("60000000", "", "3"),
        ("60100000", "60000000", ""),
        ("60112000", "60100000", ""),  # no parentCode in the SDK: its nearest ancestor
    ]
    assert rows[2]["label_sv"] == "Kollektivtrafik på väg"


def test_generator_refuses_a_check_digit_for_a_code_outside_the_list() -> None:
    rows = reference_data.read_genericode(GENERICODE)
    with pytest.raises(ValueError, match="outside CPV 2008"):
        reference_data.cpv_rows(rows, {"99999999": "1"})


def test_generator_refuses_a_code_without_a_swedish_label() -> None:
    rows = reference_data.read_genericode(GENERICODE.replace(b"swe_label", b"fin_label"))
    with pytest.raises(ValueError, match="Swedish label"):
        reference_data.cpv_rows(rows, {})


# --- NUTS ------------------------------------------------------------------------------------


def test_each_county_is_exactly_one_nuts3_code_of_the_same_name() -> None:
    level3 = [n for n in all_nuts() if n.level == 3]
    assert len(level3) == 21
    assert sorted(n.county_codes[0] for n in level3) == [c.code for c in all_counties()]
    for area in level3:
        assert county(area.county_codes[0]).name == area.name
    assert nuts("SE311").county_codes == ("17",)
    assert [n.code for n in all_nuts() if n.level == 1] == ["SE1", "SE2", "SE3"]
    assert len([n for n in all_nuts() if n.level == 2]) == 8
    assert nuts("SE").county_codes == tuple(c.code for c in all_counties())


def test_a_nuts3_code_is_its_county_and_nuts1_2_the_counties_they_group() -> None:
    region = parse_region("SE311")
    assert (region.kind, region.code, region.name) == ("county", "17", "Värmlands län")
    assert parse_region("se311").code == "17"
    area = parse_region("SE31")
    assert (area.kind, area.name, area.county_codes) == (
        "nuts",
        "Norra Mellansverige",
        ("17", "20", "21"),
    )
    assert canonical_regions("SE311") == ("17",)
    assert canonical_regions("SE31") == ("17", "20", "21")
    assert canonical_regions("SE") == ("SE",)
    assert canonical_regions("1780") == ("1780",)


def test_nuts_regions_cover_municipalities_and_count_population_once() -> None:
    assert region_covers("SE311", "1780") == "county"  # Karlstad lies in Värmland
    assert region_covers("SE31", "1780") == "county"
    assert region_covers("SE3", "1780") == "county"
    assert region_covers("SE11", "1780") is None
    assert population_of(["SE311"]) == county("17").population
    assert population_of(["SE31", "17", "1780"]) == sum(
        county(c).population for c in ("17", "20", "21")
    )


def test_nuts_code_of_a_place() -> None:
    assert nuts_code_of("1780") == "SE311"
    assert nuts_code_of("17") == "SE311"
    assert nuts_code_of("0180") == "SE110"
    assert nuts_code_of("SE") is None


@pytest.mark.parametrize("bad", ["SE999", "SE4", "SEZZZ", "SE3111", "DE111"])
def test_unknown_nuts_codes_are_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(UnknownRegion, match=r"NUTS|malformed"):
        parse_region(bad)
