"""The notifications HTTP API: an organisation's contacts and their preferences, the
verification and unsubscribe links (no token: they are signed), and in development the
captured mail and a digest run at a chosen time."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response, status
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, BaseModel, Field

from marketplace_platform.auth import Principal, require_role
from marketplace_platform.errors import NotFound

from ..adapters.captured import CapturedMail
from ..domain.links import BadLink
from ..service import compose
from ..service.contacts import Contacts
from ..service.sender import Sender

Organisation = Annotated[Principal, require_role("buyer", "supplier")]


class ContactIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["Anna Lind"])
    email: str = Field(min_length=3, max_length=320, examples=["anna.lind@karlstad.se"])
    language: Literal["sv", "en"] = "sv"
    time_zone: str | None = Field(None, examples=["Europe/Stockholm"])


class ContactPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=3, max_length=320)
    language: Literal["sv", "en"] | None = None
    time_zone: str | None = None


class PreferenceIn(BaseModel):
    kind: Literal["matches", "alerts", "scaling"]
    scope: str | None = Field(
        None,
        max_length=100,
        description="a need (matches, scaling), solution (a supplier's matches) or "
        "subscription (alerts) id; null for every one of the kind",
    )
    cadence: Literal["immediate", "daily", "weekly", "off"]


class PreferencesIn(BaseModel):
    preferences: list[PreferenceIn] = Field(max_length=200)


class DigestRun(BaseModel):
    at: AwareDatetime = Field(description="send every digest due at this instant")


def build_router(
    contacts: Contacts,
    sender: Sender,
    *,
    portal_url: str,
    development: bool,
    captured: CapturedMail | None,
) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post(
        "/contacts",
        tags=["contacts"],
        status_code=status.HTTP_201_CREATED,
        summary="Add a contact; a verification message goes to the address",
    )
    async def add_contact(body: ContactIn, who: Organisation) -> dict[str, Any]:
        return await contacts.add(
            who.org,
            name=body.name,
            email=body.email,
            language=body.language,
            time_zone=body.time_zone,
        )

    @router.get("/contacts", tags=["contacts"], summary="This organisation's contacts")
    async def list_contacts(who: Organisation) -> dict[str, Any]:
        return {"items": await contacts.list_for(who.org), "next": None}

    @router.get("/contacts/{contact_id}", tags=["contacts"])
    async def get_contact(contact_id: str, who: Organisation) -> dict[str, Any]:
        return await contacts.get(who.org, contact_id)

    @router.patch(
        "/contacts/{contact_id}",
        tags=["contacts"],
        summary="Change name, language, time zone or address (verified again)",
    )
    async def change_contact(
        contact_id: str, body: ContactPatch, who: Organisation
    ) -> dict[str, Any]:
        return await contacts.change(who.org, contact_id, body.model_dump(exclude_unset=True))

    @router.put(
        "/contacts/{contact_id}/preferences",
        tags=["contacts"],
        summary="What the contact receives, per kind and need or subscription",
    )
    async def set_preferences(
        contact_id: str, body: PreferencesIn, who: Organisation
    ) -> dict[str, Any]:
        raw = [p.model_dump() for p in body.preferences]
        return await contacts.set_preferences(who.org, contact_id, raw)

    @router.post(
        "/contacts/{contact_id}/verification",
        tags=["contacts"],
        status_code=status.HTTP_202_ACCEPTED,
        summary="Send the verification message again",
    )
    async def resend(contact_id: str, who: Organisation) -> dict[str, Any]:
        return await contacts.resend_verification(who.org, contact_id)

    @router.delete(
        "/contacts/{contact_id}", tags=["contacts"], status_code=status.HTTP_204_NO_CONTENT
    )
    async def remove(contact_id: str, who: Organisation) -> Response:
        await contacts.remove(who.org, contact_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    # --- links from messages: no token, signed -------------------------------------------

    def bad_link(lang: Literal["sv", "en"] = "sv") -> HTMLResponse:
        text = compose.say(lang, "page_bad_link_text")
        return HTMLResponse(compose.page(lang, "page_bad_link", text, portal_url), status_code=400)

    @router.get(
        "/verify",
        tags=["links"],
        response_class=HTMLResponse,
        summary="Confirm an address (the link of the verification message)",
    )
    async def verify(token: Annotated[str, Query(max_length=4000)]) -> HTMLResponse:
        try:
            contact = await contacts.verify(token)
        except (BadLink, NotFound):
            return bad_link()
        lang = contact["language"]
        text = compose.say(lang, "page_verified_text", email=contact["email"])
        return HTMLResponse(compose.page(lang, "page_verified", text, portal_url))

    @router.get(
        "/unsubscribe",
        tags=["links"],
        response_class=HTMLResponse,
        summary="Ask before unsubscribing (a link scanner's GET changes nothing)",
    )
    async def unsubscribe_page(token: Annotated[str, Query(max_length=4000)]) -> HTMLResponse:
        try:
            stop = contacts.read_unsubscribe(token)
            contact = await contacts.get(stop.org, stop.contact_id)
        except (BadLink, NotFound):
            return bad_link()
        lang = contact["language"]
        what = compose.say(lang, f"what_{stop.kind or 'all'}")
        text = compose.say(lang, "page_unsubscribe_ask", what=what, email=contact["email"])
        return HTMLResponse(compose.page(lang, "page_unsubscribe", text, portal_url, confirm=True))

    @router.post(
        "/unsubscribe",
        tags=["links"],
        response_class=HTMLResponse,
        summary="Unsubscribe in one click (RFC 8058 List-Unsubscribe-Post)",
    )
    async def unsubscribe(token: Annotated[str, Query(max_length=4000)]) -> HTMLResponse:
        try:
            contact, stop = await contacts.unsubscribe(token)
        except (BadLink, NotFound):
            return bad_link()
        lang = contact["language"]
        what = compose.say(lang, f"what_{stop.kind or 'all'}")
        text = compose.say(lang, "page_unsubscribed_text", what=what, email=contact["email"])
        return HTMLResponse(compose.page(lang, "page_unsubscribed", text, portal_url))

    @router.get("/stats", tags=["operations"], summary="What the sender did")
    async def stats() -> dict[str, Any]:
        return {"sender": sender.stats(), "store": await contacts.mails.counts()}

    if development:

        @router.get(
            "/dev/mail",
            tags=["development"],
            summary="Messages the local capture server took, newest first",
        )
        async def captured_mail(
            limit: Annotated[int, Query(ge=1, le=200)] = 50,
            to: Annotated[str | None, Query(max_length=320)] = None,
        ) -> dict[str, Any]:
            return {"items": captured.latest(limit, to) if captured else [], "next": None}

        @router.get("/dev/mail/{name}", tags=["development"])
        async def captured_one(name: str) -> dict[str, Any]:
            found = captured.one(name) if captured else None
            if found is None:
                raise NotFound(f"no captured message {name}")
            return found

        @router.post(
            "/dev/digests/run",
            tags=["development"],
            summary="Send every digest due at the given instant now",
        )
        async def run_digests(body: Annotated[DigestRun, Body()]) -> dict[str, int | bool]:
            return await sender.flush(body.at)

    return router
