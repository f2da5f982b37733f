"""The HTTP API of the needs service: parse, authorise, call a handler, shape the answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Query
from sse_starlette import EventSourceResponse

from marketplace_contracts.reference import municipality, nuts_code_of, swedish_sort_key
from marketplace_platform.auth import CurrentPrincipal, Principal, require_role
from marketplace_platform.live import InboxBroadcaster

from ..domain.errors import InvalidInput
from ..domain.listing import NeedCard
from ..domain.model import Adoption, Need, Status
from ..service.handlers import Actor, InboxService, NeedsService, Page
from .schemas import (
    AdoptionIn,
    AdoptionOut,
    Cosign,
    ErrorOut,
    ImplementationIn,
    InboxEntryOut,
    InboxList,
    MatchList,
    MatchOut,
    NeedCreate,
    NeedList,
    NeedOut,
    NeedPatch,
    NeedSummaryOut,
    PhaseMove,
    ReasonOut,
    Withdrawal,
)

Responses = dict[int | str, dict[str, Any]]
Buyer = Annotated[Principal, require_role("buyer")]


def _err(description: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": ErrorOut,
        "description": description,
        "content": {"application/json": {"example": {"detail": detail, **extra}}},
    }


E401: Responses = {401: _err("No token, or a tampered or expired one", "the token has expired")}
E403: Responses = {
    403: _err(
        "The token's role or organisation may not do this",
        "this action needs the role buyer; the token has role supplier",
    )
}
E404: Responses = {
    404: _err(
        "No such need, or a draft of another organisation", "no need 'x' is visible to hammaro"
    )
}
E409: Responses = {
    409: _err(
        "The need's state does not allow this",
        "a need in phase 'hypothesis' cannot move to 'procurement'; "
        "allowed moves: validation, withdrawn",
        allowed=["validation", "withdrawn"],
    )
}
E422: Responses = {
    422: _err(
        "Bad input; names the field and the rule",
        "cpv_codes.0: unknown CPV code '99999999'",
        errors=[{"field": "cpv_codes.0", "rule": "value_error", "message": "unknown CPV code"}],
    )
}


def errors(*codes: Responses) -> Responses:
    out: Responses = {}
    for code in codes:
        out.update(code)
    return out


def actor_of(principal: Principal) -> Actor:
    return Actor(
        org=principal.org,
        subject=principal.subject,
        municipality_code=principal.municipality_code,
    )


def need_out(need: Need) -> NeedOut:
    demand = need.demand()
    place = municipality(need.municipality_code)
    return NeedOut.model_validate(
        {
            "id": need.id,
            "buyer_org": need.buyer_org,
            "title": need.title,
            "problem": need.problem,
            "desired_outcomes": need.desired_outcomes,
            "target_group": need.target_group,
            "cpv_codes": need.cpv_codes,
            "municipality_code": need.municipality_code,
            "municipality_name": place.name,
            "county_code": place.county_code,
            "nuts_code": nuts_code_of(place.county_code),
            "tags": need.tags,
            "language": need.language,
            "budget_sek": need.budget_sek,
            "timeline": need.timeline,
            "phase": need.phase,
            "status": need.status,
            "version": need.version,
            "allowed_moves": need.allowed_moves() if need.status != "withdrawn" else [],
            "cosigners": [
                {
                    "org": c.org,
                    "municipality_code": c.municipality_code,
                    "municipality_name": municipality(c.municipality_code).name
                    if c.municipality_code
                    else None,
                    "cosigned_at": c.at,
                }
                for c in sorted(need.cosigners, key=lambda c: swedish_sort_key(c.org))
            ],
            "demand": {
                "organisations": demand.organisations,
                "population": demand.population,
                "municipalities": [municipality(c).name for c in demand.municipality_codes],
            },
            "history": [vars(h) for h in need.history],
            "implementations": [vars(i) for i in need.implementations],
            "created_at": need.created_at,
            "updated_at": need.updated_at,
            "published_at": need.published_at,
        }
    )


def summary_out(card: NeedCard) -> NeedSummaryOut:
    place = municipality(card.municipality_code)
    return NeedSummaryOut(
        id=card.need_id,
        buyer_org=card.buyer_org,
        title=card.title,
        summary=card.summary,
        cpv_codes=list(card.cpv_codes),
        municipality_code=card.municipality_code,
        municipality_name=place.name,
        county_code=place.county_code,
        nuts_code=nuts_code_of(place.county_code),
        tags=list(card.tags),
        language=card.language,
        phase=card.phase,
        status=cast(Status, card.status),
        version=card.version,
        organisations=card.organisations,
        published_at=card.published_at,
        updated_at=card.updated_at,
    )


def page_out(page: Page) -> NeedList:
    return NeedList(items=[summary_out(c) for c in page.items], next=page.next)


def entry_out(doc: dict[str, Any]) -> InboxEntryOut:
    return InboxEntryOut.model_validate({**doc, "id": doc["_id"]})


def adoption_out(adoption: Adoption) -> AdoptionOut:
    return AdoptionOut(
        adoption_id=adoption.adoption_id,
        solution_id=adoption.solution_id,
        buyer_org=adoption.buyer_org,
        need_id=adoption.need_id,
        municipality_code=adoption.municipality_code,
        kind="adoption",
        recorded_at=adoption.at,
    )


def needs_router(service: NeedsService, inbox: InboxService) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["needs"])

    @router.post(
        "/needs",
        status_code=201,
        response_model=NeedOut,
        summary="Draft a need (a problem, not a specification)",
        description="Only buyers. The draft is visible to the buyer's own organisation only "
        "until it is published. CPV codes are accepted as '80500000' or '80500000-9'.",
        responses=errors(E401, E403, E422),
    )
    async def create_need(principal: Buyer, body: NeedCreate) -> NeedOut:
        need = await service.create(actor_of(principal), body.model_dump())
        return need_out(need)

    @router.get(
        "/needs",
        response_model=NeedList,
        summary="Search published needs",
        description="Filters: `cpv` (a prefix '805' or a code '80500000-9'), `region` "
        "(municipality '1780', county '17', a NUTS code 'SE311' or 'SE31', or 'SE'), `phase`, "
        "`q` (Swedish/English text, "
        "compound-aware). Sorted by publication, newest first, then id; a page's `next` is "
        "the `cursor` of the following one (null on the last page).",
        responses=errors(E401, E422),
    )
    async def search_needs(  # noqa: PLR0917 - FastAPI query parameters
        principal: CurrentPrincipal,
        cpv: Annotated[str | None, Query(max_length=12, examples=["805"])] = None,
        region: Annotated[str | None, Query(max_length=5, examples=["17", "SE311"])] = None,
        phase: Annotated[str | None, Query(max_length=20, examples=["validation"])] = None,
        q: Annotated[str | None, Query(max_length=200, examples=["utbildning"])] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> NeedList:
        result = await service.search(
            cpv=cpv, region=region, phase=phase, q=q, cursor=cursor, limit=limit
        )
        return page_out(result)

    @router.get(
        "/needs/mine",
        response_model=NeedList,
        summary="The needs of the caller's organisation, drafts included",
        responses=errors(E401, E403),
    )
    async def my_needs(
        principal: Buyer,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> NeedList:
        return page_out(await service.mine(actor_of(principal), cursor, limit))

    @router.get(
        "/needs/{need_id}",
        response_model=NeedOut,
        summary="One need, with co-signers, aggregated demand and its full history",
        responses=errors(E401, E404),
    )
    async def get_need(principal: CurrentPrincipal, need_id: str) -> NeedOut:
        return need_out(await service.get(need_id, actor_of(principal)))

    @router.patch(
        "/needs/{need_id}",
        response_model=NeedOut,
        summary="Edit a need (owner); a published need emits need.updated",
        responses=errors(E401, E403, E404, E409, E422),
    )
    async def edit_need(principal: Buyer, need_id: str, body: NeedPatch) -> NeedOut:
        changes = body.model_dump(exclude_unset=True)
        for required in ("title", "problem", "cpv_codes", "municipality_code", "language"):
            if required in changes and changes[required] is None:
                raise InvalidInput(f"{required} cannot be removed", field=required)
        need = await service.edit(need_id, actor_of(principal), changes)
        return need_out(need)

    @router.post(
        "/needs/{need_id}/publish",
        response_model=NeedOut,
        summary="Publish a draft: visible to every signed-in organisation; emits need.published",
        responses=errors(E401, E403, E404, E409),
    )
    async def publish_need(principal: Buyer, need_id: str) -> NeedOut:
        return need_out(await service.publish(need_id, actor_of(principal)))

    @router.post(
        "/needs/{need_id}/phase",
        response_model=NeedOut,
        summary="Move the need to another phase; emits need.phase-changed",
        description="Forward one phase at a time; back any number of phases with a reason. "
        "An illegal move is a 409 that names the allowed ones.",
        responses=errors(E401, E403, E404, E409, E422),
    )
    async def move_need(principal: Buyer, need_id: str, body: PhaseMove) -> NeedOut:
        need = await service.move(need_id, actor_of(principal), body.phase, body.reason)
        return need_out(need)

    @router.post(
        "/needs/{need_id}/withdraw",
        response_model=NeedOut,
        summary="Withdraw the need from any phase; emits need.withdrawn",
        responses=errors(E401, E403, E404, E409),
    )
    async def withdraw_need(
        principal: Buyer, need_id: str, body: Annotated[Withdrawal | None, Body()] = None
    ) -> NeedOut:
        reason = body.reason if body else None
        return need_out(await service.withdraw(need_id, actor_of(principal), reason))

    @router.post(
        "/needs/{need_id}/cosign",
        response_model=NeedOut,
        summary="Co-sign another buyer's need ('we have this need too'); emits need.cosigned",
        description="The co-signer's municipality comes from the body or the token's "
        "`municipality_code` claim. An organisation co-signs once.",
        responses=errors(E401, E403, E404, E409, E422),
    )
    async def cosign_need(
        principal: Buyer, need_id: str, body: Annotated[Cosign | None, Body()] = None
    ) -> NeedOut:
        code = body.municipality_code if body else None
        return need_out(await service.cosign(need_id, actor_of(principal), code))

    @router.get(
        "/needs/{need_id}/matches",
        response_model=MatchList,
        summary="Solutions matched to this need, best first (owner and co-signers)",
        responses=errors(E401, E403, E404),
    )
    async def need_matches(principal: CurrentPrincipal, need_id: str) -> MatchList:
        docs = await inbox.matches(need_id, actor_of(principal))
        return MatchList(
            items=[
                MatchOut(
                    solution_id=d["solution_id"],
                    solution_name=d["solution_name"],
                    supplier_org=d["supplier_org"],
                    score=d["score"],
                    reasons=[ReasonOut.model_validate(r) for r in d.get("reasons") or []],
                )
                for d in docs
            ]
        )

    @router.post(
        "/needs/{need_id}/implementation",
        status_code=201,
        response_model=NeedOut,
        summary="Record the solution the owner implemented; emits adoption.recorded",
        description="From `procurement` the need moves to `implementation` "
        "(need.phase-changed); in `implementation` or `scaling` it stays.",
        responses=errors(E401, E403, E404, E409, E422),
    )
    async def record_implementation(
        principal: Buyer, need_id: str, body: ImplementationIn
    ) -> NeedOut:
        need = await service.record_implementation(need_id, actor_of(principal), body.solution_id)
        return need_out(need)

    @router.post(
        "/adoptions",
        status_code=201,
        response_model=AdoptionOut,
        summary="Join a solution implemented elsewhere; emits adoption.recorded",
        description="With or without a need of the caller's own (or one it co-signed). "
        "An organisation records an adoption of a solution once.",
        responses=errors(E401, E403, E404, E409, E422),
    )
    async def record_adoption(principal: Buyer, body: AdoptionIn) -> AdoptionOut:
        adoption = await service.record_adoption(
            actor_of(principal), body.solution_id, body.need_id, body.municipality_code
        )
        return adoption_out(adoption)

    return router


def inbox_router(inbox: InboxService, broadcaster: InboxBroadcaster) -> APIRouter:
    router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

    @router.get(
        "",
        response_model=InboxList,
        summary="The caller's inbox: matches for its needs and scaling opportunities",
        responses=errors(E401, E403),
    )
    async def read_inbox(
        principal: Buyer,
        unread: Annotated[bool, Query(description="only unread entries")] = False,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> InboxList:
        docs, after = await inbox.entries(
            actor_of(principal), unread_only=unread, cursor=cursor, limit=limit
        )
        return InboxList(items=[entry_out(d) for d in docs], next=after)

    @router.post(
        "/{entry_id}/read",
        response_model=InboxEntryOut,
        summary="Mark an inbox entry read",
        responses=errors(E401, E403, E404),
    )
    async def mark_read(principal: Buyer, entry_id: str) -> InboxEntryOut:
        return entry_out(await inbox.mark_read(actor_of(principal), entry_id))

    @router.get(
        "/stream",
        summary="Live inbox (server-sent events)",
        description="First the unread entries (oldest first), then new and re-ranked "
        "entries as they arrive. Event name: the entry kind (`match`, `scaling`); event id: "
        "the entry id; data: the entry as JSON.",
        responses={
            200: {
                "content": {
                    "text/event-stream": {
                        "example": 'id: 0f2d...\nevent: match\ndata: {"id": "0f2d...", ...}\n\n'
                    }
                }
            },
            **E401,
            **E403,
        },
    )
    async def stream(principal: Buyer) -> EventSourceResponse:
        actor = actor_of(principal)

        async def events() -> AsyncIterator[dict[str, str]]:
            async with broadcaster.listen(actor.org) as queue:
                # Listening starts before the replay, so nothing falls in between; an entry
                # both replayed and pushed unchanged is sent once.
                replayed: dict[str, dict[str, Any]] = {}
                docs, _ = await inbox.entries(actor, unread_only=True, limit=500)
                for doc in reversed(docs):
                    replayed[doc["_id"]] = doc
                    yield _sse(doc)
                while True:
                    doc = await queue.get()
                    if replayed.pop(doc["_id"], None) == doc:
                        continue
                    yield _sse(doc)

        return EventSourceResponse(events(), ping=15)

    return router


def _sse(doc: dict[str, Any]) -> dict[str, str]:
    entry = entry_out(doc)
    return {"id": entry.id, "event": entry.kind, "data": json.dumps(entry.model_dump(mode="json"))}
