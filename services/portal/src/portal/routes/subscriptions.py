"""A supplier's subscriptions: the needs it watches."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..pages import Pages, field, page_links
from ..views import split_list

SUBSCRIPTIONS_PAGE = 50  # a supplier holds at most 100


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    @router.get("/supplier/subscriptions", response_class=HTMLResponse)
    async def subscriptions(request: Request, cursor: str = "") -> Response:
        user = pages.require(request, "supplier")
        params = {"cursor": cursor, "limit": SUBSCRIPTIONS_PAGE}
        result = await api.call("suppliers", "GET", "/v1/subscriptions", user.token, params=params)
        links = page_links("/supplier/subscriptions", {}, cursor, result.get("next"))
        return pages.render(request, "subscriptions.html", subscriptions=result["items"], **links)

    @router.post("/supplier/subscriptions")
    async def subscription_create(request: Request) -> Response:
        user = pages.require(request, "supplier")
        form = await pages.form_of(request)
        phases = [v for v in form.getlist("phases") if isinstance(v, str)]
        region = field(form, "region")
        body = {
            "cpv_prefixes": split_list(field(form, "cpv_prefixes")) or None,
            "regions": [region] if region else None,
            "keywords": split_list(field(form, "keywords")) or None,
            "phases": phases or None,
        }
        return await pages.act(
            request,
            "/supplier/subscriptions",
            lambda: api.call("suppliers", "POST", "/v1/subscriptions", user.token, json=body),
        )

    @router.post("/supplier/subscriptions/{subscription_id}/delete")
    async def subscription_delete(request: Request, subscription_id: str) -> Response:
        user = pages.require(request, "supplier")
        await pages.form_of(request)
        path = f"/v1/subscriptions/{quote(subscription_id, safe='')}"
        return await pages.act(
            request,
            "/supplier/subscriptions",
            lambda: api.call("suppliers", "DELETE", path, user.token),
        )

    return router
