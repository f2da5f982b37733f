"""Kafka plumbing: the FastStream broker, topic creation and the event publisher."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from marketplace_contracts.events import CONTENT_TYPE, CloudEvent
from marketplace_contracts.topics import Topics

from .settings import ServiceSettings

log = logging.getLogger(__name__)


def create_broker(settings: ServiceSettings, middlewares: Sequence[Any] = ()) -> KafkaBroker:
    """A broker whose producer is idempotent with acks=all: an acknowledged event is on
    every in-sync replica and a retried send never writes it twice."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=1,
        client_id=f"marketplace-{settings.service_name}",
        middlewares=middlewares,
        logger=logging.getLogger(f"faststream.{settings.service_name}"),
        description=f"Kafka broker of the {settings.service_name} service",
    )


async def ensure_topics(settings: ServiceSettings, topics: Topics | None = None) -> list[str]:
    """Create every topic of the system (and its dead-letter twin) that is missing.

    Auto-creation is off on the broker, so the project decides partitions, replication and
    compaction. Returns the names it created.
    """
    topics = topics or Topics(settings.topic_prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = []
        for name, spec in topics.all_with_specs():
            if name in existing:
                continue
            config = {"cleanup.policy": "compact"} if spec.compacted else {}
            if spec.retain_forever:
                config["retention.ms"] = "-1"
            if spec.compacted:
                # Compact soon enough that a rebuild reads little more than the state.
                config |= {"min.cleanable.dirty.ratio": "0.1", "segment.ms": "3600000"}
            wanted.append(
                NewTopic(
                    name=name,
                    num_partitions=settings.topic_partitions,
                    replication_factor=settings.topic_replication_factor,
                    topic_configs=config,
                )
            )
        if not wanted:
            return []
        try:
            await admin.create_topics(wanted)
        except TopicAlreadyExistsError:
            pass  # another instance created them first
        created = [t.name for t in wanted]
        log.info("created topics", extra={"topics": created})
        return created
    finally:
        await admin.close()


def encode_event(event: CloudEvent) -> bytes:
    return event.model_dump_json(exclude_none=True).encode("utf-8")


class EventPublisher:
    """Publishes CloudEvents in structured mode, keyed by their partition key, and returns
    only after the broker acknowledged them (acks=all)."""

    def __init__(self, broker: KafkaBroker, topics: Topics) -> None:
        self.broker = broker
        self.topics = topics

    async def publish(self, logical_topic: str, event: CloudEvent) -> None:
        await self.broker.publish(**self._record(logical_topic, event))

    async def enqueue(self, events: Sequence[tuple[str, CloudEvent]]) -> list[Any]:
        """Hand the events to the producer in order (records of one key keep their order
        on their partition); returns the futures of their acknowledgements, which the caller
        awaits together, before it commits anything: the producer batches them into few
        requests instead of one round trip per event."""
        return [
            await self.broker.publish(**self._record(topic, event), no_confirm=True)
            for topic, event in events
        ]

    def _record(self, logical_topic: str, event: CloudEvent) -> dict[str, Any]:
        headers = {"content-type": CONTENT_TYPE, "ce_type": event.type, "ce_id": event.id}
        if event.correlationid:
            headers["correlation_id"] = event.correlationid
        return {
            "message": encode_event(event),
            "topic": self.topics.name(logical_topic),
            "key": (event.partitionkey or event.subject or event.id).encode("utf-8"),
            "headers": headers,
        }
