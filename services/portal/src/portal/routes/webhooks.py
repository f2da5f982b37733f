"""A supplier's webhooks, with their latest deliveries."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..i18n import Translator
from ..pages import PageError, Pages, field


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    @router.get("/supplier/webhooks", response_class=HTMLResponse)
    async def webhooks(request: Request) -> Response:
        user = pages.require(request, "supplier")
        result = await api.call("suppliers", "GET", "/v1/webhooks", user.token)  # all, <= 10

        async def latest_deliveries(hook: dict[str, Any]) -> dict[str, Any]:
            path = f"/v1/webhooks/{quote(hook['id'], safe='')}/deliveries"
            found = await api.call("suppliers", "GET", path, user.token, params={"limit": 10})
            return {**hook, "deliveries": found["items"]}

        hooks = await asyncio.gather(*(latest_deliveries(h) for h in result["items"]))
        return pages.render(request, "webhooks.html", webhooks=hooks)

    @router.post("/supplier/webhooks")
    async def webhook_create(request: Request) -> Response:
        user = pages.require(request, "supplier")
        form = await pages.form_of(request)
        body = {"url": field(form, "url"), "secret": field(form, "secret")}
        return await pages.act(
            request,
            "/supplier/webhooks",
            lambda: api.call("suppliers", "POST", "/v1/webhooks", user.token, json=body),
        )

    @router.post("/supplier/webhooks/{webhook_id}/{action}")
    async def webhook_action(request: Request, webhook_id: str, action: str) -> Response:
        user = pages.require(request, "supplier")
        await pages.form_of(request)
        path = f"/v1/webhooks/{quote(webhook_id, safe='')}"
        if action == "delete":
            method = "DELETE"
        elif action == "resume":
            method, path = "POST", path + "/resume"
        else:
            raise PageError(404, Translator(pages.lang_of(request))("not_found"))
        return await pages.act(
            request,
            "/supplier/webhooks",
            lambda: api.call("suppliers", method, path, user.token),
        )

    return router
