"""Topic names, partition keys and compaction, in one place.

One topic per aggregate, keyed by the aggregate's id. Solutions and subscriptions are
compacted: every event on them carries the aggregate's whole state (or its retirement), so
the latest record per key is the current state and a new matching instance can rebuild its
index from Kafka alone. Every consumed topic has a dead-letter twin ``<topic>.dlq``.
Names take a prefix (``marketplace`` by default) so that tests and tenants can share a
cluster without sharing topics.
"""

from __future__ import annotations

from dataclasses import dataclass

DEAD_LETTER_SUFFIX = ".dlq"


def dead_letter_key(topic: str, partition: int, offset: int, consumer: str) -> bytes:
    """One poison record, as a consumer met it: the key of its dead letter."""
    return f"{topic}/{partition}/{offset}/{consumer}".encode()


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    compacted: bool
    description: str
    # Kept without a time limit, so that a new matching instance rebuilds from Kafka alone.
    retain_forever: bool = False


TOPIC_SPECS: tuple[TopicSpec, ...] = (
    TopicSpec("needs", "need_id", False, "need.* events from the needs service", True),
    TopicSpec("solutions", "solution_id", True, "solution.* events (full state, compacted)"),
    TopicSpec(
        "subscriptions", "subscription_id", True, "subscription.* events (full state, compacted)"
    ),
    TopicSpec("adoptions", "solution_id", False, "adoption.recorded events", True),
    TopicSpec("matches", "need_id", False, "match.found events from matching"),
    TopicSpec("alerts", "supplier_org", False, "alert.raised events from matching"),
    TopicSpec("scaling", "buyer_org", False, "scaling.opportunity events from matching"),
    # Open data: kept without time limit, so that a new mirror can read every release.
    TopicSpec("ocds", "need_id", False, "ocds.released events: OCDS releases of needs", True),
)
SPECS_BY_NAME = {spec.name: spec for spec in TOPIC_SPECS}


@dataclass(frozen=True)
class Topics:
    """Concrete topic names under a prefix."""

    prefix: str = "marketplace"

    def name(self, logical: str) -> str:
        if logical not in SPECS_BY_NAME:
            raise KeyError(f"unknown topic {logical!r}")
        return f"{self.prefix}.{logical}"

    def dead_letter(self, logical: str) -> str:
        return self.name(logical) + DEAD_LETTER_SUFFIX

    @property
    def needs(self) -> str:
        return self.name("needs")

    @property
    def solutions(self) -> str:
        return self.name("solutions")

    @property
    def subscriptions(self) -> str:
        return self.name("subscriptions")

    @property
    def adoptions(self) -> str:
        return self.name("adoptions")

    @property
    def matches(self) -> str:
        return self.name("matches")

    @property
    def alerts(self) -> str:
        return self.name("alerts")

    @property
    def scaling(self) -> str:
        return self.name("scaling")

    @property
    def ocds(self) -> str:
        return self.name("ocds")

    def all_with_specs(self) -> list[tuple[str, TopicSpec]]:
        """Every topic and its dead-letter twin, with the spec that shapes it."""
        out: list[tuple[str, TopicSpec]] = []
        for spec in TOPIC_SPECS:
            out.append((self.name(spec.name), spec))
            # Keyed by the poison record's place (see `dead_letter_key`) and compacted: a
            # record dead-lettered again after a redelivery replaces the first.
            dlq = TopicSpec(spec.name + DEAD_LETTER_SUFFIX, "dead_letter_key", True, "dead letters")
            out.append((self.dead_letter(spec.name), dlq))
        return out
