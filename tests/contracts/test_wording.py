"""Match reasons in people's words: made from each reason's code and values, in Swedish and
English, the same for every reason the matching service gives."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace_contracts.wording import (
    entry_heading,
    entry_kind,
    history_note,
    inhabitants,
    organisations,
    render_reason,
    used_by,
)
from matching.domain.model import NeedProfile, SolutionProfile, SubscriptionProfile
from matching.domain.solution_index import SolutionIndex
from matching.domain.subscriptions import SubscriptionIndex
from matching.service.engine import contract_reasons


def reason(code: str, **params: Any) -> dict[str, Any]:
    return {
        "component": code.split(".", maxsplit=1)[0],
        "score": 1.0,
        "detail": "x",
        "code": code,
        "params": params,
    }


@pytest.mark.parametrize(
    ("given", "sv", "en"),
    [
        (
            reason("cpv.shared", level="group", prefix="805"),
            "Samma CPV-grupp: 805 Utbildningstjänster",
            "Same CPV group: 805 Training services",
        ),
        (reason("cpv.none"), "Ingen gemensam CPV-kod", "No CPV code in common"),
        (
            reason("text.terms", terms=["vårdpersonal", "utbildning ≈ training"]),
            "Gemensamma ord: vårdpersonal, utbildning ≈ training",
            "Words in common: vårdpersonal, utbildning ≈ training",
        ),
        (
            reason("region.country", place="SE"),
            "Finns i hela Sverige",
            "Available in all of Sweden",
        ),
        (
            reason("region.county", place="17"),
            "Finns i Värmlands län",
            "Available in Värmlands län",
        ),
        (reason("region.none", place="1780"), "Finns inte i Karlstad", "Not available in Karlstad"),
        (
            reason("fit", maturity="market-ready", phase="hypothesis", verdict="fits"),
            "Lösningens mognad (marknadsmogen) passar behovets fas (hypotes)",
            "The solution's maturity (market-ready) fits the need's phase (hypothesis)",
        ),
        (
            reason("tags.shared", tags=["gender-equality"]),
            "Uppfyller kraven: Jämställd upphandling",
            "Meets the requirements: Gender-equal procurement",
        ),
        (
            reason("social_proof", adoptions=0),
            "Används inte någonstans ännu",
            "Not in use anywhere yet",
        ),
        (
            reason("social_proof", adoptions=1),
            "Används redan av 1 organisation",
            "Already used by 1 organisation",
        ),
        (
            reason("social_proof", adoptions=26),
            "Används redan av 26 organisationer",
            "Already used by 26 organisations",
        ),
        (reason("subscription.all"), "Bevakar alla behov", "Watches every need"),
    ],
)
def test_each_reason_reads_in_plain_swedish_and_english(
    given: dict[str, Any], sv: str, en: str
) -> None:
    assert render_reason(given, "sv") == sv
    assert render_reason(given, "en") == en


def test_a_reason_stored_before_codes_keeps_its_detail() -> None:
    old = {"component": "cpv", "score": 0.3, "detail": "CPV division 85"}
    assert render_reason(old, "sv") == "CPV division 85"


def test_singular_and_plural() -> None:
    assert organisations(1, "sv") == "1 organisation"
    assert organisations(2, "sv") == "2 organisationer"
    assert organisations(2, "en") == "2 organisations"
    assert inhabitants(1, "en") == "1 inhabitant" and inhabitants(2, "en") == "2 inhabitants"
    assert inhabitants(97000, "sv", "97 000") == "97 000 invånare"
    assert used_by(1, "sv") == "Används av 1 organisation"
    assert used_by(27, "en") == "Used by 27 organisations"


def test_inbox_entries_are_named_and_headed_from_their_data() -> None:
    found = {"kind": "match.found", "title": "Your solution 'X' fits the need 'Y'"}
    found["data"] = {"solution_name": "X", "need_title": "Y"}  # type: ignore[assignment]
    assert entry_heading(found, "sv") == "Er lösning X passar behovet Y"
    assert entry_kind("alert.raised", "sv") == "Bevakning"
    assert entry_kind("scaling", "en") == "Scaling opportunity"
    buyer = {"kind": "match", "solution_name": "X", "need_title": "Y"}
    assert entry_heading(buyer, "en") == "X fits your need Y"
    # Without the names it needs, an entry keeps the service's title.
    assert entry_heading({"kind": "match.found", "title": "T", "data": {}}, "sv") == "T"


def test_a_history_note_names_the_solution_and_keeps_a_persons_reason() -> None:
    moved = {
        "reason": "implemented solution s1",
        "reason_code": "implemented",
        "reason_params": {"solution_id": "s1"},
    }
    named = {"s1": {"name": "ViroteaED", "supplier_org": "virotea"}}
    assert history_note(moved, "sv", named) == "Implementerade ViroteaED från virotea"
    assert history_note(moved, "en", named) == "Implemented ViroteaED by virotea"
    assert history_note(moved, "sv") == "En lösning implementerades"  # no id shown
    assert history_note({"reason": "nya insikter"}, "en") == "nya insikter"


def test_every_reason_matching_gives_has_a_code_that_is_rendered() -> None:
    # Whatever matching says, a person reads words of their own language, never the
    # English detail or a component name.
    index = SolutionIndex()
    index.upsert(
        SolutionProfile(
            solution_id="s1",
            supplier_org="virotea",
            name="VR-utbildning för vårdpersonal",
            description="Vårdpersonal tränar bemötande i virtuell verklighet.",
            cpv_codes=("80500000",),
            regions=("17",),
            maturity="pilot",
            tags=frozenset({"gender-equality"}),
            adoption_count=3,
        )
    )
    need = NeedProfile(
        need_id="n1",
        buyer_org="karlstad",
        title="Utbildning för vårdpersonal",
        problem="Personalen behöver träna bemötande.",
        cpv_codes=("80510000",),
        municipality_code="1780",
        tags=frozenset({"gender-equality", "social-enterprise"}),
    )
    [found] = index.rank(need, k=1, threshold=0)
    subs = SubscriptionIndex()
    subs.upsert(
        SubscriptionProfile(
            subscription_id="sub",
            supplier_org="virotea",
            cpv_prefixes=("805",),
            regions=("17",),
            keywords=("vårdpersonal",),
            phases=frozenset({"hypothesis"}),
        )
    )
    [(_, alert_reasons)] = subs.matching(need)
    for r in contract_reasons((*found.reasons, *alert_reasons)):
        given = r.model_dump()
        assert r.code, r
        for lang in ("sv", "en"):
            said = render_reason(given, lang)  # type: ignore[arg-type]
            assert said and said != r.detail, (r, lang)
    said = [render_reason(r.model_dump(), "sv") for r in contract_reasons(found.reasons)]
    assert "Samma CPV-grupp: 805 Utbildningstjänster" in said
    assert "Används redan av 3 organisationer" in said
