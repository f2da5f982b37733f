"""Health, the npm assets, the home page and the choice of language."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from ..i18n import LANGS
from ..pages import Pages, back, safe_next
from ..session import session_of

FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.svg"


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    node_modules = pages.node_modules

    @router.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "portal"})

    @router.get("/assets/{package}.js", include_in_schema=False)
    async def asset(package: str) -> Response:
        files = {
            "htmx": node_modules / "htmx.org" / "dist" / "htmx.min.js",
            "axe": node_modules / "axe-core" / "axe.min.js",
        }
        path = files.get(package)
        if path is None or not path.is_file():
            return Response(
                f"// {package} is not installed: run deploy/local/portal_assets.sh\n",
                status_code=404,
                media_type="text/javascript",
            )
        return FileResponse(path, media_type="text/javascript")

    @router.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        # Browsers ask for it on every page; the icon is an SVG (served for .ico too).
        return FileResponse(
            FAVICON,
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return pages.render(request, "home.html")

    @router.get("/lang/{lang}")
    async def set_language(request: Request, lang: str, next: str | None = None) -> Response:
        if lang in LANGS:
            session_of(request)["lang"] = lang
        return back(safe_next(next))

    return router
