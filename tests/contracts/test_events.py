"""Event contracts: JSON round trips, tolerance of newer minor payloads, additivity of v1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from marketplace_contracts import events as ev
from marketplace_contracts.topics import SPECS_BY_NAME, Topics
from marketplace_tools.docs import event_schemas

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "events"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
REASON = ev.MatchReason(component="cpv", score=0.8, detail="CPV group 805")

SAMPLES: list[ev.Payload] = [
    ev.NeedPublished(
        need_id="n1",
        version=1,
        buyer_org="karlstad",
        title="VR-utbildning för vårdpersonal",
        problem="Vårdpersonal behöver öva svåra situationer",
        cpv_codes=["80500000"],
        municipality_code="1780",
        phase="hypothesis",
        tags=["gender-equality"],
    ),
    ev.NeedUpdated(
        need_id="n1",
        version=2,
        buyer_org="karlstad",
        title="t",
        problem="p",
        cpv_codes=["80500000"],
        municipality_code="1780",
        phase="validation",
    ),
    ev.NeedPhaseChanged(
        need_id="n1",
        version=3,
        buyer_org="karlstad",
        from_phase="validation",
        to_phase="hypothesis",
        reason="needs more user insight",
        changed_by="karlstad:buyer",
    ),
    ev.NeedCosigned(
        need_id="n1",
        version=4,
        buyer_org="karlstad",
        cosigner_org="hammaro",
        cosigner_municipality_code="1761",
        organisations=2,
    ),
    ev.NeedWithdrawn(need_id="n1", version=5, buyer_org="karlstad", reason="solved"),
    ev.SolutionPublished(
        solution_id="s1",
        version=1,
        supplier_org="virotea",
        name="ViroteaED",
        description="VR-träning för vård och omsorg",
        cpv_codes=["80500000"],
        regions=["SE"],
        maturity="market-ready",
    ),
    ev.SolutionUpdated(
        solution_id="s1",
        version=2,
        supplier_org="virotea",
        name="ViroteaED",
        description="d",
        cpv_codes=["80500000"],
        regions=["SE"],
        maturity="market-ready",
        adoption_count=3,
    ),
    ev.SolutionRetired(solution_id="s1", version=3, supplier_org="virotea"),
    ev.SubscriptionUpserted(
        subscription_id="sub1",
        version=1,
        supplier_org="virotea",
        cpv_prefixes=["805"],
        regions=["17"],
        keywords=["vr"],
        phases=["validation"],
    ),
    ev.SubscriptionDeleted(subscription_id="sub1", version=2, supplier_org="virotea"),
    ev.AdoptionRecorded(
        adoption_id="a1",
        solution_id="s1",
        buyer_org="karlstad",
        municipality_code="1780",
        need_id="n1",
        kind="implementation",
        recorded_at=NOW,
    ),
    ev.MatchFound(
        match_id=ev.deterministic_id("n1", "s1"),
        need_id="n1",
        need_version=1,
        need_title="t",
        buyer_org="karlstad",
        solution_id="s1",
        solution_version=1,
        solution_name="ViroteaED",
        supplier_org="virotea",
        score=0.72,
        reasons=[REASON],
    ),
    ev.AlertRaised(
        alert_id="al1",
        subscription_id="sub1",
        supplier_org="virotea",
        need_id="n1",
        need_version=1,
        need_title="t",
        buyer_org="karlstad",
        municipality_code="1780",
        phase="validation",
        reasons=[REASON],
    ),
    ev.ScalingOpportunity(
        opportunity_id="o1",
        buyer_org="arvika",
        need_id="n9",
        need_title="t",
        solution_id="s1",
        solution_name="ViroteaED",
        supplier_org="virotea",
        adoption_count=2,
        deployments=[ev.Deployment(buyer_org="karlstad", municipality_code="1780")],
        score=0.6,
        reasons=[REASON],
        triggered_by="a1",
    ),
    ev.OcdsReleased(
        need_id="n1",
        ocid="ocds-abc123-n1",
        release_id="n1-v1",
        date=NOW,
        release={"ocid": "ocds-abc123-n1", "id": "n1-v1", "tag": ["planning"]},
    ),
]


def test_every_event_type_has_a_sample_and_a_topic() -> None:
    assert {type(s).event_type for s in SAMPLES} == set(ev.EVENT_TYPES)
    for payload_type in ev.EVENT_TYPES.values():
        assert payload_type.topic in SPECS_BY_NAME


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda p: type(p).event_type)
def test_every_event_round_trips_through_json(payload: ev.Payload) -> None:
    envelope = ev.envelope(payload, source="/marketplace/test", correlation_id="c-1")
    wire = envelope.model_dump_json()
    back = ev.CloudEvent.model_validate_json(wire)
    assert back == envelope
    assert back.specversion == "1.0" and back.type == payload.event_type
    assert back.subject == payload.partition_key() == back.partitionkey
    assert back.payload() == payload


def test_unknown_fields_of_a_newer_minor_payload_are_tolerated() -> None:
    envelope = ev.envelope(SAMPLES[0], source="/marketplace/test")
    raw = json.loads(envelope.model_dump_json())
    raw["data"]["introduced_later"] = {"anything": [1, 2]}
    raw["newattribute"] = "extension attributes are allowed by CloudEvents"
    parsed = ev.CloudEvent.model_validate(raw).payload()
    assert parsed == SAMPLES[0]


def test_a_payload_violating_its_schema_is_refused_with_the_field_named() -> None:
    envelope = ev.envelope(SAMPLES[0], source="/marketplace/test")
    raw = json.loads(envelope.model_dump_json())
    raw["data"]["version"] = 0
    with pytest.raises(ValidationError) as info:
        ev.CloudEvent.model_validate(raw).payload()
    assert "version" in str(info.value)


def test_an_unknown_event_type_is_refused() -> None:
    envelope = ev.envelope(SAMPLES[0], source="/marketplace/test")
    raw = json.loads(envelope.model_dump_json()) | {"type": "need.teleported.v1"}
    with pytest.raises(ev.UnknownEventType):
        ev.CloudEvent.model_validate(raw).payload()


def test_deterministic_ids_are_stable_and_distinct() -> None:
    assert ev.deterministic_id("n1", "s1") == ev.deterministic_id("n1", "s1")
    assert ev.deterministic_id("n1", "s1") != ev.deterministic_id("s1", "n1")
    assert ev.deterministic_id("a", "bc") != ev.deterministic_id("ab", "c")


def test_topics_have_dead_letter_twins() -> None:
    topics = Topics("marketplace")
    names = [name for name, _ in topics.all_with_specs()]
    assert "marketplace.solutions" in names and "marketplace.solutions.dlq" in names
    assert dict(topics.all_with_specs())["marketplace.solutions"].compacted
    assert not dict(topics.all_with_specs())["marketplace.needs"].compacted


# --- additivity of v1 -----------------------------------------------------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(root["$defs"][ref.split("/")[-1]], root)
    return schema


def additivity_problems(
    old: dict[str, Any],
    new: dict[str, Any],
    path: str = "",
    old_root: dict[str, Any] | None = None,
    new_root: dict[str, Any] | None = None,
) -> list[str]:
    """What a change removed or tightened: fields gone, types changed, new required fields."""
    old_root, new_root = old_root or old, new_root or new
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    if old.get("type") != new.get("type"):
        problems.append(f"{path or '.'}: type {old.get('type')} became {new.get('type')}")
    if "enum" in old and not set(old["enum"]) <= set(new.get("enum", old["enum"])):
        problems.append(f"{path}: enum values removed")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: removed")
        else:
            problems += additivity_problems(
                sub, new_props[name], f"{path}.{name}", old_root, new_root
            )
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(added_required):
        problems.append(f"{path}.{name}: newly required")
    if "items" in old and "items" in new:
        problems += additivity_problems(old["items"], new["items"], f"{path}[]", old_root, new_root)
    return problems


def test_the_additivity_check_catches_breaking_changes() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert additivity_problems(old, old) == []
    added_optional = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a"],
    }
    assert additivity_problems(old, added_optional) == []
    assert additivity_problems(old, {"type": "object", "properties": {}}) == [".a: removed"]
    retyped = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    assert additivity_problems(old, retyped) == [".a: type string became integer"]
    newly_required = dict(added_optional, required=["a", "b"])
    assert additivity_problems(old, newly_required) == [".b: newly required"]


@pytest.mark.parametrize("event_type", sorted(event_schemas()))
def test_v1_events_change_only_additively(event_type: str) -> None:
    committed = SCHEMA_DIR / f"{event_type}.schema.json"
    assert committed.exists(), f"run `make docs` and commit {committed.name}"
    old = json.loads(committed.read_text())
    assert additivity_problems(old, event_schemas()[event_type]) == []
