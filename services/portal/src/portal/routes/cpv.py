"""CPV codes: the picker's results, as HTML fragments for htmx."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api import ApiError
from ..i18n import LANGS, Translator
from ..pages import Pages, field
from ..views import cpv, cpv_option

CPV_PAGE = 20  # codes per page of the CPV picker's search


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    def cpv_results(request: Request, **context: Any) -> HTMLResponse:
        context = {"results": None, "notice": None, "more_url": None, "continued": False} | context
        return pages.render(request, "_cpv_results.html", **context)

    def cpv_failure(request: Request, exc: ApiError) -> HTMLResponse:
        t = Translator(pages.lang_of(request))
        notice = t("cpv_unavailable") if exc.status >= 500 else t("err_service", detail=exc.detail)
        return cpv_results(request, notice=notice)

    @router.get("/cpv/search", response_class=HTMLResponse)
    async def cpv_search(
        request: Request, q: str = "", parent: str = "", cursor: str = ""
    ) -> Response:
        """Codes by words of their label or by digits of the code, or a code's sub-codes."""
        user = pages.require(request)
        q, parent, lang = q.strip(), parent.strip(), pages.lang_of(request)
        if not q and not parent:
            return cpv_results(request)
        params = {"q": q, "parent": parent, "lang": lang, "limit": CPV_PAGE, "cursor": cursor}
        try:
            found = await api.call("needs", "GET", "/v1/reference/cpv", user.token, params=params)
        except ApiError as exc:
            return cpv_failure(request, exc)
        more_url = None
        if found.get("next"):
            more = {"q": q, "parent": parent, "cursor": found["next"]}
            more_url = "/cpv/search?" + urlencode({k: v for k, v in more.items() if v})
        return cpv_results(
            request,
            results=[cpv_option(item, lang) for item in found.get("items") or []],
            parent=cpv(parent, lang) if parent else None,
            more_url=more_url,
            continued=bool(cursor),
        )

    @router.post("/cpv/suggest", response_class=HTMLResponse)
    async def cpv_suggest(request: Request) -> Response:
        """Codes the needs service suggests for the title and problem typed so far."""
        user = pages.require(request)
        form = await pages.form_of(request)
        title, problem, lang = field(form, "title"), field(form, "problem"), pages.lang_of(request)
        if not (title or problem):
            return cpv_results(request, notice=Translator(lang)("cpv_suggest_needs_text"))
        body = {"title": title, "problem": problem}
        if field(form, "language") in LANGS:
            body["language"] = field(form, "language")
        path = "/v1/reference/cpv/suggest"
        try:
            found = await api.call(
                "needs", "POST", path, user.token, json=body, params={"lang": lang}
            )
        except ApiError as exc:
            return cpv_failure(request, exc)
        items = [cpv_option(item, lang) for item in found.get("items") or []]
        return cpv_results(request, results=items, suggested=True)

    return router
