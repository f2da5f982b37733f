"""The CPV reference API: a code picker's search and suggestions for a need's text.

Readable by every signed-in role. Answers depend only on the shipped reference data, the
ranking's version and the request, so each carries an ETag built from those three and may be
kept for an hour by the caller (private: the API needs a token); a GET whose If-None-Match
names the current ETag is answered 304 without a body. A POST is never answered 304:
RFC 9110 (13.1.2) reserves 304 for GET and HEAD.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib.resources import files
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from marketplace_platform.auth import CurrentPrincipal

from ..domain import vocabulary
from .http import E401, E422, errors

CACHE_CONTROL = "private, max-age=3600"
_REFERENCE_PACKAGE = "marketplace_contracts.reference"


class CpvItemOut(BaseModel):
    code: str = Field(examples=["80500000"], description="the bare eight digits")
    full: str = Field(examples=["80500000-9"], description="with the check digit where known")
    label: str = Field(examples=["Utbildningstjänster"])
    parent: str | None = Field(examples=["80000000"])
    level: str = Field(examples=["group"], description="division, group, class, category, code")


class CpvPageOut(BaseModel):
    items: list[CpvItemOut]
    next: str | None = Field(description="cursor of the next page; null on the last page")


class SuggestIn(BaseModel):
    title: str = Field(max_length=vocabulary.MAX_TEXT, examples=["Städning av förskolor"])
    problem: str = Field(
        max_length=vocabulary.MAX_TEXT,
        examples=["Förskolornas lokaler blir inte rena och barnen blir ofta sjuka."],
    )
    language: Literal["sv", "en"] | None = Field(
        default=None, description="the text's language; guessed from the text when left out"
    )


class SuggestionOut(BaseModel):
    code: str = Field(examples=["90919300"])
    full: str = Field(examples=["90919300-5"])
    label: str = Field(examples=["Städning av skolor"])
    level: str = Field(examples=["category"])
    score: float = Field(examples=[1.0], description="relative to the best suggestion (1.0)")
    reason: str = Field(examples=['matchar "städning", "förskolor"'])


class SuggestListOut(BaseModel):
    items: list[SuggestionOut]


@cache
def data_version() -> str:
    """The shipped reference data's own hashes (reference_source.json) and the ranking's."""
    source = files(_REFERENCE_PACKAGE).joinpath("reference_source.json").read_text("utf-8")
    hashes = json.loads(source)["files"]
    return f"{json.dumps(hashes, sort_keys=True)}|{vocabulary.ENGINE_VERSION}"


def etag_of(*request: Any) -> str:
    text = json.dumps([data_version(), *request], ensure_ascii=False, sort_keys=True)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _cached(content: dict[str, Any], etag: str) -> JSONResponse:
    return JSONResponse(content, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})


def reference_router() -> APIRouter:
    router = APIRouter(prefix="/v1/reference", tags=["reference"])

    @router.get(
        "/cpv",
        response_model=CpvPageOut,
        summary="Search the CPV vocabulary (all 9 454 codes), or list a code's children",
        description="`q` is a code prefix ('805', '80500000-9') or words matched against the "
        "Swedish and English labels by prefix, stem and compound part ('städ' finds "
        "'Kontorsstädning'). Without `q`: the children of `parent`, or the 45 divisions. "
        "With `q` and `parent`: matches anywhere under `parent`. Paginated by `cursor` (the "
        "previous page's `next`). Cacheable: ETag and If-None-Match (304).",
        responses={**errors(E401, E422), 304: {"description": "If-None-Match names the ETag"}},
    )
    async def search_cpv(  # noqa: PLR0917 - FastAPI query parameters
        request: Request,
        principal: CurrentPrincipal,
        q: Annotated[str | None, Query(max_length=vocabulary.MAX_QUERY, examples=["städ"])] = None,
        parent: Annotated[str | None, Query(max_length=12, examples=["90000000"])] = None,
        lang: Annotated[str, Query(description="label language: sv or en")] = "sv",
        limit: Annotated[int, Query(ge=1, le=vocabulary.MAX_LIMIT)] = 20,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> Response:
        page = await run_in_threadpool(vocabulary.search, q, parent, lang, limit, cursor)
        etag = etag_of("search", q, parent, lang, limit, cursor)
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
        body = CpvPageOut(
            items=[CpvItemOut.model_validate(item, from_attributes=True) for item in page.items],
            next=page.next,
        )
        return _cached(body.model_dump(mode="json"), etag)

    @router.post(
        "/cpv/suggest",
        response_model=SuggestListOut,
        summary="Suggest CPV codes for a need's title and problem, best first, with reasons",
        description="Ranks codes by how well their Swedish and English labels (and their "
        "ancestors' and groups') match the text. `lang` is the language of the labels and "
        "reasons (default: the body's `language`, else sv).",
        responses=errors(E401, E422),
    )
    async def suggest_cpv(
        principal: CurrentPrincipal,
        body: SuggestIn,
        lang: Annotated[str | None, Query(description="label language: sv or en")] = None,
        limit: Annotated[int, Query(ge=1, le=vocabulary.MAX_LIMIT)] = 10,
    ) -> Response:
        language = body.language or vocabulary.guess_language(f"{body.title} {body.problem}")
        labels = lang or body.language or "sv"
        items = await run_in_threadpool(
            vocabulary.suggest, body.title, body.problem, language, limit, labels
        )
        out = SuggestListOut(
            items=[SuggestionOut.model_validate(s, from_attributes=True) for s in items]
        )
        etag = etag_of("suggest", body.model_dump(), labels, limit)
        return _cached(out.model_dump(mode="json"), etag)

    return router
