"""The suppliers' HTTP API: parse, authorise, call a handler, shape the answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sse_starlette import EventSourceResponse

from marketplace_platform.auth import CurrentPrincipal, Principal, require_role
from marketplace_platform.live import InboxBroadcaster

from ..domain.profile import profile_fields
from ..service.catalogue import Catalogue
from ..service.inbox import Inbox
from ..service.subscriptions import Subscriptions
from ..service.webhooks import Webhooks
from .schemas import (
    DELIVERY_EXAMPLE,
    DELIVERY_NEXT,
    ERRORS,
    INBOX_EXAMPLE,
    INBOX_NEXT,
    NEXT_EXAMPLE,
    PROFILE_EXAMPLE,
    REGIONS_HELP,
    SOLUTION_CARD_EXAMPLE,
    SOLUTION_EXAMPLE,
    SUBSCRIPTION_EXAMPLE,
    SUBSCRIPTION_NEXT,
    WEBHOOK_EXAMPLE,
    Cursor,
    ProfileIn,
    SolutionIn,
    SolutionPatch,
    SubscriptionIn,
    WebhookIn,
    example,
    items,
)

Supplier = Annotated[Principal, require_role("supplier")]


# --- routes --------------------------------------------------------------------------------


def build_router(
    catalogue: Catalogue,
    subscriptions: Subscriptions,
    webhooks: Webhooks,
    inbox: Inbox,
    broadcaster: InboxBroadcaster,
    *,
    sse_ping_s: float = 15,
) -> APIRouter:
    router = APIRouter(prefix="/v1")

    # profile
    @router.put(
        "/profile",
        tags=["profile"],
        summary="Create or replace this supplier's profile",
        responses=example(200, PROFILE_EXAMPLE),
    )
    async def put_profile(body: ProfileIn, who: Supplier) -> dict[str, Any]:
        fields = profile_fields(
            name=body.name,
            organisation_number=body.organisation_number,
            contact_email=body.contact.email,
            contact_name=body.contact.name,
            contact_phone=body.contact.phone,
            regions=body.regions,
        )
        return await catalogue.put_profile(who.org, fields)

    @router.get(
        "/profile",
        tags=["profile"],
        summary="This supplier's profile",
        responses=example(200, PROFILE_EXAMPLE) | {404: {"description": "no profile yet"}},
    )
    async def get_profile(who: Supplier) -> dict[str, Any]:
        return await catalogue.get_profile(who.org)

    # solutions
    @router.post(
        "/solutions",
        status_code=status.HTTP_201_CREATED,
        tags=["solutions"],
        summary="Publish a solution (emits solution.published, version 1)",
        responses=example(
            201, {**SOLUTION_EXAMPLE, "version": 1, "adoption_count": 0, "deployments": []}
        ),
    )
    async def post_solution(body: SolutionIn, who: Supplier) -> dict[str, Any]:
        return await catalogue.publish(who.org, body.model_dump())

    @router.get(
        "/solutions",
        tags=["solutions"],
        summary="Published solutions (every signed-in role), sorted by name",
        description=(
            "Solutions in Swedish order of their names (å, ä, ö after z), then id; filters "
            "narrow the list, all of them at once. A page holds up to `limit` solutions; its "
            "`next` is the `cursor` of the following page, with the same filters (null on "
            "the last page). Pages are keyset: a page costs the same at any depth, and no "
            "total is counted. Each item is the solution's card (its description's opening "
            "as `summary`, no deployments); `GET /v1/solutions/{id}` gives it whole."
        ),
        responses=example(200, items(SOLUTION_CARD_EXAMPLE, NEXT_EXAMPLE)),
    )
    async def list_solutions(  # noqa: PLR0917 - FastAPI query parameters
        _: CurrentPrincipal,
        cpv: Annotated[str | None, Query(description='CPV prefix "805" or code')] = None,
        region: Annotated[str | None, Query(description=f"serves {REGIONS_HELP}")] = None,
        q: Annotated[
            str | None,
            Query(
                max_length=200,
                description="words, each of which the name, description or tags hold as "
                "the needs list's search does: any case, Swedish and English inflections, "
                "the parts of a compound (vårdpersonal finds vårdpersonalsutbildning); "
                "stopwords alone find nothing",
            ),
        ] = None,
        supplier: Annotated[str | None, Query(description="supplier organisation")] = None,
        include_retired: bool = False,
        cursor: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        page = await catalogue.search(
            cpv=cpv,
            region=region,
            q=q,
            supplier=supplier,
            include_retired=include_retired,
            cursor=cursor,
            limit=limit,
        )
        return page.as_json()

    @router.get(
        "/solutions/{solution_id}",
        tags=["solutions"],
        summary="A solution with its deployments and adoption count",
        responses=example(200, SOLUTION_EXAMPLE) | {404: {"description": "no such solution"}},
    )
    async def get_solution(solution_id: str, _: CurrentPrincipal) -> dict[str, Any]:
        return await catalogue.get(solution_id)

    @router.patch(
        "/solutions/{solution_id}",
        tags=["solutions"],
        summary="Change a solution (emits solution.updated, version + 1)",
        responses=example(200, SOLUTION_EXAMPLE)
        | {
            404: {"description": "no such solution"},
            409: {"description": "the solution is retired"},
        },
    )
    async def patch_solution(
        solution_id: str, body: SolutionPatch, who: Supplier
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        return await catalogue.update(who.org, solution_id, changes)

    @router.delete(
        "/solutions/{solution_id}",
        tags=["solutions"],
        summary="Retire a solution (emits solution.retired)",
        responses=example(200, {**SOLUTION_EXAMPLE, "status": "retired", "version": 3})
        | {404: {"description": "no such solution"}, 409: {"description": "already retired"}},
    )
    async def retire_solution(solution_id: str, who: Supplier) -> dict[str, Any]:
        return await catalogue.retire(who.org, solution_id)

    # subscriptions
    @router.post(
        "/subscriptions",
        status_code=status.HTTP_201_CREATED,
        tags=["subscriptions"],
        summary="Watch needs (emits subscription.upserted)",
        responses=example(201, SUBSCRIPTION_EXAMPLE),
    )
    async def post_subscription(body: SubscriptionIn, who: Supplier) -> dict[str, Any]:
        return await subscriptions.create(
            who.org,
            {
                "cpv_prefixes": body.cpv_prefixes,
                "regions": body.regions,
                "keywords": body.keywords,
                "phases": list(body.phases) if body.phases else None,
            },
        )

    @router.get(
        "/subscriptions",
        tags=["subscriptions"],
        summary="This supplier's subscriptions, oldest first",
        description=(
            "At most 100 per supplier. A page holds up to `limit`; its `next` is the "
            "`cursor` of the following page (null on the last one)."
        ),
        responses=example(200, items(SUBSCRIPTION_EXAMPLE, SUBSCRIPTION_NEXT)),
    )
    async def list_subscriptions(
        who: Supplier, cursor: Cursor = None, limit: Annotated[int, Query(ge=1, le=100)] = 50
    ) -> dict[str, Any]:
        return (await subscriptions.list_for(who.org, cursor=cursor, limit=limit)).as_json()

    @router.get(
        "/subscriptions/{subscription_id}",
        tags=["subscriptions"],
        summary="One of this supplier's subscriptions",
        responses=example(200, SUBSCRIPTION_EXAMPLE) | {404: {"description": "not found"}},
    )
    async def get_subscription(subscription_id: str, who: Supplier) -> dict[str, Any]:
        return await subscriptions.get(who.org, subscription_id)

    @router.delete(
        "/subscriptions/{subscription_id}",
        status_code=204,
        tags=["subscriptions"],
        summary="Delete a subscription (emits subscription.deleted)",
        responses={204: {"description": "deleted"}, 404: {"description": "not found"}, **ERRORS},
    )
    async def delete_subscription(subscription_id: str, who: Supplier) -> Response:
        await subscriptions.delete(who.org, subscription_id)
        return Response(status_code=204)

    # webhooks
    @router.post(
        "/webhooks",
        status_code=status.HTTP_201_CREATED,
        tags=["webhooks"],
        summary="Register a webhook (public http(s) targets only; secret never returned)",
        responses=example(201, WEBHOOK_EXAMPLE),
    )
    async def post_webhook(body: WebhookIn, who: Supplier) -> dict[str, Any]:
        return await webhooks.register(who.org, body.url, body.secret)

    @router.get(
        "/webhooks",
        tags=["webhooks"],
        summary="This supplier's webhooks, oldest first",
        description="At most 10 per supplier, all on one page (`next` is always null).",
        responses=example(200, items(WEBHOOK_EXAMPLE)),
    )
    async def list_webhooks(who: Supplier) -> dict[str, Any]:
        return (await webhooks.list_for(who.org)).as_json()

    @router.delete(
        "/webhooks/{webhook_id}",
        status_code=204,
        tags=["webhooks"],
        summary="Remove a webhook (its queued deliveries are cancelled)",
        responses={204: {"description": "deleted"}, 404: {"description": "not found"}, **ERRORS},
    )
    async def delete_webhook(webhook_id: str, who: Supplier) -> Response:
        await webhooks.delete(who.org, webhook_id)
        return Response(status_code=204)

    @router.get(
        "/webhooks/{webhook_id}/deliveries",
        tags=["webhooks"],
        summary="Deliveries of a webhook with every attempt, newest first",
        description=(
            "A page holds up to `limit`; its `next` is the `cursor` of the following page "
            "(null on the last one). Delivered and cancelled deliveries are kept for "
            "`SUPPLIERS_DELIVERIES_RETENTION_DAYS` (30)."
        ),
        responses=example(200, items(DELIVERY_EXAMPLE, DELIVERY_NEXT))
        | {404: {"description": "not found"}},
    )
    async def list_deliveries(
        webhook_id: str,
        who: Supplier,
        cursor: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> dict[str, Any]:
        page = await webhooks.deliveries(who.org, webhook_id, cursor=cursor, limit=limit)
        return page.as_json()

    @router.post(
        "/webhooks/{webhook_id}/resume",
        tags=["webhooks"],
        summary="Resume a paused webhook; held and failed deliveries are sent again",
        responses=example(200, WEBHOOK_EXAMPLE)
        | {404: {"description": "not found"}, 409: {"description": "not paused"}},
    )
    async def resume_webhook(webhook_id: str, who: Supplier) -> dict[str, Any]:
        return await webhooks.resume(who.org, webhook_id)

    # inbox
    @router.get(
        "/inbox",
        tags=["inbox"],
        summary="This supplier's inbox (matches, alerts, paused webhooks), newest first",
        description=(
            "A page holds up to `limit` entries; its `next` is the `cursor` of the following "
            "page, with the same `unread` (null on the last one). Read entries are kept for "
            "`MARKETPLACE_INBOX_READ_RETENTION_DAYS` (180)."
        ),
        responses=example(200, items(INBOX_EXAMPLE, INBOX_NEXT)),
    )
    async def list_inbox(
        who: Supplier,
        unread: Annotated[
            bool | None, Query(description="true: unread only; false: read only")
        ] = None,
        cursor: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 20,
    ) -> dict[str, Any]:
        page = await inbox.list_for(who.org, unread=unread, cursor=cursor, limit=limit)
        return page.as_json()

    @router.post(
        "/inbox/{entry_id}/read",
        tags=["inbox"],
        summary="Mark an inbox entry as read",
        responses=example(200, {**INBOX_EXAMPLE, "read": True})
        | {404: {"description": "not found"}},
    )
    async def read_entry(entry_id: str, who: Supplier) -> dict[str, Any]:
        return await inbox.mark_read(who.org, entry_id)

    @router.get(
        "/inbox/stream",
        tags=["inbox"],
        summary="New inbox entries, live (server-sent events; SSE id = entry id)",
        response_class=EventSourceResponse,
        responses={
            200: {
                "description": "an event stream: a `ready` event, then one event per entry, "
                "named by its kind",
                "content": {
                    "text/event-stream": {
                        "example": "event: ready\ndata: {}\n\n"
                        f"id: {INBOX_EXAMPLE['id']}\nevent: match.found\n"
                        f"data: {json.dumps(INBOX_EXAMPLE)}\n\n"
                    }
                },
            },
            **ERRORS,
        },
    )
    async def stream_inbox(who: Supplier) -> EventSourceResponse:
        async def events() -> AsyncIterator[dict[str, Any]]:
            async with broadcaster.listen(who.org) as queue:
                yield {"event": "ready", "data": "{}"}
                while True:  # sse-starlette cancels this when the client goes away
                    entry = await queue.get()
                    yield {"id": entry["id"], "event": entry["kind"], "data": json.dumps(entry)}

        return EventSourceResponse(events(), ping=int(sse_ping_s))

    return router
