"""Kafka subscribers of notifications: the events that reach an organisation's inbox."""

from __future__ import annotations

from marketplace_contracts import events as ev
from marketplace_platform.runtime import ServiceRuntime, subscribe_batch

from ..service.notify import Notifier


def register(runtime: ServiceRuntime, notifier: Notifier) -> None:
    # Every effect is keyed by the event and the contact (see `service.notify`), so a
    # redelivered event changes nothing without a processed-events record.
    for topic, payload, description in (
        ("matches", ev.MatchFound, "E-mail the buyer's and the supplier's contacts of a match."),
        ("alerts", ev.AlertRaised, "E-mail the supplier's contacts of a subscription alert."),
        (
            "scaling",
            ev.ScalingOpportunity,
            "E-mail the buyer's contacts of a solution scaling to their need.",
        ),
    ):
        dispatcher = runtime.dispatcher(f"notifications.{topic}", record_processed=False)
        dispatcher.on(payload, notifier.on_event)
        # In batches: one read of each organisation's contacts and one insert per batch.
        subscribe_batch(runtime, topic, dispatcher, notifier.on_batch, description=description)
