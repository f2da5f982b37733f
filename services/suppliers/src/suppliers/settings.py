"""Settings of the suppliers service (environment prefix `SUPPLIERS_`)."""

from __future__ import annotations

from marketplace_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class SuppliersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPLIERS_", extra="ignore")

    service_name: str = "suppliers"
    database_name: str = "marketplace_suppliers"
    port: int = 8002
