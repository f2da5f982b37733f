"""A supplier's organisation profile (pure rules)."""

from __future__ import annotations

import re
from typing import Any

from .catalogue import clean_text, normalize_regions
from .errors import RuleViolation

_ORG_NUMBER_RE = re.compile(r"(\d{6})-?(\d{4})")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_RE = re.compile(r"\+?[\d\s-]{5,20}")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def normalize_org_number(value: str, field_name: str = "organisation_number") -> str:
    """A Swedish organisation number, "NNNNNN-NNNN", with a valid Luhn check digit."""
    match = _ORG_NUMBER_RE.fullmatch(value.strip())
    if match is None:
        raise RuleViolation(field_name, "must be ten digits written NNNNNN-NNNN (e.g. 556016-0680)")
    digits = match.group(1) + match.group(2)
    if not luhn_ok(digits):
        raise RuleViolation(field_name, "the check digit (last digit) is wrong")
    return f"{match.group(1)}-{match.group(2)}"


def profile_fields(
    *,
    name: str,
    organisation_number: str,
    contact_email: str,
    contact_name: str | None,
    contact_phone: str | None,
    regions: list[str],
) -> dict[str, Any]:
    email = contact_email.strip()
    if not _EMAIL_RE.fullmatch(email):
        raise RuleViolation("contact.email", "must be an e-mail address")
    phone = (contact_phone or "").strip() or None
    if phone is not None and not _PHONE_RE.fullmatch(phone):
        raise RuleViolation("contact.phone", "must be a phone number (digits, spaces, '-', '+')")
    return {
        "name": clean_text(name, "name", max_len=200),
        "organisation_number": normalize_org_number(organisation_number),
        "contact": {
            "name": clean_text(contact_name or "", "contact.name", max_len=200, required=False)
            or None,
            "email": email,
            "phone": phone,
        },
        "regions": normalize_regions(regions),
    }
