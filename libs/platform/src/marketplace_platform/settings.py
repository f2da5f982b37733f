"""Settings shared by every service, read from the environment with pydantic-settings.

Each service has its own prefix (``NEEDS_``, ``SUPPLIERS_``, ``MATCHING_``); the
connection settings every service needs are also read under their conventional unprefixed
names (``KAFKA_BOOTSTRAP_SERVERS``, ``MONGODB_URL``), so one exported variable points the
whole system, and the tests, at an existing cluster.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone who reads this repository: development and tests only.
DEV_JWT_SECRET = "marketplace-development-signing-key-not-for-production"  # noqa: S105


class ServiceSettings(BaseSettings):
    """Base settings.

    A service subclasses it with its own ``env_prefix`` (``NEEDS_``) and defaults for
    ``service_name``, ``port`` and ``database_name``; those fields then read ``NEEDS_PORT``
    and so on, while the aliased connection fields keep their shared names.
    """

    model_config = SettingsConfigDict(
        env_prefix="MARKETPLACE_", extra="ignore", populate_by_name=True
    )

    service_name: str = "marketplace"
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("ENVIRONMENT", "MARKETPLACE_ENVIRONMENT")
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP_SERVERS", "MARKETPLACE_KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    mongodb_url: str = Field(
        "mongodb://127.0.0.1:27017/",
        validation_alias=AliasChoices("MONGODB_URL", "MARKETPLACE_MONGODB_URL"),
    )
    database_name: str = "marketplace"
    topic_prefix: str = Field(
        "marketplace",
        validation_alias=AliasChoices("MARKETPLACE_TOPIC_PREFIX", "TOPIC_PREFIX"),
    )
    topic_partitions: int = Field(
        6, ge=1, validation_alias=AliasChoices("MARKETPLACE_TOPIC_PARTITIONS")
    )
    topic_replication_factor: int = Field(
        1, ge=1, validation_alias=AliasChoices("MARKETPLACE_TOPIC_REPLICATION_FACTOR")
    )
    jwt_secret: SecretStr = Field(
        SecretStr(DEV_JWT_SECRET),
        validation_alias=AliasChoices("MARKETPLACE_JWT_SECRET", "JWT_SECRET"),
    )
    jwt_issuer: str = Field("marketplace", validation_alias=AliasChoices("MARKETPLACE_JWT_ISSUER"))
    host: str = "127.0.0.1"
    port: int = 8000
    # Outbox relay: how long an unpublished event may wait before the sweeper takes it;
    # deferred publishes are retried every interval; a sweep of the aggregates marked
    # pending (`outbox.PENDING`, read by `_id`) runs at start and every full_sweep_s.
    # Shared names (MARKETPLACE_OUTBOX_*) for every service, like the connection fields.
    outbox_sweep_interval_s: float = Field(
        1.0, gt=0, validation_alias=AliasChoices("MARKETPLACE_OUTBOX_SWEEP_INTERVAL_S")
    )
    outbox_grace_s: float = Field(
        2.0, ge=0, validation_alias=AliasChoices("MARKETPLACE_OUTBOX_GRACE_S")
    )
    outbox_full_sweep_s: float = Field(
        15.0, gt=0, validation_alias=AliasChoices("MARKETPLACE_OUTBOX_FULL_SWEEP_S")
    )
    processed_retention_days: int = 14
    # Read inbox entries older than this are deleted (FerretDB 1.x has no TTL indexes).
    inbox_read_retention_days: int = Field(
        180, ge=1, validation_alias=AliasChoices("MARKETPLACE_INBOX_READ_RETENTION_DAYS")
    )
    log_level: str = Field(
        "INFO", validation_alias=AliasChoices("LOG_LEVEL", "MARKETPLACE_LOG_LEVEL")
    )

    @model_validator(mode="after")
    def _refuse_dev_key_in_production(self) -> ServiceSettings:
        if (
            self.environment == "production"
            and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET
        ):
            raise ValueError(
                "MARKETPLACE_JWT_SECRET must be set in production: the development key is public"
            )
        return self

    @property
    def source(self) -> str:
        """The CloudEvents `source` of events this service emits."""
        return f"/marketplace/{self.service_name}"
