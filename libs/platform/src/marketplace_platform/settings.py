"""Settings shared by every service, read from the environment with pydantic-settings.

Each service has its own prefix (``NEEDS_``, ``SUPPLIERS_``, ``MATCHING_``); the
connection settings every service needs are also read under their conventional unprefixed
names (``KAFKA_BOOTSTRAP_SERVERS``, ``MONGODB_URL``), so one exported variable points the
whole system, and the tests, at an existing cluster.
"""

from __future__ import annotations

from typing import Any, Literal

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
    # Consumer group membership. A dead member's partitions wait for its session to time
    # out before anyone else may take them (aiokafka's default is 10 s, with heartbeats
    # every 3 s, which also delay how soon the others hear of a rebalance). 6 s is the
    # broker's default minimum (group.min.session.timeout.ms).
    kafka_session_timeout_ms: int = Field(
        6000, ge=1000, validation_alias=AliasChoices("MARKETPLACE_KAFKA_SESSION_TIMEOUT_MS")
    )
    kafka_heartbeat_interval_ms: int = Field(
        1000, ge=100, validation_alias=AliasChoices("MARKETPLACE_KAFKA_HEARTBEAT_INTERVAL_MS")
    )
    # Static membership (KIP-345): a stable name for this instance, unique among the
    # service's running instances (a StatefulSet pod's name, or `needs-0` locally). A
    # restarted instance that comes back under its name takes its partitions back at once,
    # instead of waiting for the session of its dead predecessor and a rebalance of the
    # whole group. Unset: dynamic membership.
    kafka_group_instance_id: str | None = Field(
        None, validation_alias=AliasChoices("MARKETPLACE_KAFKA_GROUP_INSTANCE_ID")
    )
    # Pruning (FerretDB 1.x has no TTL indexes): every job of `runtime.prunes` runs this
    # often. A processed-event marker is kept long past any redelivery (an uncommitted
    # offset comes back within seconds of a restart); days, fractions allowed.
    prune_interval_s: float = Field(
        3600.0, gt=0, validation_alias=AliasChoices("MARKETPLACE_PRUNE_INTERVAL_S")
    )
    processed_retention_days: float = Field(
        14.0,
        gt=0,
        validation_alias=AliasChoices(
            "MARKETPLACE_PROCESSED_RETENTION_DAYS", "processed_retention_days"
        ),
    )
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

    def consumer_options(self, group_id: str, topic: str) -> dict[str, Any]:
        """Membership options of the consumer of `topic` in `group_id`: each subscriber is
        a consumer of its own, so a static name is made unique per group and topic."""
        options: dict[str, Any] = {
            "session_timeout_ms": self.kafka_session_timeout_ms,
            "heartbeat_interval_ms": min(
                self.kafka_heartbeat_interval_ms, self.kafka_session_timeout_ms // 3
            ),
        }
        if self.kafka_group_instance_id:
            options["group_instance_id"] = f"{self.kafka_group_instance_id}:{group_id}:{topic}"
        return options

    @property
    def source(self) -> str:
        """The CloudEvents `source` of events this service emits."""
        return f"/marketplace/{self.service_name}"
