"""A supplier's own solutions: the list, publishing, editing and retiring one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from ..api import ApiError
from ..i18n import Translator
from ..pages import PageError, Pages, back, field, page_links
from ..session import flash
from ..views import joined_lists, split_list

MY_SOLUTIONS_PAGE = 50  # the services page by cursor (`next`): items per page


def solution_body(form: FormData) -> dict[str, Any]:
    body = {
        "name": field(form, "name"),
        "description": field(form, "description"),
        "cpv_codes": joined_lists(form.getlist("cpv_codes")),
        "regions": joined_lists(form.getlist("regions")),
        "maturity": field(form, "maturity"),
        "tags": [v for v in form.getlist("tags") if isinstance(v, str)],
        "price_model": field(form, "price_model") or None,
        "languages": split_list(field(form, "languages")),
    }
    if not body["maturity"]:
        del body["maturity"]  # not chosen: the API names it as missing ("Choose a maturity")
    return body


def solution_values(form: FormData, body: dict[str, Any]) -> dict[str, Any]:
    """What the supplier sent, to show the form again: the lists as lists."""
    lists = {k: body[k] for k in ("tags", "cpv_codes", "regions")}
    return {k: field(form, k) for k in form} | lists


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    @router.get("/supplier/solutions", response_class=HTMLResponse)
    async def my_solutions(request: Request, cursor: str = "") -> Response:
        user = pages.require(request, "supplier")
        params = {
            "supplier": user.org,
            "include_retired": "true",
            "cursor": cursor,
            "limit": MY_SOLUTIONS_PAGE,
        }
        result = await api.call("suppliers", "GET", "/v1/solutions", user.token, params=params)
        links = page_links("/supplier/solutions", {}, cursor, result.get("next"))
        return pages.render(request, "my_solutions.html", solutions=result["items"], **links)

    @router.get("/supplier/solutions/new", response_class=HTMLResponse)
    async def solution_new(request: Request) -> Response:
        pages.require(request, "supplier")
        return pages.render(request, "solution_form.html", solution=None, values={}, error=None)

    @router.get("/supplier/solutions/{solution_id}/edit", response_class=HTMLResponse)
    async def solution_edit(request: Request, solution_id: str) -> Response:
        user = pages.require(request, "supplier")
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        solution = await api.call("suppliers", "GET", path, user.token)
        if solution["supplier_org"] != user.org:
            raise PageError(404, Translator(pages.lang_of(request))("not_found"))
        values = {**solution, "languages": ", ".join(solution.get("languages") or [])}
        return pages.render(
            request, "solution_form.html", solution=solution, values=values, error=None
        )

    @router.post("/supplier/solutions")
    async def solution_create(request: Request) -> Response:
        user = pages.require(request, "supplier")
        form = await pages.form_of(request)
        body = solution_body(form)
        try:
            created = await api.call("suppliers", "POST", "/v1/solutions", user.token, json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            values = solution_values(form, body)
            return pages.render(
                request,
                "solution_form.html",
                422,
                solution=None,
                values=values,
                error=exc.detail,
                field_errors=exc.errors,
            )
        flash(request, Translator(pages.lang_of(request))("saved"))
        return back(f"/solutions/{quote(created['id'], safe='')}")

    @router.post("/supplier/solutions/{solution_id}")
    async def solution_update(request: Request, solution_id: str) -> Response:
        user = pages.require(request, "supplier")
        form = await pages.form_of(request)
        body = solution_body(form)
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        try:
            await api.call("suppliers", "PATCH", path, user.token, json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            values = solution_values(form, body)
            solution = {"id": solution_id}
            return pages.render(
                request,
                "solution_form.html",
                422,
                solution=solution,
                values=values,
                error=exc.detail,
                field_errors=exc.errors,
            )
        flash(request, Translator(pages.lang_of(request))("saved"))
        return back(f"/solutions/{quote(solution_id, safe='')}")

    @router.post("/supplier/solutions/{solution_id}/retire")
    async def solution_retire(request: Request, solution_id: str) -> Response:
        user = pages.require(request, "supplier")
        await pages.form_of(request)
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        return await pages.act(
            request,
            "/supplier/solutions",
            lambda: api.call("suppliers", "DELETE", path, user.token),
        )

    return router
