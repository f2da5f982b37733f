"""HTTP API of matching: preview ranking for an unpublished need, and operational stats."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from marketplace_contracts.events import MatchReason
from marketplace_contracts.reference import (
    InvalidCpvCode,
    UnknownCpvCode,
    UnknownRegion,
    known_cpv,
    municipality,
)
from marketplace_platform.auth import CurrentPrincipal
from marketplace_platform.http import Invalid

from ..domain.model import NeedProfile
from ..service.engine import MatchingEngine, contract_reasons


class PreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "VR-utbildning för vårdpersonal",
                    "problem": "Omsorgspersonal behöver träna på svåra situationer i "
                    "hemtjänsten utan risk för brukarna.",
                    "cpv_codes": ["80500000-9"],
                    "municipality_code": "1780",
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=200)
    problem: str = Field(min_length=1, max_length=10_000)
    cpv_codes: list[str] = Field(min_length=1, max_length=20)
    municipality_code: str = Field(pattern=r"^\d{4}$")
    tags: list[str] = Field(default_factory=list, max_length=20)
    phase: str = "hypothesis"
    language: str | None = None
    limit: int = Field(10, ge=1, le=50)


class PreviewItem(BaseModel):
    solution_id: str
    solution_name: str
    supplier_org: str
    adoption_count: int
    score: float
    reasons: list[MatchReason]


class PreviewResponse(BaseModel):
    items: list[PreviewItem]


def build_router(engine: MatchingEngine, runtime_stats: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["matching"])

    @router.post(
        "/preview",
        response_model=PreviewResponse,
        summary="Rank existing solutions for a need that is not published yet",
        description="A buyer checks what already exists before starting a procurement. "
        "Nothing is stored and nothing is sent to suppliers.",
    )
    async def preview(
        request: Annotated[PreviewRequest, Body()], principal: CurrentPrincipal
    ) -> PreviewResponse:
        codes = []
        for i, code in enumerate(request.cpv_codes):
            try:
                codes.append(known_cpv(code))
            except (InvalidCpvCode, UnknownCpvCode) as exc:
                raise Invalid(str(exc), field=f"cpv_codes.{i}") from None
        try:
            municipality(request.municipality_code)
        except UnknownRegion as exc:
            raise Invalid(str(exc), field="municipality_code") from None
        try:
            need = NeedProfile(
                need_id="preview",
                buyer_org=principal.org,
                title=request.title,
                problem=request.problem,
                cpv_codes=tuple(codes),
                municipality_code=request.municipality_code,
                phase=request.phase,  # type: ignore[arg-type]
                tags=frozenset(request.tags),
                language=request.language,
            )
        except ValueError as exc:
            raise Invalid(str(exc), field="phase") from None
        items = []
        for match in engine.rank(need, k=request.limit):
            solution = engine.solutions.get(match.solution_id)
            if solution is None:
                continue
            items.append(
                PreviewItem(
                    solution_id=solution.solution_id,
                    solution_name=solution.name,
                    supplier_org=solution.supplier_org,
                    adoption_count=solution.adoption_count,
                    score=round(match.score, 4),
                    reasons=contract_reasons(match.reasons),
                )
            )
        return PreviewResponse(items=items)

    @router.get("/stats", summary="Index sizes, events handled and emitted, lag")
    async def stats() -> dict[str, Any]:
        result: dict[str, Any] = await runtime_stats()
        return result

    return router
