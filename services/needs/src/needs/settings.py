"""Settings of the needs service (environment prefix `NEEDS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class NeedsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NEEDS_", extra="ignore")

    service_name: str = "needs"
    database_name: str = "marketplace_needs"
    port: int = 8001
