"""The OCDS mapping of a need (pure): each change's release, valid against OCDS 1.1.5, and
the compiled release of them all showing the need's last state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace_contracts.events import OcdsReleased
from needs.adapters.ocds import compile_release
from needs.domain.model import Need
from needs.domain.ocds import OcdsMapping, SolutionRef, released
from tests.support.ocds import codelist_errors, schema_errors

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MAPPING = OcdsMapping("ocds-abc123", {"karlstad": "212000-1744"})
SOLUTIONS = {"s-vr": SolutionRef("ViroteaED", "virotea")}


def _need() -> Need:
    return Need.draft(
        buyer_org="karlstad",
        by="anna",
        now=T0,
        title="Kompetensutveckling för vårdpersonal",
        problem="Omsorgspersonalen behöver träna svåra situationer utan risk för brukarna.",
        cpv_codes=["80500000", "48000000"],
        municipality_code="1780",
        need_id="n-1",
        desired_outcomes=["Tryggare personal"],
        budget_sek=400_000,
    )


def _release(need: Need) -> OcdsReleased | None:
    return released(
        need, need.take_events(), at=need.updated_at, mapping=MAPPING, solution=SOLUTIONS.get
    )


def _valid(release: dict[str, object]) -> None:
    assert schema_errors(release, "release-schema.json") == []
    assert codelist_errors(release) == []  # type: ignore[arg-type]


def _story() -> tuple[Need, list[OcdsReleased]]:
    """Published, moved to procurement, co-signed, implemented: one release per change."""
    need = _need()
    out: list[OcdsReleased | None] = [_release(need)]  # the draft: nothing
    at = T0
    need.publish(org="karlstad", by="anna", now=(at := at + timedelta(days=1)))
    out.append(_release(need))
    for phase in ("validation", "co-creation", "procurement"):
        need.move_to(
            phase, org="karlstad", by="anna", now=(at := at + timedelta(days=7)), reason=None
        )
        out.append(_release(need))
    need.cosign(
        org="hammaro", by="bo", now=(at := at + timedelta(days=1)), municipality_code="1761"
    )
    out.append(_release(need))
    need.record_implementation(
        org="karlstad", by="anna", now=(at := at + timedelta(days=30)), solution_id="s-vr"
    )
    out.append(_release(need))
    assert out[0] is None
    return need, [r for r in out if r is not None]


def test_a_draft_is_never_released() -> None:
    need = _need()
    need.edit(org="karlstad", by="anna", now=T0 + timedelta(hours=1), changes={"title": "Ny"})
    assert _release(need) is None


def test_publication_is_a_valid_planning_release_of_the_need() -> None:
    need = _need()
    need.publish(org="karlstad", by="anna", now=T0 + timedelta(days=1))
    found = _release(need)
    assert found is not None
    release = found.release
    _valid(release)
    assert release["ocid"] == "ocds-abc123-n-1" == found.ocid
    assert release["tag"] == ["planning"]
    assert release["initiationType"] == "tender" and release["language"] == "sv"
    assert release["date"] == "2026-03-03T09:00:00Z"
    assert release["buyer"] == {"id": "SE-BLV-2120001744", "name": "karlstad"}
    (buyer,) = release["parties"]
    assert buyer["roles"] == ["buyer"]
    assert buyer["identifier"] == {"scheme": "SE-BLV", "id": "2120001744", "legalName": "karlstad"}
    assert release["planning"]["rationale"] == need.problem
    assert release["planning"]["budget"] == {"amount": {"amount": 400_000, "currency": "SEK"}}
    milestones = {m["id"]: m for m in release["planning"]["milestones"]}
    assert milestones["hypothesis"]["status"] == "met"
    assert milestones["hypothesis"]["type"] == "preProcurement"
    assert milestones["validation"] == {
        "id": "validation", "title": "Validering", "type": "engagement", "status": "scheduled"
    }  # fmt: skip
    tender = release["tender"]
    assert tender["status"] == "planning"
    assert [i["classification"] for i in tender["items"]] == [
        {"scheme": "CPV", "id": "80500000", "description": "Utbildningstjänster"},
        {"scheme": "CPV", "id": "48000000", "description": "Programvara och informationssystem"},
    ]
    assert tender["deliveryAddresses"] == [
        {"locality": "Karlstad", "countryName": "Sverige", "region": "SE311"}
    ]


def test_each_change_is_one_release_with_its_own_id_and_tag() -> None:
    _, releases = _story()
    assert [r.release["tag"] for r in releases] == [
        ["planning"],
        ["planningUpdate"],
        ["planningUpdate"],
        ["planningUpdate"],
        ["planningUpdate"],
        ["planningUpdate", "award"],  # implemented from procurement: the phase moved too
    ]
    assert len({r.release_id for r in releases}) == len(releases)
    for release in releases:
        _valid(release.release)


def test_the_implementation_names_the_solution_and_its_supplier() -> None:
    need, releases = _story()
    award_release = releases[-1].release
    (award,) = award_release["awards"]
    assert award["id"] == need.implementations[0].adoption_id
    assert award["title"] == "ViroteaED" and award["status"] == "active"
    assert award["suppliers"] == [{"id": "virotea", "name": "virotea"}]
    roles = {p["id"]: p["roles"] for p in award_release["parties"]}
    assert roles == {
        "SE-BLV-2120001744": ["buyer"],
        "hammaro": ["interestedParty"],
        "virotea": ["supplier"],
    }
    assert award_release["tender"]["status"] == "complete"


def test_the_compiled_release_is_the_last_state() -> None:
    need, releases = _story()
    compiled = compile_release([r.release for r in reversed(releases)])  # any order
    assert compiled["tag"] == ["compiled"]
    assert compiled["id"] == f"{releases[-1].ocid}-{releases[-1].release['date']}"
    milestones = {m["id"]: m["status"] for m in compiled["planning"]["milestones"]}
    assert milestones == {
        "hypothesis": "met",
        "validation": "met",
        "co-creation": "met",
        "procurement": "met",
        "implementation": "met",
        "scaling": "scheduled",
    }
    assert compiled["tender"]["status"] == "complete"
    assert [a["title"] for a in compiled["awards"]] == ["ViroteaED"]
    assert {p["id"] for p in compiled["parties"]} == {"SE-BLV-2120001744", "hammaro", "virotea"}
    package = {
        "uri": "http://example.test/v1/ocds/records/x",
        "version": "1.1",
        "publisher": {"name": "Innovationsmarknaden"},
        "publishedDate": "2026-05-01T00:00:00Z",
        "records": [
            {
                "ocid": releases[0].ocid,
                "releases": [r.release for r in releases],
                "compiledRelease": compiled,
            }
        ],
    }
    assert schema_errors(package, "record-package-schema.json") == []
    assert need.phase == "implementation"


def test_a_withdrawn_need_is_cancelled_with_the_phases_it_reached() -> None:
    need = _need()
    need.publish(org="karlstad", by="anna", now=T0)
    need.move_to("validation", org="karlstad", by="anna", now=T0 + timedelta(days=1), reason=None)
    need.take_events()
    need.withdraw(org="karlstad", by="anna", now=T0 + timedelta(days=2), reason="budget")
    found = _release(need)
    assert found is not None
    _valid(found.release)
    assert found.release["tag"] == ["planningUpdate"]
    assert found.release["tender"]["status"] == "cancelled"
    met = [m["id"] for m in found.release["planning"]["milestones"] if m["status"] == "met"]
    assert met == ["hypothesis", "validation"]


def test_an_english_need_is_released_in_english() -> None:
    need = _need()
    need.language = "en"
    need.publish(org="karlstad", by="anna", now=T0)
    found = _release(need)
    assert found is not None
    release = found.release
    assert release["language"] == "en"
    assert release["tender"]["items"][0]["classification"]["description"] == "Training services"
    assert release["tender"]["deliveryAddresses"][0]["countryName"] == "Sweden"
    assert release["planning"]["milestones"][1]["title"] == "Validation"


def test_a_solution_not_known_yet_is_awarded_without_a_supplier() -> None:
    need = _need()
    need.publish(org="karlstad", by="anna", now=T0)
    for phase in ("validation", "co-creation", "procurement"):
        need.move_to(phase, org="karlstad", by="anna", now=T0, reason=None)
    need.take_events()
    need.record_implementation(org="karlstad", by="anna", now=T0, solution_id="s-unknown")
    found = _release(need)
    assert found is not None
    _valid(found.release)
    (award,) = found.release["awards"]
    assert award["title"] == "s-unknown" and "suppliers" not in award


@pytest.mark.parametrize("prefix", ["ocds-abc12", "OCDS-abc123", "abc123", "ocds-abc1234"])
def test_the_ocid_prefix_must_be_a_registered_form(prefix: str) -> None:
    with pytest.raises(ValueError, match="ocid prefix"):
        OcdsMapping(prefix)


def test_an_organisation_number_must_be_ten_digits() -> None:
    with pytest.raises(ValueError, match="organisation number of 'karlstad'"):
        OcdsMapping("ocds-abc123", {"karlstad": "2120-1744"})


def test_the_schema_check_refuses_what_ocds_refuses() -> None:
    """The validation the tests lean on can fail: a release without its ocid, with a tag
    outside the closed codelist and a party role outside the open one."""
    need = _need()
    need.publish(org="karlstad", by="anna", now=T0)
    found = _release(need)
    assert found is not None
    broken = {**found.release, "tag": ["drafted"]}
    del broken["ocid"]
    broken["parties"] = [{**broken["parties"][0], "roles": ["cosigner"]}]
    problems = schema_errors(broken, "release-schema.json")
    assert any("'ocid' is a required property" in p for p in problems)
    assert any(p.startswith("tag/0") for p in problems)
    assert codelist_errors(broken) == ["parties/SE-BLV-2120001744/roles: cosigner"]
