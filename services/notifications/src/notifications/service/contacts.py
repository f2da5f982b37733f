"""Handlers for contacts: add (with a verification message), list, change, preferences,
remove; and the two links followed without signing in, verification and unsubscribe."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from marketplace_platform.errors import Invalid

from ..adapters.repository import ContactBook, Document, MailStore
from ..domain import contacts as rules
from ..domain import links
from ..domain.preferences import KINDS, Rule, parse_rules, with_rule
from ..domain.schedule import zone

Clock = Callable[[], datetime]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def public_contact(contact: Document) -> dict[str, Any]:
    failure = contact.get("failure")
    return {
        "id": contact["id"],
        "name": contact["name"],
        "email": contact["email"],
        "language": contact["language"],
        "time_zone": contact["time_zone"],
        "verified": contact.get("verified_at") is not None,
        "verified_at": _iso(contact.get("verified_at")),
        "address_status": contact.get("address_status", "ok"),
        "failure": {"detail": failure["detail"], "at": _iso(failure["at"])} if failure else None,
        "preferences": list(contact.get("preferences") or []),
        "created_at": _iso(contact.get("created_at")),
    }


class Contacts:
    def __init__(
        self,
        book: ContactBook,
        mails: MailStore,
        clock: Clock,
        *,
        secret: str,
        auto_verify: bool,
        default_time_zone: str,
        wake: Callable[[str, datetime], None] = lambda _id, _at: None,
    ) -> None:
        self.book = book
        self.mails = mails
        self.clock = clock
        self.secret = secret
        self.auto_verify = auto_verify
        self.default_time_zone = default_time_zone
        self.wake = wake

    async def add(
        self, org: str, *, name: object, email: object, language: object, time_zone: object
    ) -> dict[str, Any]:
        now = self.clock()

        def add(contacts: list[Document]) -> tuple[list[Document], Document]:
            contact = rules.new_contact(
                contacts,
                name=name,
                email=email,
                language=language,
                time_zone=time_zone or self.default_time_zone,
                at=now,
                verified=self.auto_verify,
            )
            return [*contacts, contact], contact

        contact = await self.book.change(org, add)
        if not self.auto_verify:
            await self._send_verification(org, contact, now)
        return public_contact(contact)

    async def list_for(self, org: str) -> list[dict[str, Any]]:
        return [public_contact(c) for c in await self.book.of(org)]

    async def get(self, org: str, contact_id: str) -> dict[str, Any]:
        return public_contact(rules.find(await self.book.of(org), contact_id))

    async def change(self, org: str, contact_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Name, language, time zone or address; a new address is unverified again and
        clears a server's refusal of the old one."""
        now = self.clock()
        checked: Document = {}
        if "name" in fields:
            checked["name"] = rules.check_name(fields["name"])
        if "language" in fields:
            checked["language"] = rules.check_language(fields["language"])
        if "time_zone" in fields:
            zone(str(fields["time_zone"]))
            checked["time_zone"] = fields["time_zone"]
        new_address = (
            rules.normalise_email(fields["email"]) if fields.get("email") is not None else None
        )

        def change(contacts: list[Document]) -> tuple[list[Document], tuple[Document, bool]]:
            contact = rules.find(contacts, contact_id)
            readdressed = new_address is not None and new_address != contact["email"]
            if readdressed and any(
                c["email"].lower() == str(new_address).lower()
                for c in contacts
                if c["id"] != contact_id
            ):
                raise Invalid(
                    "this address is already a contact of the organisation",
                    field="email",
                    value=new_address,
                )
            contact.update(checked)
            if readdressed:
                contact.update(
                    email=new_address,
                    verified_at=now if self.auto_verify else None,
                    address_status="ok",
                    failure=None,
                )
            return [contact if c["id"] == contact_id else c for c in contacts], (
                contact,
                readdressed,
            )

        contact, readdressed = await self.book.change(org, change)
        if readdressed and not self.auto_verify:
            await self._send_verification(org, contact, now)
        return public_contact(contact)

    async def set_preferences(
        self, org: str, contact_id: str, raw: list[dict[str, Any]]
    ) -> dict[str, Any]:
        parsed = parse_rules(raw)
        return await self._replace_rules(org, contact_id, lambda _: parsed)

    async def _replace_rules(
        self, org: str, contact_id: str, new_rules: Callable[[list[Rule]], list[Rule]]
    ) -> dict[str, Any]:
        def change(contacts: list[Document]) -> tuple[list[Document], Document]:
            contact = rules.find(contacts, contact_id)
            contact["preferences"] = [r.as_doc() for r in new_rules(rules.rules_of(contact))]
            return [contact if c["id"] == contact_id else c for c in contacts], contact

        return public_contact(await self.book.change(org, change))

    async def remove(self, org: str, contact_id: str) -> None:
        def remove(contacts: list[Document]) -> tuple[list[Document], None]:
            rules.find(contacts, contact_id)
            return [c for c in contacts if c["id"] != contact_id], None

        await self.book.change(org, remove)

    async def resend_verification(self, org: str, contact_id: str) -> dict[str, Any]:
        contact = rules.find(await self.book.of(org), contact_id)
        if contact.get("verified_at") is None:
            await self._send_verification(org, contact, self.clock())
        return public_contact(contact)

    async def _send_verification(self, org: str, contact: Document, now: datetime) -> None:
        token = links.verification_token(self.secret, org, contact["id"], contact["email"], now)
        mail = {
            "_id": f"verify-{uuid.uuid4().hex}",
            "type": "verification",
            "org": org,
            "contact_id": contact["id"],
            "status": "pending",
            "due_at": now,
            "created_at": now,
            "attempts": 0,
            "token": token,
        }
        await self.mails.add_absent([mail])
        self.wake(mail["_id"], now)

    # --- links followed without signing in ------------------------------------------------

    async def verify(self, token: str) -> Document:
        """The contact, verified now (or before); raises `links.BadLink`."""
        org, contact_id, address = links.read_verification(self.secret, token)
        now = self.clock()

        def verify(contacts: list[Document]) -> tuple[list[Document], Document]:
            contact = rules.find(contacts, contact_id)
            if contact["email"] != address:
                raise links.BadLink("the address changed since this link was sent")
            if contact.get("verified_at") is None:
                contact["verified_at"] = now
            return [contact if c["id"] == contact_id else c for c in contacts], contact

        return await self.book.change(org, verify)

    def read_unsubscribe(self, token: str) -> links.Unsubscribe:
        return links.read_unsubscribe(self.secret, token)

    async def unsubscribe(self, token: str) -> tuple[Document, links.Unsubscribe]:
        """Turn off what the link names: one kind (and scope), or every kind."""
        stop = links.read_unsubscribe(self.secret, token)

        def off(current: list[Rule]) -> list[Rule]:
            if stop.kind is None:
                return [Rule(kind, None, "off") for kind in KINDS]
            return with_rule(current, Rule(stop.kind, stop.scope, "off"))  # type: ignore[arg-type]

        contact = await self._replace_rules(stop.org, stop.contact_id, off)
        return contact, stop
