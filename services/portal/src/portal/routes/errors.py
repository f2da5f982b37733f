"""How a page fails: redirects to sign in, error pages in the visitor's language."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from ..api import ApiError
from ..i18n import Translator
from ..pages import PageError, PageRedirect, Pages, back
from ..session import flash, sign_out


def install(app: FastAPI, pages: Pages) -> None:
    @app.exception_handler(PageRedirect)
    async def _redirect(_: Request, exc: PageRedirect) -> Response:
        return back(exc.url)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return pages.render(request, "error.html", exc.status, message=exc.message)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        t = Translator(pages.lang_of(request))
        if exc.status == 401:
            sign_out(request)
            flash(request, t("err_signin_needed"))
            return back("/signin")
        if exc.status == 404:
            return pages.render(request, "error.html", 404, message=t("not_found"))
        return pages.render(
            request, "error.html", exc.status, message=t("err_service", detail=exc.detail)
        )

    @app.exception_handler(404)
    async def _not_found(request: Request, _: Exception) -> Response:
        message = Translator(pages.lang_of(request))("not_found")
        return pages.render(request, "error.html", 404, message=message)
