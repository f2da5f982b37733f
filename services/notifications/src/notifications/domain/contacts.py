"""An organisation's contacts: who gets e-mail, in which language and time zone.

An organisation keeps its contacts in one document (`_id` its name; at most
`MAX_CONTACTS`), so each of its reads and writes is one lookup by `_id`. An address gets
nothing but its verification message until it is verified, and nothing at all once a
server refused it for good (`address_status: failing`) until the contact changes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from email_validator import EmailNotValidError, validate_email

from marketplace_platform.errors import Conflict, Invalid, NotFound

from .preferences import Rule, parse_rules
from .schedule import zone

Language = Literal["sv", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
MAX_CONTACTS = 50
Document = dict[str, Any]


def normalise_email(raw: object, field: str = "email") -> str:
    """The address as a mail server takes it: syntax checked, domain lower-cased, no
    lookup of the domain (that is the verification message's job)."""
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("enter an e-mail address", field=field, value=raw)
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(f"not an e-mail address: {exc}", field=field, value=raw) from exc
    return str(checked.normalized)


def check_name(raw: object, field: str = "name") -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not 0 < len(name) <= 200:
        raise Invalid("enter a name of 1-200 characters", field=field, value=raw)
    return name


def check_language(raw: object, field: str = "language") -> Language:
    if raw not in LANGUAGES:
        raise Invalid("language must be sv or en", field=field, value=raw)
    return raw


def new_contact(
    existing: Iterable[Mapping[str, Any]],
    *,
    name: object,
    email: object,
    language: object,
    time_zone: object,
    at: datetime,
    verified: bool,
) -> Document:
    """A contact of the organisation, checked against the ones it has."""
    address = normalise_email(email)
    tz_name = time_zone if isinstance(time_zone, str) else ""
    zone(tz_name)
    contacts = list(existing)
    if len(contacts) >= MAX_CONTACTS:
        raise Conflict(f"an organisation has at most {MAX_CONTACTS} contacts", field="email")
    if any(c["email"].lower() == address.lower() for c in contacts):
        raise Conflict("this address is already a contact of the organisation", field="email")
    return {
        "id": uuid.uuid4().hex,
        "name": check_name(name),
        "email": address,
        "language": check_language(language),
        "time_zone": tz_name,
        "verified_at": at if verified else None,
        "address_status": "ok",
        "failure": None,
        "preferences": [],
        "created_at": at,
    }


def find(contacts: Iterable[Mapping[str, Any]], contact_id: str) -> Document:
    for contact in contacts:
        if contact["id"] == contact_id:
            return dict(contact)
    raise NotFound(f"no contact {contact_id}")


def rules_of(contact: Mapping[str, Any]) -> list[Rule]:
    return parse_rules(contact.get("preferences") or [])


def reachable(contact: Mapping[str, Any]) -> bool:
    """Verified and not refused by a server."""
    return contact.get("verified_at") is not None and contact.get("address_status") == "ok"
