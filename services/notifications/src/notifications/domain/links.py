"""Signed links a person follows without signing in: verify an address, unsubscribe.

Both are JWTs (HS256, the service's signing key) whose audience names the purpose, so one
cannot stand for the other. A verification names the address it was sent to (a changed
address needs a new one) and expires; an unsubscribe link never does (RFC 8058: it must
work from any message ever sent) and names what it stops: a kind and scope, or everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

VERIFY = "marketplace:verify-address"
UNSUBSCRIBE = "marketplace:unsubscribe"
VERIFY_TTL = timedelta(days=7)


class BadLink(Exception):
    """The link was altered, expired or is for something else."""


@dataclass(frozen=True)
class Unsubscribe:
    org: str
    contact_id: str
    kind: str | None  # None: every kind
    scope: str | None


def verification_token(secret: str, org: str, contact_id: str, email: str, now: datetime) -> str:
    claims = {
        "aud": VERIFY,
        "org": org,
        "sub": contact_id,
        "email": email,
        "iat": int(now.timestamp()),
        "exp": int((now + VERIFY_TTL).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_verification(secret: str, token: str) -> tuple[str, str, str]:
    """(org, contact id, address) of a valid verification token."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=VERIFY, options={"require": ["exp"]}
        )
        return str(claims["org"]), str(claims["sub"]), str(claims["email"])
    except (jwt.PyJWTError, KeyError) as exc:
        raise BadLink(str(exc)) from exc


def unsubscribe_token(secret: str, stop: Unsubscribe) -> str:
    claims = {
        "aud": UNSUBSCRIBE,
        "org": stop.org,
        "sub": stop.contact_id,
        "kind": stop.kind,
        "scope": stop.scope,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_unsubscribe(secret: str, token: str) -> Unsubscribe:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=UNSUBSCRIBE)
        return Unsubscribe(
            str(claims["org"]), str(claims["sub"]), claims.get("kind"), claims.get("scope")
        )
    except (jwt.PyJWTError, KeyError) as exc:
        raise BadLink(str(exc)) from exc
