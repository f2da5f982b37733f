"""Kafka subscribers: adoptions become deployments; matches and alerts become inbox entries."""

from __future__ import annotations

from marketplace_contracts.events import AdoptionRecorded, AlertRaised, CloudEvent, MatchFound
from marketplace_platform.runtime import ServiceRuntime, subscribe

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
    subscribe(
        runtime,
        "matches",
        dispatcher,
        description="match.found: an inbox entry (and webhook deliveries) for the supplier",
    )
    subscribe(
        runtime,
        "alerts",
        dispatcher,
        description="alert.raised: an inbox entry (and webhook deliveries) for the supplier",
    )
