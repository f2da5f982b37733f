"""Settings of the portal (environment prefix `PORTAL_`)."""

from __future__ import annotations

import hashlib
import hmac

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    service_name: str = "portal"
    port: int = 8000
    needs_url: str = "http://127.0.0.1:8001"
    suppliers_url: str = "http://127.0.0.1:8002"
    matching_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    # The development sign-in mints the same JWTs as `marketplace token`; it is refused in
    # production, where an OIDC provider takes its place (see portal.identity).
    dev_signin: bool = True
    # Signs the session cookie; derived from the JWT key when not set.
    session_secret: SecretStr | None = None
    session_max_age_s: int = Field(12 * 3600, ge=60)
    cookie_secure: bool = False
    upstream_timeout_s: float = Field(10.0, gt=0)
    node_modules: str | None = Field(
        None, description="where htmx.org and axe-core are installed (npm)"
    )

    def session_key(self) -> bytes:
        if self.session_secret is not None:
            return self.session_secret.get_secret_value().encode()
        return hmac.new(
            self.jwt_secret.get_secret_value().encode(), b"portal-session", hashlib.sha256
        ).digest()
