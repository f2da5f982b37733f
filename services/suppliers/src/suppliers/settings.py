"""Settings of the suppliers service (environment prefix `SUPPLIERS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class SuppliersSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPLIERS_", extra="ignore")

    service_name: str = "suppliers"
    database_name: str = "marketplace_suppliers"
    port: int = 8002

    # Webhooks. Loopback targets are for tests and local development only
    # (SUPPLIERS_WEBHOOKS_ALLOW_LOOPBACK=true); private and link-local ones are always refused.
    webhooks_allow_loopback: bool = False
    webhook_timeout_s: float = Field(5.0, gt=0)
    webhook_max_attempts: int = Field(5, ge=1)
    webhook_base_delay_s: float = Field(2.0, gt=0)
    webhook_max_delay_s: float = Field(600.0, gt=0)
    webhook_poll_interval_s: float = Field(1.0, gt=0)
    webhook_per_endpoint_concurrency: int = Field(2, ge=1)
    webhook_lease_s: float = Field(60.0, gt=0)

    # Done webhook deliveries (delivered or cancelled) older than this are deleted, hourly.
    # A delivery's id is what keeps a redelivered event from being sent twice, so this must
    # exceed the time an event can still be delivered again: the matches and alerts topics
    # keep 7 days (the broker's default retention).
    deliveries_retention_days: int = Field(30, ge=8)
