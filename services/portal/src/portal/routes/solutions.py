"""The catalogue of solutions: the list, a solution with its adoption, joining it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from ..i18n import Translator
from ..pages import Pages, page_links
from ..views import adoption_chart, adoption_series, by_county

SOLUTIONS_PAGE = 20  # the services page by cursor (`next`): items per page


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    @router.get("/solutions", response_class=HTMLResponse)
    async def solutions_list(
        request: Request,
        q: str | None = None,
        cpv: str | None = None,
        region: str | None = None,
        cursor: str = "",
    ) -> Response:
        user = pages.require(request)
        filters = {"q": q, "cpv": cpv, "region": region}
        params = {**filters, "cursor": cursor, "limit": SOLUTIONS_PAGE}
        result = await api.call("suppliers", "GET", "/v1/solutions", user.token, params=params)
        links = page_links("/solutions", filters, cursor, result.get("next"))
        return pages.render(
            request, "solutions_list.html", solutions=result["items"], filters=filters, **links
        )

    @router.get("/solutions/{solution_id}", response_class=HTMLResponse)
    async def solution_detail(request: Request, solution_id: str) -> Response:
        user = pages.require(request)
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        solution = await api.call("suppliers", "GET", path, user.token)
        t = Translator(pages.lang_of(request))
        points = adoption_series(solution["deployments"])
        joined = any(d["buyer_org"] == user.org for d in solution["deployments"])
        return pages.render(
            request,
            "solution_detail.html",
            solution=solution,
            counties=by_county(solution["deployments"]),
            chart=Markup(adoption_chart(solution["name"], points, t)),  # noqa: S704 - escaped
            points=points,
            joined=joined,
        )

    @router.post("/solutions/{solution_id}/join")
    async def solution_join(request: Request, solution_id: str) -> Response:
        user = pages.require(request, "buyer")
        await pages.form_of(request)
        body = {"solution_id": solution_id}
        return await pages.act(
            request,
            f"/solutions/{quote(solution_id, safe='')}",
            lambda: api.call("needs", "POST", "/v1/adoptions", user.token, json=body),
            ok="joined",
        )

    return router
