"""Who signs in, and how: the seam where a real identity provider plugs in.

The services accept HS256 bearer JWTs naming an organisation and its role
(`marketplace_platform.auth`). The portal asks an `IdentityProvider` for such a token and
keeps it in the signed session cookie; nothing else in the portal knows how it was obtained.

- `DevSignIn` (development and tests): the person types an organisation and picks a role, and
  the portal mints the same token as `marketplace token --org ORG --role ROLE`.
- An OIDC provider (production) implements the same protocol: `start` redirects to the
  provider's authorisation endpoint (code flow with PKCE); `complete` receives the callback,
  verifies the ID token against the provider's JWKS, maps its claims (the organisation and
  role, e.g. from an `org` claim or group membership) to a `Principal`, and mints the
  services' token for it with `mint_token` and the production key, or passes through an
  access token the services are configured to accept. Register it in `portal.app.build`
  instead of `DevSignIn`; `/signin` then shows the provider's button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from marketplace_contracts.reference import UnknownRegion, municipality
from marketplace_platform.tokens import ROLES, Role, mint_token

ORG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class SignInRefused(ValueError):
    """The sign-in request names no valid organisation, role or municipality."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SignedIn:
    token: str
    org: str
    role: Role
    municipality_code: str | None


class IdentityProvider(Protocol):
    name: str

    def sign_in(self, form: dict[str, str]) -> SignedIn: ...


class DevSignIn:
    """Development sign-in: mints the tokens `marketplace token` prints."""

    name = "development"

    def __init__(self, secret: str, issuer: str = "marketplace") -> None:
        self._secret, self._issuer = secret, issuer

    def sign_in(self, form: dict[str, str]) -> SignedIn:
        org = form.get("org", "").strip().lower()
        if not ORG_RE.fullmatch(org):
            raise SignInRefused("org", "org")
        role = form.get("role", "")
        if role not in ROLES:
            raise SignInRefused("role", "role")
        code = form.get("municipality_code", "").strip() or None
        if code is not None:
            try:
                municipality(code)
            except UnknownRegion:
                raise SignInRefused("municipality_code", "municipality") from None
        token = mint_token(
            self._secret,
            org=org,
            role=role,
            municipality_code=code,
            issuer=self._issuer,
        )
        return SignedIn(token=token, org=org, role=role, municipality_code=code)
