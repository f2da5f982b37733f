"""Settings of the notifications service (environment prefix `NOTIFICATIONS_`).

The SMTP server is also read under the unprefixed names `SMTP_HOST`, `SMTP_PORT`, ... so
that `.local/infra.env` (written by `make infra`, which starts the local capture server)
points the service and the tests at it, as `KAFKA_BOOTSTRAP_SERVERS` does for Kafka.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from marketplace_platform.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", extra="ignore", populate_by_name=True
    )

    service_name: str = "notifications"
    database_name: str = "marketplace_notifications"
    port: int = 8004

    smtp_host: str = Field(
        "127.0.0.1", validation_alias=AliasChoices("SMTP_HOST", "NOTIFICATIONS_SMTP_HOST")
    )
    smtp_port: int = Field(
        2525, ge=1, le=65535, validation_alias=AliasChoices("SMTP_PORT", "NOTIFICATIONS_SMTP_PORT")
    )
    # "starttls" upgrades a plain connection (port 587), "tls" connects over TLS (465);
    # "none" only for a server on this machine, such as the development capture server.
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", validation_alias=AliasChoices("SMTP_SECURITY", "NOTIFICATIONS_SMTP_SECURITY")
    )
    smtp_username: str | None = Field(
        None, validation_alias=AliasChoices("SMTP_USERNAME", "NOTIFICATIONS_SMTP_USERNAME")
    )
    smtp_password: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SMTP_PASSWORD", "NOTIFICATIONS_SMTP_PASSWORD")
    )
    smtp_timeout_s: float = Field(10.0, gt=0)
    mail_from: str = "Marknadsplatsen för innovationsupphandling <noreply@marketplace.local>"

    # Links in messages: to the portal (needs, solutions, inbox) and to this service's
    # public address (verification and one-click unsubscribe work without signing in).
    portal_url: str = "http://127.0.0.1:8000"
    public_url: str = "http://127.0.0.1:8004"

    # Development only: a new address counts as verified at once (no link to follow).
    auto_verify: bool = False
    # Development only: the directory the local capture server writes `.eml` files to,
    # listed by `GET /v1/dev/mail` (the portal's and the CLI's mail view).
    mail_capture_dir: Path | None = Field(
        None, validation_alias=AliasChoices("MAIL_CAPTURE_DIR", "NOTIFICATIONS_MAIL_CAPTURE_DIR")
    )

    # The sender: how often it looks for due messages when nothing woke it, how many it
    # takes at once, and the retry backoff of a temporary failure (doubling, capped).
    send_interval_s: float = Field(1.0, gt=0)
    send_batch: int = Field(50, ge=1, le=1000)
    retry_base_s: float = Field(2.0, gt=0)
    retry_cap_s: float = Field(300.0, gt=0)

    # Digests go out at this local hour, weekly ones on this weekday (0 = Monday).
    digest_hour: int = Field(7, ge=0, le=23)
    weekly_digest_weekday: int = Field(0, ge=0, le=6)
    default_time_zone: str = "Europe/Stockholm"
    # Sent messages are kept this long (the record that they were sent: what stops a
    # redelivered event from sending again), then pruned.
    sent_retention_days: float = Field(90.0, gt=0)
