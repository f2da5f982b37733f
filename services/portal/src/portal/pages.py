"""What every page's routes share: the signed-in user, rendering, forms, redirects.

`Pages` holds the portal's clients, templates and settings; each router in
`portal.routes` is built by a function that takes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from marketplace_contracts.process import ALL_PHASES, MATURITIES, PHASES, PRACTICE_TAGS

from .api import Api, ApiError
from .i18n import Lang, Translator
from .identity import IdentityProvider
from .session import check_csrf, flash, pop_flash, session_of
from .settings import PortalSettings
from .views import county_options, cpv, municipality_options, nuts_options, region_name


@dataclass(frozen=True)
class User:
    org: str
    role: str
    token: str
    municipality_code: str | None = None


class PageRedirect(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def safe_next(value: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


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


@dataclass(frozen=True)
class Pages:
    """The portal's shared clients, templates and settings, and the helpers over them."""

    settings: PortalSettings
    api: Api
    identity: IdentityProvider
    templates: Jinja2Templates
    node_modules: Path

    def lang_of(self, request: Request) -> Lang:
        lang = session_of(request).get("lang")
        return "en" if lang == "en" else "sv"

    def user_of(self, request: Request) -> User | None:
        s = session_of(request)
        if isinstance(s.get("token"), str):
            place = s.get("municipality_code")
            return User(
                org=str(s["org"]),
                role=str(s["role"]),
                token=str(s["token"]),
                municipality_code=place if isinstance(place, str) else None,
            )
        return None

    def require(self, request: Request, role: str | None = None) -> User:
        user = self.user_of(request)
        if user is None:
            t = Translator(self.lang_of(request))
            flash(request, t("err_signin_needed"))
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise PageRedirect("/signin?next=" + quote(target, safe=""))
        if role is not None and user.role != role:
            t = Translator(self.lang_of(request))
            raise PageError(403, t("err_role_needed", role=t(f"role_{role}")))
        return user

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = self.lang_of(request)
        t = Translator(lang)
        other: Lang = "en" if lang == "sv" else "sv"
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        base = {
            "t": t,
            "lang": lang,
            "other_lang": other,
            "lang_url": f"/lang/{other}?" + urlencode({"next": here}),
            "user": self.user_of(request),
            "csrf": session_of(request).get("csrf", ""),
            "flash": pop_flash(request),
            "path": request.url.path,
            "development": self.settings.environment != "production",
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
        return self.templates.TemplateResponse(
            request, name, {**base, **context}, status_code=status
        )

    async def form_of(self, request: Request) -> FormData:
        form = await request.form()
        if not check_csrf(request, form.get("csrf")):
            raise PageError(403, Translator(self.lang_of(request))("err_csrf"))
        return form

    def service_error(self, request: Request, exc: ApiError) -> None:
        flash(request, Translator(self.lang_of(request))("err_service", detail=exc.detail), "error")

    async def act(
        self, request: Request, url: str, call: Callable[[], Awaitable[Any]], ok: str = "saved"
    ) -> RedirectResponse:
        try:
            await call()
        except ApiError as exc:
            self.service_error(request, exc)
        else:
            flash(request, Translator(self.lang_of(request))(ok))
        return back(url)
