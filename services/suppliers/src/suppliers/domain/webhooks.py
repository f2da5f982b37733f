"""Signed webhooks: the signature scheme, the retry schedule and which targets are allowed.

How a supplier verifies a delivery
----------------------------------
Every delivery is an HTTP ``POST`` of a JSON body with these headers::

    Content-Type: application/json
    X-Marketplace-Event-Id: <id of the inbox entry's event; the same on every retry>
    X-Marketplace-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

The signature is ``HMAC-SHA256(secret, f"{t}.{raw_body}")`` in lowercase hex, where ``secret``
is the secret given when registering the webhook and ``raw_body`` is the exact bytes of the
request body (verify before parsing the JSON). A receiver:

1. splits the header on ``,`` and reads ``t`` and every ``v1`` (more than one ``v1`` may be
   sent in future, during a secret rotation);
2. refuses the request when ``abs(now - t) > 300`` seconds (replay protection: a captured
   request cannot be sent again later, because the timestamp is part of the signed text);
3. computes the HMAC over ``f"{t}.".encode() + raw_body`` and compares it with
   ``hmac.compare_digest`` (constant time) to the ``v1`` value;
4. answers 2xx quickly (within 5 seconds) and processes the entry afterwards; it may use
   ``X-Marketplace-Event-Id`` to ignore a delivery it has already handled, since delivery
   is at least once.

Any other status, or no answer within the timeout, counts as a failure: the delivery is
retried with exponential backoff and jitter; after the last attempt the webhook is paused
and the supplier gets a ``webhook.paused`` inbox entry, until it resumes the webhook.

`verify_signature` below is a reference implementation of the receiver's side.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import RuleViolation

SIGNATURE_HEADER = "X-Marketplace-Signature"
EVENT_ID_HEADER = "X-Marketplace-Event-Id"
TOLERANCE_S = 300
SECRET_MIN = 16
URL_MAX = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, now: float, tolerance_s: int = TOLERANCE_S
) -> bool:
    """The receiver's check: a valid v1 signature over a timestamp at most 5 minutes off."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


def backoff_delay(
    attempt: int, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Delay before retry number `attempt` (1 = after the first failure).

    Exponential (base * 2^(attempt-1), capped) with "equal jitter": between half and all of
    it, so that receivers coming back up are not hit by every sender at the same moment.
    """
    ceiling = min(max_s, base_s * (2 ** max(attempt - 1, 0)))
    r = rng or random
    return float(ceiling / 2 + r.uniform(0, ceiling / 2))


def check_secret(secret: str) -> str:
    if len(secret) < SECRET_MIN:
        raise RuleViolation("secret", f"must be at least {SECRET_MIN} characters")
    if len(secret) > 256:
        raise RuleViolation("secret", "must be at most 256 characters")
    return secret


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int


def parse_url(url: str, field_name: str = "url") -> Target:
    """Syntax of a webhook URL: http(s), a host, no credentials."""
    url = url.strip()
    if len(url) > URL_MAX:
        raise RuleViolation(field_name, f"must be at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RuleViolation(field_name, f"is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise RuleViolation(field_name, "must be an http or https URL")
    if not parts.hostname:
        raise RuleViolation(field_name, "must name a host")
    if parts.username or parts.password:
        raise RuleViolation(field_name, "must not carry credentials; use the secret")
    default = 443 if parts.scheme == "https" else 80
    return Target(url=url, scheme=parts.scheme, host=parts.hostname, port=port or default)


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why a resolved address may not receive webhooks, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "a non-public address"
    return None


def check_addresses(
    host: str, addresses: Iterable[str], *, allow_loopback: bool, field_name: str = "url"
) -> None:
    """Every address the host resolves to must be allowed (else an attacker picks one)."""
    found = False
    for raw in addresses:
        found = True
        try:
            address = ipaddress.ip_address(raw.split("%", 1)[0])
        except ValueError:
            raise RuleViolation(field_name, f"host {host!r} resolves to {raw!r}") from None
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise RuleViolation(
                field_name,
                f"host {host!r} resolves to {address}, {reason}; webhooks are only sent "
                "to public addresses",
            )
    if not found:
        raise RuleViolation(field_name, f"host {host!r} does not resolve to any address")
