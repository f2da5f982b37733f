"""Settings of the matching service (environment prefix `MATCHING_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    database_name: str = "marketplace_matching"
    port: int = 8003
