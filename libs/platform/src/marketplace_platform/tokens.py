"""Bearer JWTs naming the organisation and its role: minting and checking them.

Tokens are HS256-signed with the shared key from settings (``MARKETPLACE_JWT_SECRET``);
`marketplace token` mints development tokens with the development key. Only HS256 is
accepted, so a token with ``alg: none`` or another algorithm is refused. This module needs
nothing but PyJWT, so that the CLI starts without the web framework; `auth` puts it behind
FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Role = Literal["buyer", "supplier", "admin"]
ROLES: tuple[Role, ...] = ("buyer", "supplier", "admin")
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation acting in one role."""

    org: str
    role: Role
    subject: str
    municipality_code: str | None = None


def mint_token(
    secret: str,
    *,
    org: str,
    role: Role,
    subject: str | None = None,
    municipality_code: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    issuer: str = "marketplace",
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": subject or f"{org}:{role}",
        "org": org,
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if municipality_code:
        claims["municipality_code"] = municipality_code
    import jwt  # here: PyJWT's import is a tenth of the CLI's start, and most commands sign none

    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str, issuer: str = "marketplace") -> Principal:
    """Raises `jwt.PyJWTError` for a bad signature, expiry, algorithm or missing claim."""
    import jwt

    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=issuer,
        options={"require": ["exp", "sub", "iss"]},
    )
    org, role = claims.get("org"), claims.get("role")
    if not isinstance(org, str) or not org or role not in ROLES:
        raise jwt.InvalidTokenError("the token must name an organisation (org) and a role")
    municipality = claims.get("municipality_code")
    return Principal(
        org=org,
        role=role,
        subject=str(claims["sub"]),
        municipality_code=municipality if isinstance(municipality, str) else None,
    )
