"""The inbox of a buyer (needs service) or a supplier (suppliers service), and its live feed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sse_starlette import EventSourceResponse

from ..api import ApiError
from ..i18n import Translator
from ..pages import PageError, Pages, User, page_links
from ..session import session_of

INBOX_PAGE = 20  # entries per page, as the other lists; the services page by cursor (`next`)


def inbox_service(user: User) -> str:
    if user.role == "buyer":
        return "needs"
    if user.role == "supplier":
        return "suppliers"
    raise PageError(403, Translator("sv")("err_role_needed", role="buyer/supplier"))


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    @router.get("/inbox", response_class=HTMLResponse)
    async def inbox(request: Request, cursor: str = "") -> Response:
        user = pages.require(request)
        service = inbox_service(user)
        params = {"limit": INBOX_PAGE, "cursor": cursor}
        result = await api.call(service, "GET", "/v1/inbox", user.token, params=params)
        links = page_links("/inbox", {}, cursor, result.get("next"))
        return pages.render(request, "inbox.html", entries=result["items"], **links)

    @router.post("/inbox/{entry_id}/read")
    async def inbox_read(request: Request, entry_id: str) -> Response:
        user = pages.require(request)
        service = inbox_service(user)
        await pages.form_of(request)
        path = f"/v1/inbox/{quote(entry_id, safe='')}/read"
        return await pages.act(
            request, "/inbox", lambda: api.call(service, "POST", path, user.token)
        )

    @router.get("/inbox/stream")
    async def inbox_stream(request: Request) -> Response:
        user = pages.require(request)
        service = inbox_service(user)
        t = Translator(pages.lang_of(request))
        fragment = pages.templates.get_template("_entry.html")
        csrf = str(session_of(request).get("csrf", ""))  # live entries can be marked read too

        async def events() -> AsyncIterator[dict[str, str]]:
            try:
                async for event in api.stream(service, "/v1/inbox/stream", user.token):
                    if event.get("event") == "ready":
                        yield {"event": "ready", "data": "{}"}
                        continue
                    entry = json.loads(event["data"])
                    html = fragment.render(entry=entry, t=t, user=user, csrf=csrf)
                    yield {"event": "entry", "id": str(entry.get("id", "")), "data": html}
            except ApiError as exc:
                yield {"event": "failed", "data": exc.detail}

        return EventSourceResponse(events(), ping=15)

    return router
