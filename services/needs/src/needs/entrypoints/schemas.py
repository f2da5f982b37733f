"""Request and response models of the HTTP API, with the examples OpenAPI shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from marketplace_contracts.events import Phase
from marketplace_contracts.reference import InvalidCpvCode, UnknownCpvCode, known_cpv

from ..domain.errors import InvalidInput
from ..domain.model import check_municipality, normalize_cpv_codes

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


def _known_cpv(value: str) -> str:
    try:
        return known_cpv(value)
    except (InvalidCpvCode, UnknownCpvCode) as exc:
        raise ValueError(str(exc)) from None


# Checked one by one, so that an error names its item ("cpv_codes.2").
CpvCodeIn = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=12), AfterValidator(_known_cpv)
]
MunicipalityCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)]

NEED_EXAMPLE: dict[str, Any] = {
    "title": "Träning för vårdpersonal i svåra situationer",
    "problem": "Vårdpersonalen saknar ett säkert sätt att öva bemötande av personer med "
    "demens innan de möter verkligheten.",
    "desired_outcomes": ["Tryggare personal", "Färre incidenter"],
    "target_group": "vårdpersonal",
    "cpv_codes": ["80500000-9"],
    "municipality_code": "1780",
    "tags": ["sustainability", "gender-equality"],
    "language": "sv",
    "budget_sek": 500000,
    "timeline": "2025 Q3 - 2026 Q2",
}


def _cpv(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    try:
        return normalize_cpv_codes(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


def _municipality(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_municipality(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


class StrictModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class NeedFields(StrictModel):
    desired_outcomes: list[ShortText] = Field(default_factory=list, max_length=20)
    target_group: ShortText | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    language: Literal["sv", "en"] = "sv"
    budget_sek: int | None = Field(None, ge=0, le=10**12)
    timeline: ShortText | None = None


class NeedCreate(NeedFields):
    model_config = ConfigDict(json_schema_extra={"examples": [NEED_EXAMPLE]})

    title: Title
    problem: LongText
    cpv_codes: list[CpvCodeIn] = Field(min_length=1, max_length=20)
    municipality_code: MunicipalityCode

    _check_cpv = field_validator("cpv_codes")(_cpv)
    _check_municipality = field_validator("municipality_code")(_municipality)


class NeedPatch(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"title": "Ny titel", "tags": ["social-enterprise"]}]}
    )

    title: Title | None = None
    problem: LongText | None = None
    desired_outcomes: list[ShortText] | None = Field(None, max_length=20)
    target_group: ShortText | None = None
    cpv_codes: list[CpvCodeIn] | None = Field(None, min_length=1, max_length=20)
    municipality_code: MunicipalityCode | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    language: Literal["sv", "en"] | None = None
    budget_sek: int | None = Field(None, ge=0, le=10**12)
    timeline: ShortText | None = None

    _check_cpv = field_validator("cpv_codes")(_cpv)
    _check_municipality = field_validator("municipality_code")(_municipality)


class PhaseMove(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"phase": "validation", "reason": "Users confirmed the problem"}]
        }
    )

    phase: Phase
    reason: Reason | None = None


class Withdrawal(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Solved in-house"}]})

    reason: Reason | None = None


class Cosign(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"municipality_code": "1761"}]})

    municipality_code: MunicipalityCode | None = None

    _check_municipality = field_validator("municipality_code")(_municipality)


class ImplementationIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"solution_id": "sol-123"}]})

    solution_id: Id


class AdoptionIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"solution_id": "sol-123", "need_id": None, "municipality_code": "1761"}]
        }
    )

    solution_id: Id
    need_id: Id | None = None
    municipality_code: MunicipalityCode | None = None

    _check_municipality = field_validator("municipality_code")(_municipality)


# --- responses --------------------------------------------------------------------------


class HistoryOut(BaseModel):
    at: datetime
    by: str
    org: str
    from_phase: str | None
    to_phase: str
    reason: str | None = Field(description="why, in English or as the buyer wrote it")
    reason_code: str | None = Field(
        default=None,
        description="set when the service wrote the reason, for rendering it in other "
        'languages: "implemented" (the need moved on by an implementation)',
    )
    reason_params: dict[str, str] = Field(
        default_factory=dict,
        description='the reason\'s parameters: {"solution_id": ...} for "implemented"',
    )


class CosignerOut(BaseModel):
    org: str
    municipality_code: str | None
    municipality_name: str | None
    cosigned_at: datetime


class DemandOut(BaseModel):
    organisations: int = Field(description="organisations behind the need, owner included")
    population: int = Field(description="inhabitants of their municipalities, counted once")
    municipalities: list[str] = Field(description="municipality names, in Swedish order")


class ImplementationOut(BaseModel):
    solution_id: str
    adoption_id: str
    by: str
    at: datetime


class NeedOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **NEED_EXAMPLE,
                    "id": "5f0c7a4e-3b1d-4c47-9f51-0a8c1c0f1e11",
                    "buyer_org": "karlstad",
                    "cpv_codes": ["80500000"],
                    "municipality_name": "Karlstad",
                    "county_code": "17",
                    "phase": "validation",
                    "status": "published",
                    "version": 3,
                    "allowed_moves": ["hypothesis", "co-creation", "withdrawn"],
                    "cosigners": [
                        {
                            "org": "hammaro",
                            "municipality_code": "1761",
                            "municipality_name": "Hammarö",
                            "cosigned_at": "2025-03-02T09:00:00Z",
                        }
                    ],
                    "demand": {
                        "organisations": 2,
                        "population": 113000,
                        "municipalities": ["Hammarö", "Karlstad"],
                    },
                    "history": [],
                    "implementations": [],
                    "created_at": "2025-03-01T09:00:00Z",
                    "updated_at": "2025-03-02T09:00:00Z",
                    "published_at": "2025-03-01T10:00:00Z",
                }
            ]
        }
    )

    id: str
    buyer_org: str
    title: str
    problem: str
    desired_outcomes: list[str]
    target_group: str | None
    cpv_codes: list[str]
    municipality_code: str
    municipality_name: str
    county_code: str
    nuts_code: str | None = Field(
        default=None, description="NUTS-3 code of the need's county (e.g. 'SE311' for Värmland)"
    )
    tags: list[str]
    language: str
    budget_sek: int | None
    timeline: str | None
    phase: str
    status: Literal["draft", "published", "withdrawn"]
    version: int = Field(description="0 for a draft; 1 on publish, +1 with every event")
    allowed_moves: list[str]
    cosigners: list[CosignerOut]
    demand: DemandOut
    history: list[HistoryOut]
    implementations: list[ImplementationOut]
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class NeedSummaryOut(BaseModel):
    """A need as a list shows it; `GET /v1/needs/{id}` gives the whole need."""

    id: str
    buyer_org: str
    title: str
    summary: str = Field(description="the problem's opening, at most 280 characters")
    cpv_codes: list[str]
    municipality_code: str
    municipality_name: str
    county_code: str
    nuts_code: str | None
    tags: list[str]
    language: str
    phase: str
    status: Literal["draft", "published", "withdrawn"]
    version: int
    organisations: int = Field(description="organisations behind the need, owner included")
    published_at: datetime | None
    updated_at: datetime


class NeedList(BaseModel):
    items: list[NeedSummaryOut]
    next: str | None = Field(
        default=None, description="the `cursor` of the next page; null on the last page"
    )


class ReasonOut(BaseModel):
    component: str
    score: float
    detail: str = Field(description="in English, for integrators")
    code: str | None = Field(
        default=None, description="what the reason says, stable; absent on older entries"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="the reason's values")


class MatchOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "solution_id": "sol-123",
                    "solution_name": "ViroteaED",
                    "supplier_org": "virotea",
                    "score": 0.82,
                    "reasons": [{"component": "cpv", "score": 0.4, "detail": "same group 805"}],
                }
            ]
        }
    )

    solution_id: str
    solution_name: str
    supplier_org: str
    score: float
    reasons: list[ReasonOut]


class MatchList(BaseModel):
    items: list[MatchOut]


class InboxEntryOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f2d6f7e-1c1a-5b7e-8a59-3f0e2b9f4a10",
                    "kind": "match",
                    "need_id": "5f0c7a4e-3b1d-4c47-9f51-0a8c1c0f1e11",
                    "need_title": "Träning för vårdpersonal",
                    "solution_id": "sol-123",
                    "solution_name": "ViroteaED",
                    "supplier_org": "virotea",
                    "score": 0.82,
                    "reasons": [],
                    "adoption_count": None,
                    "deployments": [],
                    "read": False,
                    "created_at": "2025-03-02T09:00:00Z",
                    "updated_at": "2025-03-02T09:00:00Z",
                }
            ]
        }
    )

    id: str
    kind: Literal["match", "scaling"]
    need_id: str
    need_title: str
    solution_id: str
    solution_name: str
    supplier_org: str
    score: float
    reasons: list[ReasonOut]
    adoption_count: int | None = None
    deployments: list[dict[str, Any]] = []
    read: bool
    created_at: datetime
    updated_at: datetime


class InboxList(BaseModel):
    items: list[InboxEntryOut]
    next: str | None = Field(
        default=None, description="the `cursor` of the next page; null on the last page"
    )


class AdoptionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "adoption_id": "4d8e...",
                    "solution_id": "sol-123",
                    "buyer_org": "hammaro",
                    "need_id": None,
                    "municipality_code": "1761",
                    "kind": "adoption",
                    "recorded_at": "2025-03-02T09:00:00Z",
                }
            ]
        }
    )

    adoption_id: str
    solution_id: str
    buyer_org: str
    need_id: str | None
    municipality_code: str | None
    kind: Literal["implementation", "adoption"]
    recorded_at: datetime


class ErrorItem(BaseModel):
    field: str
    rule: str
    message: str


class ErrorOut(BaseModel):
    detail: str
    errors: list[ErrorItem] | None = None
    allowed: list[str] | None = None
