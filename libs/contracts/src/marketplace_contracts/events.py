"""Event contracts: CloudEvents 1.0 envelopes around pydantic-validated payloads.

Content mode on Kafka is *structured*: the whole envelope (attributes and `data`) is the
JSON record value, with the Kafka header ``content-type: application/cloudevents+json``.
Structured mode keeps an event self-contained (a dead letter, a compacted record or a
copy in a log still carries its id, type and time), lets one pydantic model validate the
whole record, and lets FastStream publish the full envelope schema in AsyncAPI. The record
key is the aggregate id (the CloudEvents Kafka ``partitionkey``), so that an aggregate's
events stay in order on one partition.

Versioning: the type names its version (``need.published.v1``). Within a version changes
are additive only (new optional fields); payload models ignore unknown fields so that an
older consumer tolerates a newer minor payload. ``tests/contracts`` checks additivity
against the JSON Schemas kept under ``docs/events``.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

# The process's words, kept where importing them costs nothing; re-exported here.
from .vocabulary import Maturity as Maturity  # noqa: PLC0414 - re-exported
from .vocabulary import Phase as Phase  # noqa: PLC0414 - re-exported

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    return str(uuid.uuid4())


def deterministic_id(*parts: str) -> str:
    """An id derived from its parts, so that a replay re-creates the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return str(uuid.UUID(digest[:32]))


class Payload(BaseModel):
    """Base of every event payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]

    def partition_key(self) -> str:
        raise NotImplementedError


# --- needs ------------------------------------------------------------------------------


class NeedState(Payload):
    """The full public state of a need: carried by need.published and need.updated."""

    need_id: str
    version: int = Field(ge=1)
    buyer_org: str
    title: str
    problem: str
    desired_outcomes: list[str] = []
    target_group: str | None = None
    cpv_codes: list[str]
    municipality_code: str
    tags: list[str] = []
    language: str = "sv"
    phase: Phase
    cosigner_orgs: list[str] = []
    budget_sek: int | None = None
    timeline: str | None = None
    # When the need was first published; lets every reader order the list the same way.
    published_at: datetime | None = None

    topic: ClassVar[str] = "needs"

    def partition_key(self) -> str:
        return self.need_id


class NeedPublished(NeedState):
    event_type: ClassVar[str] = "need.published.v1"


class NeedUpdated(NeedState):
    event_type: ClassVar[str] = "need.updated.v1"


class NeedPhaseChanged(Payload):
    event_type: ClassVar[str] = "need.phase-changed.v1"
    topic: ClassVar[str] = "needs"

    need_id: str
    version: int = Field(ge=1)
    buyer_org: str
    from_phase: Phase
    to_phase: Phase
    reason: str | None = None
    changed_by: str

    def partition_key(self) -> str:
        return self.need_id


class NeedCosigned(Payload):
    event_type: ClassVar[str] = "need.cosigned.v1"
    topic: ClassVar[str] = "needs"

    need_id: str
    version: int = Field(ge=1)
    buyer_org: str
    cosigner_org: str
    cosigner_municipality_code: str | None = None
    organisations: int = Field(ge=1, description="organisations behind the need, owner included")

    def partition_key(self) -> str:
        return self.need_id


class NeedWithdrawn(Payload):
    event_type: ClassVar[str] = "need.withdrawn.v1"
    topic: ClassVar[str] = "needs"

    need_id: str
    version: int = Field(ge=1)
    buyer_org: str
    reason: str | None = None

    def partition_key(self) -> str:
        return self.need_id


# --- solutions --------------------------------------------------------------------------


class SolutionState(Payload):
    """The full public state of a solution: the latest one per key is the compacted state."""

    solution_id: str
    version: int = Field(ge=1)
    supplier_org: str
    name: str
    description: str
    cpv_codes: list[str]
    regions: list[str]
    maturity: Maturity
    tags: list[str] = []
    price_model: str | None = None
    languages: list[str] = []
    adoption_count: int = 0

    topic: ClassVar[str] = "solutions"

    def partition_key(self) -> str:
        return self.solution_id


class SolutionPublished(SolutionState):
    event_type: ClassVar[str] = "solution.published.v1"


class SolutionUpdated(SolutionState):
    event_type: ClassVar[str] = "solution.updated.v1"


class SolutionRetired(Payload):
    event_type: ClassVar[str] = "solution.retired.v1"
    topic: ClassVar[str] = "solutions"

    solution_id: str
    version: int = Field(ge=1)
    supplier_org: str

    def partition_key(self) -> str:
        return self.solution_id


# --- subscriptions ----------------------------------------------------------------------


class SubscriptionUpserted(Payload):
    event_type: ClassVar[str] = "subscription.upserted.v1"
    topic: ClassVar[str] = "subscriptions"

    subscription_id: str
    version: int = Field(ge=1)
    supplier_org: str
    cpv_prefixes: list[str] = []
    regions: list[str] = []
    keywords: list[str] = []
    phases: list[Phase] = []

    def partition_key(self) -> str:
        return self.subscription_id


class SubscriptionDeleted(Payload):
    event_type: ClassVar[str] = "subscription.deleted.v1"
    topic: ClassVar[str] = "subscriptions"

    subscription_id: str
    version: int = Field(ge=1)
    supplier_org: str

    def partition_key(self) -> str:
        return self.subscription_id


# --- adoptions --------------------------------------------------------------------------


class AdoptionRecorded(Payload):
    """A buyer implemented (first customer) or joined (adopted) a solution."""

    event_type: ClassVar[str] = "adoption.recorded.v1"
    topic: ClassVar[str] = "adoptions"

    adoption_id: str
    solution_id: str
    buyer_org: str
    municipality_code: str | None = None
    need_id: str | None = None
    kind: Literal["implementation", "adoption"]
    recorded_at: datetime

    def partition_key(self) -> str:
        # Keyed by solution: a solution's adoptions arrive in order, so counts only grow.
        return self.solution_id


# --- matching outputs -------------------------------------------------------------------


class MatchReason(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    component: str
    score: float
    detail: str = Field(description="in English, for integrators")
    code: str | None = Field(
        default=None,
        description="what the reason says, stable (e.g. `cpv.shared`, `social_proof`): "
        "with `params` it is rendered in the reader's language "
        "(`marketplace_contracts.wording.render_reason`); absent on older events",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="the reason's values (e.g. `level` and `prefix` of a shared CPV code)",
    )


class MatchFound(Payload):
    event_type: ClassVar[str] = "match.found.v1"
    topic: ClassVar[str] = "matches"

    match_id: str = Field(description="derived from need_id and solution_id")
    need_id: str
    need_version: int
    need_title: str
    buyer_org: str
    solution_id: str
    solution_version: int
    solution_name: str
    supplier_org: str
    score: float = Field(ge=0, le=1)
    reasons: list[MatchReason]

    def partition_key(self) -> str:
        return self.need_id


class AlertRaised(Payload):
    event_type: ClassVar[str] = "alert.raised.v1"
    topic: ClassVar[str] = "alerts"

    alert_id: str = Field(description="derived from subscription_id and need_id")
    subscription_id: str
    supplier_org: str
    need_id: str
    need_version: int
    need_title: str
    buyer_org: str
    municipality_code: str
    phase: Phase
    reasons: list[MatchReason]

    def partition_key(self) -> str:
        return self.supplier_org


class Deployment(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    buyer_org: str
    municipality_code: str | None = None


class ScalingOpportunity(Payload):
    event_type: ClassVar[str] = "scaling.opportunity.v1"
    topic: ClassVar[str] = "scaling"

    opportunity_id: str = Field(
        description="derived from buyer_org and solution_id: one opportunity per buyer and "
        "solution, told again (same id, a new event) when adoption_count grows"
    )
    buyer_org: str
    need_id: str
    need_title: str
    solution_id: str
    solution_name: str
    supplier_org: str
    adoption_count: int = Field(ge=1, description="organisations already using the solution")
    deployments: list[Deployment]
    score: float = Field(ge=0, le=1)
    reasons: list[MatchReason]
    triggered_by: str = Field(description="the adoption_id that led to this opportunity")

    def partition_key(self) -> str:
        return self.buyer_org


# --- open data --------------------------------------------------------------------------


class OcdsReleased(Payload):
    """An Open Contracting (OCDS 1.1) release of a published need, as the needs service
    built it when the need changed: integrators mirror the `ocds` topic, and the needs
    service keeps the releases it serves as open data from it."""

    event_type: ClassVar[str] = "ocds.released.v1"
    topic: ClassVar[str] = "ocds"

    need_id: str
    ocid: str = Field(description="the configured OCDS prefix and the need's id")
    release_id: str = Field(description="unique within the ocid; a replay repeats it")
    date: datetime
    release: dict[str, Any] = Field(description="the OCDS release, valid against 1.1.5")

    def partition_key(self) -> str:
        return self.need_id


PAYLOAD_TYPES: tuple[type[Payload], ...] = (
    NeedPublished,
    NeedUpdated,
    NeedPhaseChanged,
    NeedCosigned,
    NeedWithdrawn,
    SolutionPublished,
    SolutionUpdated,
    SolutionRetired,
    SubscriptionUpserted,
    SubscriptionDeleted,
    AdoptionRecorded,
    MatchFound,
    AlertRaised,
    ScalingOpportunity,
    OcdsReleased,
)
EVENT_TYPES: dict[str, type[Payload]] = {p.event_type: p for p in PAYLOAD_TYPES}


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 envelope in structured mode; `data` is validated by its type."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    time: datetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    partitionkey: str | None = None
    correlationid: str | None = None
    data: dict[str, Any]

    def payload(self) -> Payload:
        """The typed payload; raises UnknownEventType or pydantic.ValidationError."""
        model = EVENT_TYPES.get(self.type)
        if model is None:
            raise UnknownEventType(self.type)
        return model.model_validate(self.data)


class UnknownEventType(ValueError):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


def envelope(
    payload: Payload,
    *,
    source: str,
    event_id: str | None = None,
    correlation_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent:
    return CloudEvent(
        id=event_id or new_event_id(),
        source=source,
        type=payload.event_type,
        time=time or utc_now(),
        subject=payload.partition_key(),
        partitionkey=payload.partition_key(),
        correlationid=correlation_id,
        data=payload.model_dump(mode="json"),
    )
