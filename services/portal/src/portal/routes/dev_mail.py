"""Development only (not mounted in production): the messages the local capture server took,
as the notifications service lists them (`GET /v1/dev/mail`), and one of them with its
headers, its plain text and its HTML part in a sandboxed frame."""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..headers import CSP
from ..pages import Pages

MAIL_PAGE: Final = 50
URL: Final = re.compile(r"https?://[^\s<>\"']+")
# The HTML part is shown in an `<iframe sandbox srcdoc>`, which keeps the page's policy:
# the message's own inline styles are allowed on this page; scripts stay off everywhere
# (the sandbox runs none), and its links open nowhere (`frame-src` is the portal's own).
MAIL_CSP: Final = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def sent_at(message: dict[str, Any]) -> datetime | None:
    try:
        return parsedate_to_datetime(str(message.get("date") or ""))
    except (TypeError, ValueError):
        return None


def with_links(text: str) -> list[tuple[str, bool]]:
    """The text in pieces, each (piece, is a link): links to follow from the page."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for found in URL.finditer(text):
        url = found.group(0).rstrip(".,;:)")
        if found.start() > at:
            pieces.append((text[at : found.start()], False))
        pieces.append((url, True))
        at = found.start() + len(url)
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    @router.get("/dev/mail", response_class=HTMLResponse)
    async def mail(request: Request, to: str = "") -> Response:
        params = {"limit": MAIL_PAGE, "to": to.strip() or None}
        found = await api.call("notifications", "GET", "/v1/dev/mail", None, params=params)
        messages = [{**m, "sent_at": sent_at(m)} for m in found["items"]]
        return pages.render(request, "dev_mail.html", messages=messages, to=to.strip())

    @router.get("/dev/mail/{name}", response_class=HTMLResponse)
    async def mail_one(request: Request, name: str) -> Response:
        path = f"/v1/dev/mail/{quote(name, safe='')}"
        message = await api.call("notifications", "GET", path, None)
        text = message.get("text")
        page = pages.render(
            request,
            "dev_mail_message.html",
            message={**message, "sent_at": sent_at(message)},
            text=with_links(text) if text else None,
        )
        page.headers["content-security-policy"] = MAIL_CSP
        return page

    return router
