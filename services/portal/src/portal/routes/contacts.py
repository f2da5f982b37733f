"""The signed-in organisation's e-mail contacts (the notifications service): adding one,
sending its verification again, removing it, and what each receives, per kind."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..api import ApiError
from ..i18n import Translator
from ..pages import PageError, Pages, User, back, field
from ..session import flash
from .needs import with_values

# The kinds of e-mail and how often, as the notifications service names them, and what a
# kind gets while a contact has no rule for it (notifications.domain.preferences: a test
# checks that the two agree).
KINDS: Final = ("matches", "alerts", "scaling")
CADENCES: Final = ("immediate", "daily", "weekly", "off")
DEFAULT_CADENCE: Final = {"matches": "daily", "alerts": "immediate", "scaling": "immediate"}
DEFAULT_TIME_ZONE: Final = "Europe/Stockholm"


def organisation(pages: Pages, request: Request) -> User:
    """A signed-in buyer or supplier: the organisation whose contacts these are."""
    user = pages.require(request)
    if user.role not in ("buyer", "supplier"):
        t = Translator(pages.lang_of(request))
        roles = f"{t('role_buyer')} / {t('role_supplier')}"
        raise PageError(403, t("err_role_needed", role=roles))
    return user


def contact_view(contact: dict[str, Any]) -> dict[str, Any]:
    """A contact with its general choice per kind (a rule with no scope, else the kind's
    default) and the number of choices for single needs or subscriptions."""
    rules = [p for p in contact.get("preferences") or [] if isinstance(p, dict)]
    general = {p["kind"]: p["cadence"] for p in rules if p.get("scope") is None}
    return {
        **contact,
        "cadences": {kind: general.get(kind, DEFAULT_CADENCE[kind]) for kind in KINDS},
        "scoped": sum(1 for p in rules if p.get("scope") is not None),
    }


def general_rules(current: list[dict[str, Any]], chosen: dict[str, str]) -> list[dict[str, Any]]:
    """The rules to save: those for a single need or subscription as they are, and one
    general rule (scope null) per kind chosen."""
    scoped = [
        {"kind": p["kind"], "scope": p["scope"], "cadence": p["cadence"]}
        for p in current
        if p.get("scope") is not None
    ]
    general = [
        {"kind": kind, "scope": None, "cadence": chosen[kind]} for kind in KINDS if chosen.get(kind)
    ]
    return [*general, *scoped]


def build_router(pages: Pages) -> APIRouter:
    router = APIRouter()
    api = pages.api

    async def render(
        request: Request,
        user: User,
        status: int = 200,
        values: dict[str, str] | None = None,
        error: ApiError | None = None,
    ) -> Response:
        found = await api.call("notifications", "GET", "/v1/contacts", user.token)
        return pages.render(
            request,
            "contacts.html",
            status,
            contacts=[contact_view(c) for c in found["items"]],
            values=values or {"language": pages.lang_of(request)},
            default_time_zone=DEFAULT_TIME_ZONE,
            kinds=KINDS,
            cadences=CADENCES,
            error=error.detail if error else None,
            field_errors=error.errors if error else [],
        )

    @router.get("/contacts", response_class=HTMLResponse)
    async def contacts(request: Request) -> Response:
        return await render(request, organisation(pages, request))

    @router.post("/contacts")
    async def contact_add(request: Request) -> Response:
        user = organisation(pages, request)
        form = await pages.form_of(request)
        values = {
            "name": field(form, "name"),
            "email": field(form, "email"),
            "language": field(form, "language") or "sv",
            "time_zone": field(form, "time_zone"),
        }
        body = {**values, "time_zone": values["time_zone"] or None}
        try:
            contact = await api.call("notifications", "POST", "/v1/contacts", user.token, json=body)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            exc.errors = with_values(exc.errors, values)
            return await render(request, user, 422, values=values, error=exc)
        t = Translator(pages.lang_of(request))
        key = "contact_added_verified" if contact.get("verified") else "contact_added"
        flash(request, t(key, name=contact["name"], email=contact["email"]))
        return back("/contacts")

    async def contact_action(
        request: Request, contact_id: str, method: str, suffix: str, ok: str
    ) -> Response:
        user = organisation(pages, request)
        await pages.form_of(request)
        path = f"/v1/contacts/{quote(contact_id, safe='')}{suffix}"
        return await pages.act(
            request,
            "/contacts",
            lambda: api.call("notifications", method, path, user.token),
            ok=ok,
        )

    @router.post("/contacts/{contact_id}/verification")
    async def contact_resend(request: Request, contact_id: str) -> Response:
        return await contact_action(
            request, contact_id, "POST", "/verification", "verification_sent"
        )

    @router.post("/contacts/{contact_id}/delete")
    async def contact_remove(request: Request, contact_id: str) -> Response:
        return await contact_action(request, contact_id, "DELETE", "", "contact_removed")

    @router.post("/contacts/{contact_id}/preferences")
    async def contact_preferences(request: Request, contact_id: str) -> Response:
        user = organisation(pages, request)
        form = await pages.form_of(request)
        chosen = {kind: field(form, kind) for kind in KINDS}
        path = f"/v1/contacts/{quote(contact_id, safe='')}"

        async def save() -> None:
            contact = await api.call("notifications", "GET", path, user.token)
            rules = general_rules(contact.get("preferences") or [], chosen)
            body = {"preferences": rules}
            await api.call("notifications", "PUT", path + "/preferences", user.token, json=body)

        return await pages.act(request, "/contacts", save)

    return router
