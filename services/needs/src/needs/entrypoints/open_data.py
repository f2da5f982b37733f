"""The open-data API: published needs as OCDS release and record packages, without a token.

Anyone may read these: they hold only what a buyer published (a draft is never released).
Pages follow the OCDS pagination extension: `links.next` is the URL of the next page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ..service.open_data import OpenData
from .http import E422, Responses, _err, errors

MEDIA_TYPE = "application/json"
PAGINATION_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_pagination_extension/master/extension.json"
)
CACHE_CONTROL = "public, max-age=60"
E404: Responses = {
    404: _err("No published need has this ocid", "no published need has the ocid 'x'")
}


def _answer(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, media_type=MEDIA_TYPE, headers={"Cache-Control": CACHE_CONTROL})


def open_data_router(open_data: OpenData) -> APIRouter:
    router = APIRouter(prefix="/v1/ocds", tags=["open data (OCDS)"])

    @router.get(
        "/releases",
        summary="OCDS release package of published needs (no token)",
        description="Every release of every published need, newest first: `planning` on "
        "publication, `planningUpdate` on each edit, phase move, co-signature and withdrawal, "
        "`award` when an implementation is recorded. `since` keeps releases dated at that "
        "time or later; `links.next` (absent on the last page) is the URL of the next page. "
        "Valid against the OCDS 1.1.5 release package schema.",
        responses=errors(E422),
        response_class=JSONResponse,
    )
    async def releases(
        request: Request,
        since: Annotated[
            datetime | None, Query(examples=["2026-01-01T00:00:00Z"], description="ISO 8601")
        ] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> JSONResponse:
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        page = await open_data.releases(since=since, cursor=cursor, limit=limit)
        body = open_data.package(str(request.url), page.published)
        body["releases"] = page.releases
        if page.next is not None:
            body["extensions"] = [PAGINATION_EXTENSION]
            body["links"] = {"next": str(request.url.include_query_params(cursor=page.next))}
        return _answer(body)

    @router.get(
        "/records/{ocid}",
        summary="OCDS record package of one published need (no token)",
        description="The need's releases and their compiled release (merged by ocdsmerge "
        "with the OCDS 1.1.5 merge rules): the need's last state. Valid against the OCDS "
        "1.1.5 record package schema.",
        responses=errors(E404),
        response_class=JSONResponse,
    )
    async def record(request: Request, ocid: str) -> JSONResponse:
        found, published = await open_data.record(ocid)
        body = open_data.package(str(request.url), published)
        body["records"] = [found]
        return _answer(body)

    return router
