"""Settings of the needs service (environment prefix `NEEDS_`)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class NeedsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NEEDS_", extra="ignore")

    service_name: str = "needs"
    database_name: str = "marketplace_needs"
    port: int = 8001
    # Build the CPV search index in the background at start, so that the first person to
    # search codes does not wait for it (about 1.5 s of one core).
    warm_reference_index: bool = True
