"""A published need as Open Contracting (OCDS 1.1) releases: pure, no I/O.

One release per change of a published need, built from the need's state after the change
(a release repeats what is known, so the compiled record is the last state): `planning` on
publication, `planningUpdate` on an edit, a phase move, a co-signature or a withdrawal,
`award` when an implementation is recorded. A draft has no events and so no release.
The mapping, field by field, is in docs/ocds.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from marketplace_contracts.events import (
    AdoptionRecorded,
    NeedCosigned,
    NeedPhaseChanged,
    NeedPublished,
    NeedUpdated,
    NeedWithdrawn,
    OcdsReleased,
    Payload,
)
from marketplace_contracts.process import PHASES, phase_index
from marketplace_contracts.reference import label, municipality, nuts_code_of
from marketplace_contracts.wording import PHASE_NAMES, Lang, name_of

from .model import Need

Release = dict[str, Any]

OCID_PREFIX_RULE: Final = re.compile(r"ocds-[a-z0-9]{6}")
ORGANISATION_NUMBER_RULE: Final = re.compile(r"\d{6}-?\d{4}")
# org-id.guide's scheme for the Swedish Companies Registration Office (Bolagsverket), whose
# organisation numbers (organisationsnummer) cover municipalities and regions too.
SWEDISH_ORGANISATION_SCHEME: Final = "SE-BLV"

# The innovation phases as planning milestones: finding and testing the problem is
# pre-procurement work, validating it with users and creating with suppliers is engagement,
# procurement closes pre-procurement, and implementing and scaling deliver.
MILESTONE_TYPES: Final[dict[str, str]] = {
    "hypothesis": "preProcurement",
    "validation": "engagement",
    "co-creation": "engagement",
    "procurement": "preProcurement",
    "implementation": "delivery",
    "scaling": "delivery",
}
TAG_ORDER: Final = ("planning", "planningUpdate", "award")
COUNTRY: Final[dict[str, str]] = {"sv": "Sverige", "en": "Sweden"}


@dataclass(frozen=True)
class SolutionRef:
    """What the needs service knows of a solution (from the solutions topic)."""

    name: str
    supplier_org: str


@dataclass(frozen=True)
class OcdsMapping:
    """The publisher's choices: its registered ocid prefix and the organisation numbers it
    knows (organisation -> "212000-1744"), for the parties' identifiers."""

    ocid_prefix: str
    organisation_numbers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not OCID_PREFIX_RULE.fullmatch(self.ocid_prefix):
            raise ValueError(
                f"the OCDS ocid prefix must be 'ocds-' and six lowercase letters or digits "
                f"(as registered with the Open Contracting Partnership), not {self.ocid_prefix!r}"
            )
        for org, number in self.organisation_numbers.items():
            if not ORGANISATION_NUMBER_RULE.fullmatch(number):
                raise ValueError(
                    f"the organisation number of {org!r} must be ten digits "
                    f"(NNNNNN-NNNN), not {number!r}"
                )

    def ocid(self, need_id: str) -> str:
        return f"{self.ocid_prefix}-{need_id}"

    def party_id(self, org: str) -> str:
        number = self.organisation_numbers.get(org)
        return f"{SWEDISH_ORGANISATION_SCHEME}-{number.replace('-', '')}" if number else org


def release_tags(events: Iterable[Payload]) -> list[str]:
    """The OCDS tags of the events one change of a need caused (none: no release)."""
    tags: set[str] = set()
    for event in events:
        if isinstance(event, NeedPublished):
            tags.add("planning")
        elif isinstance(event, NeedUpdated | NeedPhaseChanged | NeedCosigned | NeedWithdrawn):
            tags.add("planningUpdate")
        elif isinstance(event, AdoptionRecorded) and event.kind == "implementation":
            tags.add("award")
    if "planning" in tags:
        tags.discard("planningUpdate")  # publishing is the first release
    return [t for t in TAG_ORDER if t in tags]


def released(
    need: Need,
    events: list[Payload],
    *,
    at: datetime,
    mapping: OcdsMapping,
    solution: Callable[[str], SolutionRef | None],
) -> OcdsReleased | None:
    """The release of one change of a published need (the events it caused), or None when
    the change is none that OCDS reports (a draft's, for one)."""
    tags = release_tags(events)
    if not tags or not need.is_published:
        return None
    release_id = f"{need.id}-v{need.version}"
    if "award" in tags:
        # An implementation in a later phase moves no version: tell the awards apart.
        release_id += f"-award{len(need.implementations)}"
    release = build_release(need, tags, release_id, at=at, mapping=mapping, solution=solution)
    return OcdsReleased(
        need_id=need.id,
        ocid=release["ocid"],
        release_id=release_id,
        date=at,
        release=release,
    )


def build_release(
    need: Need,
    tags: list[str],
    release_id: str,
    *,
    at: datetime,
    mapping: OcdsMapping,
    solution: Callable[[str], SolutionRef | None],
) -> Release:
    lang: Lang = "en" if need.language == "en" else "sv"
    buyer = _party(mapping, need.buyer_org, ["buyer"], need.municipality_code, lang)
    parties = [buyer]
    for cosigner in need.cosigners:
        # A co-signer has the same need and joins its demand: OCDS's nearest role.
        parties.append(
            _party(mapping, cosigner.org, ["interestedParty"], cosigner.municipality_code, lang)
        )
    awards = []
    for implementation in need.implementations:
        ref = solution(implementation.solution_id)
        award: Release = {
            "id": implementation.adoption_id,
            "status": "active",
            "date": ocds_date(implementation.at),
            "title": ref.name if ref else implementation.solution_id,
        }
        if ref is not None:
            supplier_id = mapping.party_id(ref.supplier_org)
            award["suppliers"] = [{"id": supplier_id, "name": ref.supplier_org}]
            if all(p["id"] != supplier_id for p in parties):
                parties.append(_party(mapping, ref.supplier_org, ["supplier"], None, lang))
            else:
                _add_role(parties, supplier_id, "supplier")
        awards.append(award)

    planning: Release = {
        "rationale": need.problem,
        "milestones": _milestones(need, lang),
    }
    if need.budget_sek is not None:
        planning["budget"] = {"amount": {"amount": need.budget_sek, "currency": "SEK"}}
    tender: Release = {
        "id": need.id,
        "title": need.title,
        "description": _description(need),
        "status": _tender_status(need),
        "items": [
            {
                "id": code,
                "description": label(code, lang),
                "classification": {"scheme": "CPV", "id": code, "description": label(code, lang)},
            }
            for code in need.cpv_codes
        ],
        "deliveryAddresses": [_address(need.municipality_code, lang)],
    }
    release: Release = {
        "ocid": mapping.ocid(need.id),
        "id": release_id,
        "date": ocds_date(at),
        "tag": tags,
        "initiationType": "tender",
        "language": lang,
        "buyer": {"id": buyer["id"], "name": buyer["name"]},
        "parties": parties,
        "planning": planning,
        "tender": tender,
    }
    if awards:
        release["awards"] = awards
    return release


def ocds_date(at: datetime) -> str:
    """A date as OCDS writes it: ISO 8601 in UTC ("2026-12-03T17:43:00Z")."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _address(municipality_code: str, lang: Lang) -> Release:
    address: Release = {
        "locality": municipality(municipality_code).name,
        "countryName": COUNTRY[lang],
    }
    nuts = nuts_code_of(municipality_code)
    if nuts:
        address["region"] = nuts  # the NUTS-3 code of the municipality's county
    return address


def _party(
    mapping: OcdsMapping, org: str, roles: list[str], municipality_code: str | None, lang: Lang
) -> Release:
    party: Release = {"id": mapping.party_id(org), "name": org, "roles": roles}
    number = mapping.organisation_numbers.get(org)
    if number:
        party["identifier"] = {
            "scheme": SWEDISH_ORGANISATION_SCHEME,
            "id": number.replace("-", ""),
            "legalName": org,
        }
    if municipality_code:
        party["address"] = _address(municipality_code, lang)
    return party


def _add_role(parties: list[Release], party_id: str, role: str) -> None:
    for party in parties:
        if party["id"] == party_id and role not in party["roles"]:
            party["roles"] = [*party["roles"], role]


def _description(need: Need) -> str:
    parts = [need.problem]
    if need.desired_outcomes:
        parts.append("\n".join(f"- {o}" for o in need.desired_outcomes))
    if need.target_group:
        parts.append(need.target_group)
    return "\n\n".join(parts)


def _tender_status(need: Need) -> str:
    if need.status == "withdrawn":
        return "cancelled"
    if need.implementations:
        return "complete"
    return "planning"


def _milestones(need: Need, lang: Lang) -> list[Release]:
    """Each innovation phase as a milestone: met when the need reached it (the last time it
    entered it), scheduled while it is ahead (again, after a move back)."""
    entered: dict[str, datetime] = {}
    for entry in need.history:
        entered[entry.to_phase] = entry.at
    if need.published_at is not None and "hypothesis" not in entered:
        entered["hypothesis"] = need.published_at
    current = phase_index(_active_phase(need))
    out = []
    for phase in PHASES:
        milestone: Release = {
            "id": phase,
            "title": name_of(PHASE_NAMES, phase, lang),
            "type": MILESTONE_TYPES[phase],
        }
        if phase_index(phase) <= current and phase in entered:
            milestone["status"] = "met"
            milestone["dateMet"] = ocds_date(entered[phase])
        else:
            milestone["status"] = "scheduled"
        out.append(milestone)
    return out


def _active_phase(need: Need) -> str:
    """The phase of an active need; of a withdrawn one, the phase it was withdrawn from."""
    if need.phase in PHASES:
        return need.phase
    for entry in reversed(need.history):
        if entry.to_phase == "withdrawn" and entry.from_phase in PHASES:
            return entry.from_phase
    return PHASES[0]
