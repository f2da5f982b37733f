"""Signing in and out (development sign-in; see `portal.identity`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..i18n import Translator
from ..identity import SignInRefused
from ..pages import PageError, Pages, back, field, safe_next
from ..session import sign_in, sign_out


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/signin", response_class=HTMLResponse)
    async def signin_page(request: Request, next: str | None = None) -> Response:
        return pages.render(request, "signin.html", next=safe_next(next), error=None, values={})

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        form = await pages.form_of(request)
        values = {k: field(form, k) for k in ("org", "role", "municipality_code")}
        if not pages.settings.dev_signin:
            raise PageError(404, Translator(pages.lang_of(request))("not_found"))
        try:
            signed = pages.identity.sign_in(values)
        except SignInRefused as exc:
            return pages.render(
                request,
                "signin.html",
                422,
                next=safe_next(field(form, "next")),
                error={"field": exc.field, "message": f"err_{exc.args[0]}"},
                values=values,
            )
        sign_in(request, signed.token, signed.org, signed.role, signed.municipality_code)
        return back(safe_next(field(form, "next")))

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        await pages.form_of(request)
        sign_out(request)
        return back("/")

    return router
