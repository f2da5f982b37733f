"""Needs: the lists, drafting one with matching's live preview, a need and its actions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from marketplace_contracts.process import IMPLEMENTABLE_PHASES, forward_first, next_phase
from marketplace_contracts.reference import swedish_sort_key

from ..api import Api, ApiError
from ..i18n import Translator
from ..pages import Pages, User, back, field, page_links
from ..session import flash
from ..views import joined_lists

NEEDS_PAGE = 20  # needs a list page shows (the service pages forward by cursor)
IMPLEMENTATION_CHOICES = 100  # the catalogue's first page, after the need's matches
NEED_ACTIONS = ("publish", "phase", "withdraw", "cosign", "implementation")


def need_values(form: FormData) -> dict[str, Any]:
    return {
        "title": field(form, "title"),
        "problem": field(form, "problem"),
        "cpv_codes": joined_lists(form.getlist("cpv_codes")),
        "municipality_code": field(form, "municipality_code"),
        "language": field(form, "language") or "sv",
        "tags": [v for v in form.getlist("tags") if isinstance(v, str)],
    }


def with_values(errors: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
    """Refused fields with the value that was sent where the service left it out
    ("cpv_codes.1": the second code), for a message that names it."""
    out = []
    for error in errors:
        name, _, index = str(error.get("field", "")).partition(".")
        sent = body.get(name)
        if "value" in error:
            out.append(error)
        elif isinstance(sent, list) and index.isdigit() and int(index) < len(sent):
            out.append({**error, "value": sent[int(index)]})
        elif isinstance(sent, str) and not index:
            out.append({**error, "value": sent})
        else:
            out.append(error)
    return out


def implementation_choices(
    matches: list[dict[str, Any]], listed: dict[str, Any] | None, *, searched: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The solutions to record as implemented: those matched to the need, best first, then
    the rest of the catalogue. Searched, both keep only what the search found, the rest in
    the search's order; else the rest is the catalogue's first page by name (it pages by
    cursor; no total is counted)."""
    if listed is None:
        return [], []
    items: list[dict[str, Any]] = listed["items"]
    found = {s["id"] for s in items}
    matched = [
        {"id": m["solution_id"], "name": m["solution_name"], "supplier_org": m["supplier_org"]}
        for m in matches
        if m.get("solution_id")
        and m.get("solution_name")
        and (not searched or m["solution_id"] in found)
    ]
    seen = {s["id"] for s in matched}
    others = [s for s in items if s["id"] not in seen]
    if not searched:
        others.sort(key=lambda s: swedish_sort_key(s["name"]))
    return matched, others


def build_router(pages: Pages) -> APIRouter:  # noqa: PLR0915 - the routes
    router = APIRouter()
    api = pages.api

    def need_page(
        request: Request, url: str, result: dict[str, Any], filters: dict[str, Any], cursor: str
    ) -> HTMLResponse:
        """One page of needs; the service pages forward by cursor, so: first and next."""
        return pages.render(
            request,
            "needs_list.html",
            needs=result["items"],
            filters=filters,
            **page_links(url, filters, cursor, result.get("next")),
            mine=url == "/needs/mine",
        )

    @router.get("/needs", response_class=HTMLResponse)
    async def needs_list(  # noqa: PLR0917 - query parameters
        request: Request,
        q: str | None = None,
        cpv: str | None = None,
        region: str | None = None,
        phase: str | None = None,
        cursor: str = "",
    ) -> Response:
        user = pages.require(request)
        filters = {"q": q, "cpv": cpv, "region": region, "phase": phase}
        params = {**filters, "cursor": cursor, "limit": NEEDS_PAGE}
        result = await api.call("needs", "GET", "/v1/needs", user.token, params=params)
        return need_page(request, "/needs", result, filters, cursor)

    @router.get("/needs/mine", response_class=HTMLResponse)
    async def needs_mine(request: Request, cursor: str = "") -> Response:
        user = pages.require(request, "buyer")
        # A page like the other lists: a page of 100 read four times the inbox-order
        # chunks, and a big buyer's page grew with its needs (36-48 ms at 100 000).
        params = {"cursor": cursor, "limit": NEEDS_PAGE}
        result = await api.call("needs", "GET", "/v1/needs/mine", user.token, params=params)
        return need_page(request, "/needs/mine", result, {}, cursor)

    @router.get("/needs/new", response_class=HTMLResponse)
    async def need_new(request: Request) -> Response:
        user = pages.require(request, "buyer")
        # The buyer's own municipality, as signed in, is where most of its needs are.
        values = {"municipality_code": user.municipality_code} if user.municipality_code else {}
        return pages.render(request, "need_new.html", values=values, error=None, preview=None)

    async def run_preview(user: User, values: dict[str, Any]) -> dict[str, Any] | None:
        """Matching's ranked solutions for a draft, or None when there is too little to ask."""
        codes, municipality_code = values["cpv_codes"], values["municipality_code"]
        if not (values["title"] or values["problem"]) or not codes or not municipality_code:
            return None
        body = {
            "title": values["title"] or values["problem"][:200],
            "problem": values["problem"] or values["title"],
            "cpv_codes": codes,
            "municipality_code": municipality_code,
            "tags": values["tags"],
            "language": values["language"],
        }
        try:
            result = await api.call("matching", "POST", "/v1/preview", user.token, json=body)
        except ApiError as exc:
            # The service's words are for integrators: the page says what to correct, in
            # the reader's language, from the refused fields and the values sent.
            return {
                "items": [],
                "refused": True,
                "errors": with_values(exc.errors, body),
                "unavailable": exc.status >= 500,
            }
        items = list(result.get("items", [])) if isinstance(result, dict) else []
        return {"items": items, "refused": False, "errors": [], "unavailable": False}

    @router.post("/needs/preview", response_class=HTMLResponse)
    async def need_preview(request: Request) -> Response:
        user = pages.require(request, "buyer")
        form = await pages.form_of(request)
        values = need_values(form)
        preview = await run_preview(user, values)
        if request.headers.get("hx-request") == "true":
            return pages.render(request, "_preview.html", preview=preview)
        return pages.render(request, "need_new.html", values=values, error=None, preview=preview)

    @router.post("/needs")
    async def need_create(request: Request) -> Response:
        user = pages.require(request, "buyer")
        form = await pages.form_of(request)
        values = need_values(form)
        body = {
            "title": values["title"],
            "problem": values["problem"],
            "cpv_codes": values["cpv_codes"],
            "municipality_code": values["municipality_code"],
            "language": values["language"],
            "tags": values["tags"],
        }
        try:
            need = await api.call("needs", "POST", "/v1/needs", user.token, json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            preview = await run_preview(user, values)
            return pages.render(
                request,
                "need_new.html",
                422,
                values=values,
                error=exc.detail,
                field_errors=exc.errors,
                preview=preview,
            )
        flash(request, Translator(pages.lang_of(request))("saved"))
        return back(f"/needs/{quote(need['id'], safe='')}")

    @router.get("/needs/{need_id}", response_class=HTMLResponse)
    async def need_detail(
        request: Request, need_id: str, solution_q: str | None = None
    ) -> Response:
        user = pages.require(request)
        path = f"/v1/needs/{quote(need_id, safe='')}"
        need = await api.call("needs", "GET", path, user.token)
        owner = user.role == "buyer" and need["buyer_org"] == user.org
        cosigned = any(c["org"] == user.org for c in need["cosigners"])
        searched = (solution_q or "").strip()
        choosing = owner and need["status"] == "published"
        # The need's matches and the catalogue (searched, or its first page) to choose the
        # implemented solution from do not depend on each other: asked at once.
        params: dict[str, Any] = {"limit": IMPLEMENTATION_CHOICES}
        if searched:
            params["q"] = searched
        matches_of = _matches(api, path, user.token) if owner or cosigned else _nothing()
        listed_of = (
            api.call("suppliers", "GET", "/v1/solutions", user.token, params=params)
            if choosing
            else _nothing()
        )
        matches, listed = await asyncio.gather(matches_of, listed_of)
        matches = matches or []
        matched, others = implementation_choices(matches, listed, searched=bool(searched))
        implemented = await _implemented(api, need, matches, listed, user.token)
        return pages.render(
            request,
            "need_detail.html",
            need=need,
            owner=owner,
            cosigned=cosigned,
            matches=matches,
            matched_solutions=matched,
            other_solutions=others,
            solution_q=searched,
            implemented=implemented,
            # The history names an implemented solution (its notes carry the id).
            implemented_by_id={i["solution_id"]: i for i in implemented},
            implementable=need["phase"] in IMPLEMENTABLE_PHASES,
            moves=forward_first(need["phase"], need.get("allowed_moves") or []),
            next_phase=next_phase(need["phase"]),
        )

    def need_action(action: str) -> Callable[[Request, str], Awaitable[Response]]:
        async def handler(request: Request, need_id: str) -> Response:
            user = pages.require(request, "buyer")
            form = await pages.form_of(request)
            path = f"/v1/needs/{quote(need_id, safe='')}/{action}"
            body: dict[str, Any] | None = None
            if action == "phase":
                body = {"phase": field(form, "phase"), "reason": field(form, "reason") or None}
            elif action == "implementation":
                body = {"solution_id": field(form, "solution_id")}
            elif action == "withdraw":
                body = {"reason": field(form, "reason") or None}
            return await pages.act(
                request,
                f"/needs/{quote(need_id, safe='')}",
                lambda: api.call("needs", "POST", path, user.token, json=body),
            )

        return handler

    for action in NEED_ACTIONS:
        router.post(f"/needs/{{need_id}}/{action}", name=f"need_{action}")(need_action(action))

    return router


async def _matches(api: Api, need_path: str, token: str) -> list[dict[str, Any]]:
    try:
        found = await api.call("needs", "GET", need_path + "/matches", token)
    except ApiError:
        return []
    items: list[dict[str, Any]] = found["items"]
    return items


async def _implemented(
    api: Api,
    need: dict[str, Any],
    matches: list[dict[str, Any]],
    listed: dict[str, Any] | None,
    token: str,
) -> list[dict[str, Any]]:
    """The need's implementations with their solutions' names and suppliers, from what
    the page read already or (a solution found in neither) read by id, all at once; a
    solution gone since keeps its id."""
    known: dict[str, dict[str, Any]] = {
        m["solution_id"]: {"name": m["solution_name"], "supplier_org": m["supplier_org"]}
        for m in matches
        if m.get("solution_id") and m.get("solution_name")
    }
    for item in (listed or {}).get("items", []):
        known.setdefault(item["id"], item)
    missing = [
        i["solution_id"] for i in need.get("implementations") or [] if i["solution_id"] not in known
    ]

    async def one(solution_id: str) -> None:
        try:
            known[solution_id] = await api.call(
                "suppliers", "GET", f"/v1/solutions/{quote(solution_id, safe='')}", token
            )
        except ApiError:
            pass

    await asyncio.gather(*(one(i) for i in dict.fromkeys(missing)))
    return [
        {
            **i,
            "name": known.get(i["solution_id"], {}).get("name"),
            "supplier_org": known.get(i["solution_id"], {}).get("supplier_org"),
        }
        for i in need.get("implementations") or []
    ]


async def _nothing() -> Any:
    return None
