"""Kafka subscribers: adoptions become deployments; matches and alerts become inbox entries."""

from __future__ import annotations

from marketplace_contracts.events import AdoptionRecorded, AlertRaised, CloudEvent, MatchFound
from marketplace_platform.runtime import ServiceRuntime, subscribe, subscribe_batch

from ..service.catalogue import Catalogue
from ..service.inbox import Inbox


def register(runtime: ServiceRuntime, catalogue: Catalogue, inbox: Inbox) -> None:
    dispatcher = runtime.dispatcher()

    async def on_adoption(payload: AdoptionRecorded, event: CloudEvent) -> None:
        await catalogue.record_adoption(payload, event)

    async def on_match(payload: MatchFound, event: CloudEvent) -> None:
        await inbox.on_match(payload, event)

    async def on_alert(payload: AlertRaised, event: CloudEvent) -> None:
        await inbox.on_alert(payload, event)

    dispatcher.on(AdoptionRecorded, on_adoption)
    dispatcher.on(MatchFound, on_match)
    dispatcher.on(AlertRaised, on_alert)
    subscribe(
        runtime,
        "adoptions",
        dispatcher,
        description="adoption.recorded: adds a deployment to the solution, once per adoption",
    )
    # Inbox entries are written by id and deliveries by (webhook, event): idempotent by
    # themselves, so these two streams go in batches without a processed-events record.
    entries = runtime.dispatcher(f"{runtime.consumer_name}.inbox", record_processed=False)
    entries.on(MatchFound, on_match)
    entries.on(AlertRaised, on_alert)
    subscribe_batch(
        runtime,
        "matches",
        entries,
        inbox.on_batch,
        description="match.found: an inbox entry (and webhook deliveries) for the supplier",
    )
    subscribe_batch(
        runtime,
        "alerts",
        entries,
        inbox.on_batch,
        description="alert.raised: an inbox entry (and webhook deliveries) for the supplier",
    )
