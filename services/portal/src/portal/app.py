"""The portal's pages: FastAPI routes rendering Jinja2 templates over the services' APIs.

Reading works without JavaScript; htmx (from npm, served from node_modules) adds the live
preview while a buyer drafts a need and the CPV code picker's search and suggestions (HTML
fragments over the needs service's reference API), and a few lines of `portal.js` add the
picker's chips and the live inbox (server-sent events relayed from the needs or suppliers
service). Without JavaScript, CPV codes are typed into a text field instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sse_starlette import EventSourceResponse
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketplace_contracts.process import ALL_PHASES, MATURITIES, PHASES, PRACTICE_TAGS
from marketplace_contracts.reference import swedish_sort_key

from .api import Api, ApiError
from .i18n import LANGS, Lang, Translator
from .identity import DevSignIn, IdentityProvider, SignInRefused
from .session import (
    SessionMiddleware,
    check_csrf,
    flash,
    pop_flash,
    session_of,
    sign_in,
    sign_out,
)
from .settings import PortalSettings
from .views import (
    adoption_chart,
    adoption_series,
    by_county,
    county_options,
    cpv,
    cpv_option,
    joined_lists,
    municipality_options,
    nuts_options,
    region_name,
    split_list,
)

HERE = Path(__file__).resolve().parent
CPV_PAGE = 20  # codes per page of the CPV picker's search
# Lists the services page by cursor (`next`): items per page of each.
SOLUTIONS_PAGE = 20
MY_SOLUTIONS_PAGE = 50
INBOX_PAGE = 50
SUBSCRIPTIONS_PAGE = 50  # a supplier holds at most 100
IMPLEMENTATION_CHOICES = 100  # the catalogue's first page, after the need's matches
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


@dataclass(frozen=True)
class User:
    org: str
    role: str
    token: str


class PageRedirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def default_node_modules() -> Path:
    # services/portal/src/portal -> services/portal/node_modules
    return HERE.parents[1] / "node_modules"


def safe_next(value: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def build(settings: PortalSettings | None = None) -> FastAPI:  # noqa: PLR0915 - the routes
    settings = settings or PortalSettings()
    if settings.dev_signin and settings.environment == "production":
        raise ValueError("PORTAL_DEV_SIGNIN must be false in production: plug in OIDC")
    identity: IdentityProvider = DevSignIn(
        settings.jwt_secret.get_secret_value(), settings.jwt_issuer
    )
    api = Api(
        settings.needs_url,
        settings.suppliers_url,
        settings.matching_url,
        settings.upstream_timeout_s,
    )
    node_modules = Path(settings.node_modules) if settings.node_modules else default_node_modules()
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await api.close()

    app = FastAPI(title="Marketplace portal", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # --- helpers ---------------------------------------------------------------------------

    def lang_of(request: Request) -> Lang:
        lang = session_of(request).get("lang")
        return "en" if lang == "en" else "sv"

    def user_of(request: Request) -> User | None:
        s = session_of(request)
        if isinstance(s.get("token"), str):
            return User(org=str(s["org"]), role=str(s["role"]), token=str(s["token"]))
        return None

    def require(request: Request, role: str | None = None) -> User:
        user = user_of(request)
        if user is None:
            t = Translator(lang_of(request))
            flash(request, t("err_signin_needed"))
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise PageRedirect("/signin?next=" + quote(target, safe=""))
        if role is not None and user.role != role:
            t = Translator(lang_of(request))
            raise PageError(403, t("err_role_needed", role=t(f"role_{role}")))
        return user

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = lang_of(request)
        t = Translator(lang)
        other: Lang = "en" if lang == "sv" else "sv"
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        base = {
            "t": t,
            "lang": lang,
            "other_lang": other,
            "lang_url": f"/lang/{other}?" + urlencode({"next": here}),
            "user": user_of(request),
            "csrf": session_of(request).get("csrf", ""),
            "flash": pop_flash(request),
            "path": request.url.path,
            "phases": PHASES,
            "all_phases": [p for p in ALL_PHASES if p != "withdrawn"],
            "maturities": MATURITIES,
            "practice_tags": list(PRACTICE_TAGS),
            "county_options": county_options(),
            "municipality_options": municipality_options(),
            "nuts_options": nuts_options(),
            "region_name": lambda code: region_name(code, t),
            "cpv": lambda code: cpv(code, lang),
        }
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    async def form_of(request: Request) -> FormData:
        form = await request.form()
        if not check_csrf(request, form.get("csrf")):
            raise PageError(403, Translator(lang_of(request))("err_csrf"))
        return form

    def field(form: FormData, name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def service_error(request: Request, exc: ApiError) -> None:
        flash(request, Translator(lang_of(request))("err_service", detail=exc.detail), "error")

    async def act(
        request: Request, url: str, call: Callable[[], Awaitable[Any]], ok: str = "saved"
    ) -> RedirectResponse:
        try:
            await call()
        except ApiError as exc:
            service_error(request, exc)
        else:
            flash(request, Translator(lang_of(request))(ok))
        return back(url)

    # --- errors ----------------------------------------------------------------------------

    @app.exception_handler(PageRedirect)
    async def _redirect(_: Request, exc: PageRedirect) -> Response:
        return back(exc.url)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html", exc.status, message=exc.message)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        t = Translator(lang_of(request))
        if exc.status == 401:
            sign_out(request)
            flash(request, t("err_signin_needed"))
            return back("/signin")
        if exc.status == 404:
            return render(request, "error.html", 404, message=t("not_found"))
        return render(
            request, "error.html", exc.status, message=t("err_service", detail=exc.detail)
        )

    @app.exception_handler(404)
    async def _not_found(request: Request, _: Exception) -> Response:
        return render(request, "error.html", 404, message=Translator(lang_of(request))("not_found"))

    # --- general ---------------------------------------------------------------------------

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "portal"})

    @app.get("/assets/{package}.js", include_in_schema=False)
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

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return render(request, "home.html")

    @app.get("/lang/{lang}")
    async def set_language(request: Request, lang: str, next: str | None = None) -> Response:
        if lang in LANGS:
            session_of(request)["lang"] = lang
        return back(safe_next(next))

    @app.get("/signin", response_class=HTMLResponse)
    async def signin_page(request: Request, next: str | None = None) -> Response:
        return render(request, "signin.html", next=safe_next(next), error=None, values={})

    @app.post("/signin")
    async def signin(request: Request) -> Response:
        form = await form_of(request)
        values = {k: field(form, k) for k in ("org", "role", "municipality_code")}
        if not settings.dev_signin:
            raise PageError(404, Translator(lang_of(request))("not_found"))
        try:
            signed = identity.sign_in(values)
        except SignInRefused as exc:
            return render(
                request,
                "signin.html",
                422,
                next=safe_next(field(form, "next")),
                error={"field": exc.field, "message": f"err_{exc.args[0]}"},
                values=values,
            )
        sign_in(request, signed.token, signed.org, signed.role)
        return back(safe_next(field(form, "next")))

    @app.post("/signout")
    async def signout(request: Request) -> Response:
        await form_of(request)
        sign_out(request)
        return back("/")

    # --- CPV codes: the picker's results, as HTML fragments for htmx -----------------------

    def cpv_results(request: Request, **context: Any) -> HTMLResponse:
        context = {"results": None, "notice": None, "more_url": None, "continued": False} | context
        return render(request, "_cpv_results.html", **context)

    def cpv_failure(request: Request, exc: ApiError) -> HTMLResponse:
        t = Translator(lang_of(request))
        notice = t("cpv_unavailable") if exc.status >= 500 else t("err_service", detail=exc.detail)
        return cpv_results(request, notice=notice)

    @app.get("/cpv/search", response_class=HTMLResponse)
    async def cpv_search(
        request: Request, q: str = "", parent: str = "", cursor: str = ""
    ) -> Response:
        """Codes by words of their label or by digits of the code, or a code's sub-codes."""
        user = require(request)
        q, parent, lang = q.strip(), parent.strip(), lang_of(request)
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

    @app.post("/cpv/suggest", response_class=HTMLResponse)
    async def cpv_suggest(request: Request) -> Response:
        """Codes the needs service suggests for the title and problem typed so far."""
        user = require(request)
        form = await form_of(request)
        title, problem, lang = field(form, "title"), field(form, "problem"), lang_of(request)
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

    # --- needs -----------------------------------------------------------------------------

    def need_page(
        request: Request, url: str, result: dict[str, Any], filters: dict[str, Any], cursor: str
    ) -> HTMLResponse:
        """One page of needs; the service pages forward by cursor, so: first and next."""
        query = urlencode({k: v for k, v in filters.items() if v})
        base = f"{url}?{query}{'&' if query else ''}"
        following = result.get("next")
        return render(
            request,
            "needs_list.html",
            needs=result["items"],
            filters=filters,
            first_url=base.rstrip("?&") if cursor else None,
            next_url=base + urlencode({"cursor": following}) if following else None,
            mine=url == "/needs/mine",
        )

    @app.get("/needs", response_class=HTMLResponse)
    async def needs_list(  # noqa: PLR0917 - query parameters
        request: Request,
        q: str | None = None,
        cpv: str | None = None,
        region: str | None = None,
        phase: str | None = None,
        cursor: str = "",
    ) -> Response:
        user = require(request)
        filters = {"q": q, "cpv": cpv, "region": region, "phase": phase}
        params = {**filters, "cursor": cursor, "limit": 20}
        result = await api.call("needs", "GET", "/v1/needs", user.token, params=params)
        return need_page(request, "/needs", result, filters, cursor)

    @app.get("/needs/mine", response_class=HTMLResponse)
    async def needs_mine(request: Request, cursor: str = "") -> Response:
        user = require(request, "buyer")
        params = {"cursor": cursor, "limit": 100}
        result = await api.call("needs", "GET", "/v1/needs/mine", user.token, params=params)
        return need_page(request, "/needs/mine", result, {}, cursor)

    def need_values(form: FormData) -> dict[str, Any]:
        return {
            "title": field(form, "title"),
            "problem": field(form, "problem"),
            "cpv_codes": joined_lists(form.getlist("cpv_codes")),
            "municipality_code": field(form, "municipality_code"),
            "language": field(form, "language") or "sv",
            "tags": [v for v in form.getlist("tags") if isinstance(v, str)],
        }

    @app.get("/needs/new", response_class=HTMLResponse)
    async def need_new(request: Request) -> Response:
        require(request, "buyer")
        return render(request, "need_new.html", values={}, error=None, preview=None)

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
            return {"items": [], "error": exc.detail, "unavailable": exc.status >= 500}
        items = list(result.get("items", [])) if isinstance(result, dict) else []
        return {"items": items, "error": None, "unavailable": False}

    @app.post("/needs/preview", response_class=HTMLResponse)
    async def need_preview(request: Request) -> Response:
        user = require(request, "buyer")
        form = await form_of(request)
        values = need_values(form)
        preview = await run_preview(user, values)
        if request.headers.get("hx-request") == "true":
            return render(request, "_preview.html", preview=preview)
        return render(request, "need_new.html", values=values, error=None, preview=preview)

    @app.post("/needs")
    async def need_create(request: Request) -> Response:
        user = require(request, "buyer")
        form = await form_of(request)
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
            return render(
                request, "need_new.html", 422, values=values, error=exc.detail, preview=preview
            )
        flash(request, Translator(lang_of(request))("saved"))
        return back(f"/needs/{quote(need['id'], safe='')}")

    @app.get("/needs/{need_id}", response_class=HTMLResponse)
    async def need_detail(request: Request, need_id: str) -> Response:
        user = require(request)
        path = f"/v1/needs/{quote(need_id, safe='')}"
        need = await api.call("needs", "GET", path, user.token)
        owner = user.role == "buyer" and need["buyer_org"] == user.org
        cosigned = any(c["org"] == user.org for c in need["cosigners"])
        matches: list[dict[str, Any]] = []
        if owner or cosigned:
            try:
                found = await api.call("needs", "GET", path + "/matches", user.token)
                matches = found["items"]
            except ApiError:
                matches = []
        solutions: list[dict[str, Any]] = []
        if owner and need["status"] == "published":
            # The solutions to choose the implemented one from: those matched to the need,
            # then the catalogue's first page (it pages by cursor; no total is counted).
            params = {"limit": IMPLEMENTATION_CHOICES}
            listed = await api.call("suppliers", "GET", "/v1/solutions", user.token, params=params)
            matched = [
                {
                    "id": m["solution_id"],
                    "name": m["solution_name"],
                    "supplier_org": m["supplier_org"],
                }
                for m in matches
                if m.get("solution_id") and m.get("solution_name")
            ]
            chosen: dict[str, dict[str, Any]] = {}
            for s in [*matched, *listed["items"]]:
                chosen.setdefault(s["id"], s)
            solutions = sorted(chosen.values(), key=lambda s: swedish_sort_key(s["name"]))
        return render(
            request,
            "need_detail.html",
            need=need,
            owner=owner,
            cosigned=cosigned,
            matches=matches,
            solutions=solutions,
        )

    def need_action(action: str) -> Callable[[Request, str], Awaitable[Response]]:
        async def handler(request: Request, need_id: str) -> Response:
            user = require(request, "buyer")
            form = await form_of(request)
            path = f"/v1/needs/{quote(need_id, safe='')}/{action}"
            body: dict[str, Any] | None = None
            if action == "phase":
                body = {"phase": field(form, "phase"), "reason": field(form, "reason") or None}
            elif action == "implementation":
                body = {"solution_id": field(form, "solution_id")}
            elif action == "withdraw":
                body = {"reason": field(form, "reason") or None}
            return await act(
                request,
                f"/needs/{quote(need_id, safe='')}",
                lambda: api.call("needs", "POST", path, user.token, json=body),
            )

        return handler

    for action in ("publish", "phase", "withdraw", "cosign", "implementation"):
        app.post(f"/needs/{{need_id}}/{action}", name=f"need_{action}")(need_action(action))

    # --- solutions -------------------------------------------------------------------------

    def page_links(
        url: str, filters: dict[str, Any], cursor: str, following: str | None
    ) -> dict[str, Any]:
        """A list that the service pages forward by cursor: links to its first and next
        pages (`first_url`, `next_url`, for `_pager.html`)."""
        query = urlencode({k: v for k, v in filters.items() if v})
        base = f"{url}?{query}{'&' if query else ''}"
        return {
            "first_url": base.rstrip("?&") if cursor else None,
            "next_url": base + urlencode({"cursor": following}) if following else None,
        }

    @app.get("/solutions", response_class=HTMLResponse)
    async def solutions_list(
        request: Request,
        q: str | None = None,
        cpv: str | None = None,
        region: str | None = None,
        cursor: str = "",
    ) -> Response:
        user = require(request)
        filters = {"q": q, "cpv": cpv, "region": region}
        params = {**filters, "cursor": cursor, "limit": SOLUTIONS_PAGE}
        result = await api.call("suppliers", "GET", "/v1/solutions", user.token, params=params)
        links = page_links("/solutions", filters, cursor, result.get("next"))
        return render(
            request, "solutions_list.html", solutions=result["items"], filters=filters, **links
        )

    @app.get("/solutions/{solution_id}", response_class=HTMLResponse)
    async def solution_detail(request: Request, solution_id: str) -> Response:
        user = require(request)
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        solution = await api.call("suppliers", "GET", path, user.token)
        t = Translator(lang_of(request))
        points = adoption_series(solution["deployments"])
        joined = any(d["buyer_org"] == user.org for d in solution["deployments"])
        return render(
            request,
            "solution_detail.html",
            solution=solution,
            counties=by_county(solution["deployments"]),
            chart=Markup(adoption_chart(solution["name"], points, t)),  # noqa: S704 - escaped
            points=points,
            joined=joined,
        )

    @app.post("/solutions/{solution_id}/join")
    async def solution_join(request: Request, solution_id: str) -> Response:
        user = require(request, "buyer")
        await form_of(request)
        body = {"solution_id": solution_id}
        return await act(
            request,
            f"/solutions/{quote(solution_id, safe='')}",
            lambda: api.call("needs", "POST", "/v1/adoptions", user.token, json=body),
            ok="joined",
        )

    # --- inbox -----------------------------------------------------------------------------

    def inbox_service(user: User) -> str:
        if user.role == "buyer":
            return "needs"
        if user.role == "supplier":
            return "suppliers"
        raise PageError(403, Translator("sv")("err_role_needed", role="buyer/supplier"))

    @app.get("/inbox", response_class=HTMLResponse)
    async def inbox(request: Request, cursor: str = "") -> Response:
        user = require(request)
        service = inbox_service(user)
        params = {"limit": INBOX_PAGE, "cursor": cursor}
        result = await api.call(service, "GET", "/v1/inbox", user.token, params=params)
        links = page_links("/inbox", {}, cursor, result.get("next"))
        return render(request, "inbox.html", entries=result["items"], **links)

    @app.post("/inbox/{entry_id}/read")
    async def inbox_read(request: Request, entry_id: str) -> Response:
        user = require(request)
        service = inbox_service(user)
        await form_of(request)
        path = f"/v1/inbox/{quote(entry_id, safe='')}/read"
        return await act(request, "/inbox", lambda: api.call(service, "POST", path, user.token))

    @app.get("/inbox/stream")
    async def inbox_stream(request: Request) -> Response:
        user = require(request)
        service = inbox_service(user)
        t = Translator(lang_of(request))
        fragment = templates.get_template("_entry.html")

        async def events() -> AsyncIterator[dict[str, str]]:
            try:
                async for event in api.stream(service, "/v1/inbox/stream", user.token):
                    if event.get("event") == "ready":
                        yield {"event": "ready", "data": "{}"}
                        continue
                    entry = json.loads(event["data"])
                    html = fragment.render(entry=entry, t=t, user=user, csrf="")
                    yield {"event": "entry", "id": str(entry.get("id", "")), "data": html}
            except ApiError as exc:
                yield {"event": "failed", "data": exc.detail}

        return EventSourceResponse(events(), ping=15)

    # --- supplier pages --------------------------------------------------------------------

    def solution_body(form: FormData) -> dict[str, Any]:
        return {
            "name": field(form, "name"),
            "description": field(form, "description"),
            "cpv_codes": joined_lists(form.getlist("cpv_codes")),
            "regions": joined_lists(form.getlist("regions")),
            "maturity": field(form, "maturity"),
            "tags": [v for v in form.getlist("tags") if isinstance(v, str)],
            "price_model": field(form, "price_model") or None,
            "languages": split_list(field(form, "languages")),
        }

    def solution_values(form: FormData, body: dict[str, Any]) -> dict[str, Any]:
        """What the supplier sent, to show the form again: the lists as lists."""
        lists = {k: body[k] for k in ("tags", "cpv_codes", "regions")}
        return {k: field(form, k) for k in form} | lists

    @app.get("/supplier/solutions", response_class=HTMLResponse)
    async def my_solutions(request: Request, cursor: str = "") -> Response:
        user = require(request, "supplier")
        params = {
            "supplier": user.org,
            "include_retired": "true",
            "cursor": cursor,
            "limit": MY_SOLUTIONS_PAGE,
        }
        result = await api.call("suppliers", "GET", "/v1/solutions", user.token, params=params)
        links = page_links("/supplier/solutions", {}, cursor, result.get("next"))
        return render(request, "my_solutions.html", solutions=result["items"], **links)

    @app.get("/supplier/solutions/new", response_class=HTMLResponse)
    async def solution_new(request: Request) -> Response:
        require(request, "supplier")
        return render(request, "solution_form.html", solution=None, values={}, error=None)

    @app.get("/supplier/solutions/{solution_id}/edit", response_class=HTMLResponse)
    async def solution_edit(request: Request, solution_id: str) -> Response:
        user = require(request, "supplier")
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        solution = await api.call("suppliers", "GET", path, user.token)
        if solution["supplier_org"] != user.org:
            raise PageError(404, Translator(lang_of(request))("not_found"))
        values = {**solution, "languages": ", ".join(solution.get("languages") or [])}
        return render(request, "solution_form.html", solution=solution, values=values, error=None)

    @app.post("/supplier/solutions")
    async def solution_create(request: Request) -> Response:
        user = require(request, "supplier")
        form = await form_of(request)
        body = solution_body(form)
        try:
            created = await api.call("suppliers", "POST", "/v1/solutions", user.token, json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            values = solution_values(form, body)
            return render(
                request, "solution_form.html", 422, solution=None, values=values, error=exc.detail
            )
        flash(request, Translator(lang_of(request))("saved"))
        return back(f"/solutions/{quote(created['id'], safe='')}")

    @app.post("/supplier/solutions/{solution_id}")
    async def solution_update(request: Request, solution_id: str) -> Response:
        user = require(request, "supplier")
        form = await form_of(request)
        body = solution_body(form)
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        try:
            await api.call("suppliers", "PATCH", path, user.token, json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            values = solution_values(form, body)
            solution = {"id": solution_id}
            return render(
                request,
                "solution_form.html",
                422,
                solution=solution,
                values=values,
                error=exc.detail,
            )
        flash(request, Translator(lang_of(request))("saved"))
        return back(f"/solutions/{quote(solution_id, safe='')}")

    @app.post("/supplier/solutions/{solution_id}/retire")
    async def solution_retire(request: Request, solution_id: str) -> Response:
        user = require(request, "supplier")
        await form_of(request)
        path = f"/v1/solutions/{quote(solution_id, safe='')}"
        return await act(
            request,
            "/supplier/solutions",
            lambda: api.call("suppliers", "DELETE", path, user.token),
        )

    @app.get("/supplier/subscriptions", response_class=HTMLResponse)
    async def subscriptions(request: Request, cursor: str = "") -> Response:
        user = require(request, "supplier")
        params = {"cursor": cursor, "limit": SUBSCRIPTIONS_PAGE}
        result = await api.call("suppliers", "GET", "/v1/subscriptions", user.token, params=params)
        links = page_links("/supplier/subscriptions", {}, cursor, result.get("next"))
        return render(request, "subscriptions.html", subscriptions=result["items"], **links)

    @app.post("/supplier/subscriptions")
    async def subscription_create(request: Request) -> Response:
        user = require(request, "supplier")
        form = await form_of(request)
        phases = [v for v in form.getlist("phases") if isinstance(v, str)]
        region = field(form, "region")
        body = {
            "cpv_prefixes": split_list(field(form, "cpv_prefixes")) or None,
            "regions": [region] if region else None,
            "keywords": split_list(field(form, "keywords")) or None,
            "phases": phases or None,
        }
        return await act(
            request,
            "/supplier/subscriptions",
            lambda: api.call("suppliers", "POST", "/v1/subscriptions", user.token, json=body),
        )

    @app.post("/supplier/subscriptions/{subscription_id}/delete")
    async def subscription_delete(request: Request, subscription_id: str) -> Response:
        user = require(request, "supplier")
        await form_of(request)
        path = f"/v1/subscriptions/{quote(subscription_id, safe='')}"
        return await act(
            request,
            "/supplier/subscriptions",
            lambda: api.call("suppliers", "DELETE", path, user.token),
        )

    @app.get("/supplier/webhooks", response_class=HTMLResponse)
    async def webhooks(request: Request) -> Response:
        user = require(request, "supplier")
        result = await api.call("suppliers", "GET", "/v1/webhooks", user.token)  # all, <= 10

        async def latest_deliveries(hook: dict[str, Any]) -> dict[str, Any]:
            path = f"/v1/webhooks/{quote(hook['id'], safe='')}/deliveries"
            found = await api.call("suppliers", "GET", path, user.token, params={"limit": 10})
            return {**hook, "deliveries": found["items"]}

        hooks = await asyncio.gather(*(latest_deliveries(h) for h in result["items"]))
        return render(request, "webhooks.html", webhooks=hooks)

    @app.post("/supplier/webhooks")
    async def webhook_create(request: Request) -> Response:
        user = require(request, "supplier")
        form = await form_of(request)
        body = {"url": field(form, "url"), "secret": field(form, "secret")}
        return await act(
            request,
            "/supplier/webhooks",
            lambda: api.call("suppliers", "POST", "/v1/webhooks", user.token, json=body),
        )

    @app.post("/supplier/webhooks/{webhook_id}/{action}")
    async def webhook_action(request: Request, webhook_id: str, action: str) -> Response:
        user = require(request, "supplier")
        await form_of(request)
        path = f"/v1/webhooks/{quote(webhook_id, safe='')}"
        if action == "delete":
            method = "DELETE"
        elif action == "resume":
            method, path = "POST", path + "/resume"
        else:
            raise PageError(404, Translator(lang_of(request))("not_found"))
        return await act(
            request,
            "/supplier/webhooks",
            lambda: api.call("suppliers", method, path, user.token),
        )

    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        SessionMiddleware,
        key=settings.session_key(),
        max_age_s=settings.session_max_age_s,
        secure=settings.cookie_secure,
    )
    return app
