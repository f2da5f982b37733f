"""Unit tests of the need aggregate: phase rules, co-signing, history, events, versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from marketplace_contracts.events import (
    AdoptionRecorded,
    NeedCosigned,
    NeedPhaseChanged,
    NeedPublished,
    NeedUpdated,
    NeedWithdrawn,
)
from marketplace_contracts.reference import municipality
from marketplace_contracts.text.search import index_terms, matches, query_terms
from needs.domain.errors import IllegalPhaseMove, InvalidInput, NotPermitted, RuleConflict
from needs.domain.model import Adoption, HistoryEntry, Need

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def draft(**overrides: object) -> Need:
    fields: dict[str, object] = {
        "buyer_org": "karlstad",
        "by": "anna",
        "now": NOW,
        "title": "Träning för vårdpersonal",
        "problem": "Personalen behöver öva bemötande vid demens.",
        "cpv_codes": ["80500000-9"],
        "municipality_code": "1780",
    }
    fields.update(overrides)
    return Need.draft(**fields)  # type: ignore[arg-type]


def published() -> Need:
    need = draft()
    need.publish(org="karlstad", by="anna", now=NOW)
    need.take_events()
    return need


def test_a_draft_starts_in_hypothesis_with_no_events_and_normalized_codes() -> None:
    need = draft()
    assert need.phase == "hypothesis" and need.status == "draft" and need.version == 0
    assert need.cpv_codes == ["80500000"]
    assert need.take_events() == []
    assert need.visible_to("karlstad") and not need.visible_to("hammaro")
    assert need.history[0].to_phase == "hypothesis"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"problem": ""}, "problem"),
        ({"cpv_codes": ["99999999"]}, "cpv_codes.0"),
        ({"cpv_codes": ["80500000-1"]}, "cpv_codes.0"),
        ({"cpv_codes": []}, "cpv_codes"),
        ({"municipality_code": "9999"}, "municipality_code"),
    ],
)
def test_bad_input_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        draft(**overrides)
    assert err.value.field == field


def test_publishing_emits_the_full_state_at_version_one() -> None:
    need = draft()
    need.publish(org="karlstad", by="anna", now=NOW)
    [event] = need.take_events()
    assert isinstance(event, NeedPublished)
    assert event.version == 1 and event.phase == "hypothesis" and event.buyer_org == "karlstad"
    assert need.visible_to("anyone")
    with pytest.raises(RuleConflict):
        need.publish(org="karlstad", by="anna", now=NOW)


def test_only_the_owner_changes_a_need() -> None:
    need = published()
    with pytest.raises(NotPermitted):
        need.move_to("validation", org="hammaro", by="x", now=NOW, reason=None)
    with pytest.raises(NotPermitted):
        need.edit(org="hammaro", by="x", now=NOW, changes={"title": "x"})
    with pytest.raises(NotPermitted):
        need.withdraw(org="hammaro", by="x", now=NOW, reason=None)


def test_forward_one_step_back_with_reason_and_history() -> None:
    need = published()
    need.move_to("validation", org="karlstad", by="anna", now=NOW, reason=None)
    need.move_to("co-creation", org="karlstad", by="bo", now=NOW, reason=None)
    with pytest.raises(InvalidInput) as missing:
        need.move_to("hypothesis", org="karlstad", by="bo", now=NOW, reason=" ")
    assert missing.value.field == "reason"
    need.move_to("hypothesis", org="karlstad", by="bo", now=NOW, reason="new insight")
    events = need.take_events()
    assert [type(e) for e in events] == [NeedPhaseChanged] * 3
    assert [e.version for e in events] == [2, 3, 4]  # type: ignore[attr-defined]
    last = events[-1]
    assert isinstance(last, NeedPhaseChanged)
    assert (last.from_phase, last.to_phase, last.reason, last.changed_by) == (
        "co-creation",
        "hypothesis",
        "new insight",
        "bo",
    )
    assert [(h.from_phase, h.to_phase, h.by) for h in need.history[1:]] == [
        ("hypothesis", "validation", "anna"),
        ("validation", "co-creation", "bo"),
        ("co-creation", "hypothesis", "bo"),
    ]
    assert need.history[-1].reason == "new insight"


def test_an_illegal_move_names_the_allowed_ones() -> None:
    need = published()
    with pytest.raises(IllegalPhaseMove) as err:
        need.move_to("procurement", org="karlstad", by="anna", now=NOW, reason=None)
    assert err.value.extra["allowed"] == ["validation", "withdrawn"]
    assert "validation" in err.value.message
    assert need.take_events() == []


def test_withdrawal_from_any_phase_is_final() -> None:
    need = published()
    need.move_to("validation", org="karlstad", by="anna", now=NOW, reason=None)
    need.move_to("withdrawn", org="karlstad", by="anna", now=NOW, reason="solved")
    events = need.take_events()
    assert isinstance(events[-1], NeedWithdrawn) and events[-1].version == 3
    assert need.status == "withdrawn" and need.phase == "withdrawn"
    assert need.history[-1].to_phase == "withdrawn" and need.history[-1].reason == "solved"
    with pytest.raises(RuleConflict):
        need.move_to("validation", org="karlstad", by="anna", now=NOW, reason="x")
    with pytest.raises(RuleConflict):
        need.withdraw(org="karlstad", by="anna", now=NOW, reason=None)


def test_edits_of_a_published_need_emit_updated_with_the_next_version() -> None:
    need = published()
    assert need.edit(org="karlstad", by="anna", now=NOW, changes={"title": "Ny"})
    assert not need.edit(org="karlstad", by="anna", now=NOW, changes={"title": "Ny"})
    [event] = need.take_events()
    assert isinstance(event, NeedUpdated) and event.version == 2 and event.title == "Ny"
    with pytest.raises(InvalidInput):
        need.edit(org="karlstad", by="anna", now=NOW, changes={"cpv_codes": ["1"]})


def test_cosigning_aggregates_demand_once_per_organisation() -> None:
    need = published()
    with pytest.raises(RuleConflict):
        need.cosign(org="karlstad", by="anna", now=NOW, municipality_code="1780")
    need.cosign(org="hammaro", by="eva", now=NOW, municipality_code="1761")
    need.cosign(org="arvika", by="ola", now=NOW, municipality_code="1784")
    with pytest.raises(RuleConflict):
        need.cosign(org="hammaro", by="eva", now=NOW, municipality_code="1761")
    events = need.take_events()
    assert [type(e) for e in events] == [NeedCosigned, NeedCosigned]
    assert [e.organisations for e in events] == [2, 3]  # type: ignore[attr-defined]
    assert [e.version for e in events] == [2, 3]  # type: ignore[attr-defined]
    demand = need.demand()
    expected = sum(municipality(c).population for c in ("1780", "1761", "1784"))
    assert demand.organisations == 3 and demand.population == expected
    names = [municipality(c).name for c in demand.municipality_codes]
    assert names == ["Arvika", "Hammarö", "Karlstad"]
    assert need.cosigner_orgs() == ["arvika", "hammaro"]


def test_a_draft_cannot_be_cosigned() -> None:
    with pytest.raises(RuleConflict):
        draft().cosign(org="hammaro", by="eva", now=NOW, municipality_code=None)


def test_implementation_moves_from_procurement_and_records_an_adoption() -> None:
    need = published()
    with pytest.raises(IllegalPhaseMove):
        need.record_implementation(org="karlstad", by="anna", now=NOW, solution_id="s1")
    for phase in ("validation", "co-creation", "procurement"):
        need.move_to(phase, org="karlstad", by="anna", now=NOW, reason=None)
    need.take_events()
    need.record_implementation(org="karlstad", by="anna", now=NOW, solution_id="s1")
    changed, adoption = need.take_events()
    assert isinstance(changed, NeedPhaseChanged) and changed.to_phase == "implementation"
    assert isinstance(adoption, AdoptionRecorded)
    assert adoption.kind == "implementation" and adoption.municipality_code == "1780"
    assert need.phase == "implementation"
    with pytest.raises(RuleConflict):
        need.record_implementation(org="karlstad", by="anna", now=NOW, solution_id="s1")


def test_the_move_an_implementation_makes_carries_a_code_for_peoples_languages() -> None:
    need = published()
    for phase in ("validation", "co-creation", "procurement"):
        need.move_to(phase, org="karlstad", by="anna", now=NOW, reason=None)
    need.record_implementation(org="karlstad", by="anna", now=NOW, solution_id="s1")
    moved = need.history[-1]
    assert moved.reason == "implemented solution s1"  # English, for integrators
    assert (moved.reason_code, moved.reason_params) == ("implemented", {"solution_id": "s1"})
    assert need.history[1].reason_code is None  # a plain move has no code
    # An entry stored before reasons had codes gets it from the service's own reason.
    stored = HistoryEntry(NOW, "anna", "karlstad", "procurement", "implementation", moved.reason)
    assert (stored.reason_code, stored.reason_params) == ("implemented", {"solution_id": "s1"})
    typed = HistoryEntry(NOW, "anna", "karlstad", "scaling", "implementation", moved.reason)
    assert typed.reason_code is None  # a person's reason on a move back stays theirs


def test_an_adoption_names_only_an_own_or_cosigned_need() -> None:
    need = published()
    with pytest.raises(NotPermitted):
        Adoption.record(
            buyer_org="arvika", by="o", now=NOW, solution_id="s", need=need, municipality_code=None
        )
    adoption, event = Adoption.record(
        buyer_org="arvika", by="o", now=NOW, solution_id="s", need=None, municipality_code="1784"
    )
    assert event.kind == "adoption" and event.municipality_code == "1784"
    assert event.adoption_id == adoption.adoption_id and adoption.need_id is None


def test_swedish_text_terms_find_compound_parts_and_inflections() -> None:
    terms = index_terms(["Vårdpersonalsutbildningar i VR", "Digital ledsagning för äldre"])
    assert matches(terms, "utbildning")
    assert matches(terms, "Utbildningar vårdpersonal")
    assert matches(terms, "ledsagning äldre")
    assert matches(terms, "och utbildning")  # stopwords do not count
    assert not matches(terms, "snöröjning")
    assert query_terms("och i") == []
    assert "å" in "".join(index_terms(["Hållbar"]))
