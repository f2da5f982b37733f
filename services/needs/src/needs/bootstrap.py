"""Wires the needs service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from marketplace_contracts.events import CloudEvent, SolutionRetired, SolutionState
from marketplace_platform.http import create_app
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.runtime import ServiceRuntime
from marketplace_platform.state_reader import KafkaStateReader

from .adapters.ocds import OcdsRepository
from .adapters.repository import (
    OUTBOX_COLLECTIONS,
    AdoptionsRepository,
    InboxRepository,
    NeedsRepository,
)
from .domain import vocabulary
from .domain.listing import NeedListing
from .domain.ocds import OcdsMapping
from .entrypoints import consumers
from .entrypoints.http import inbox_router, needs_router
from .entrypoints.open_data import open_data_router
from .entrypoints.reference import reference_router
from .service.handlers import InboxService, NeedsService
from .service.open_data import OpenData, Publisher, SolutionDirectory
from .settings import NeedsSettings

TITLE = "Marketplace needs service"
DESCRIPTION = (
    "The buyers' side of the marketplace: "
    "needs, co-signers, implementations, adoptions and the buyer inbox."
)


def build(settings: NeedsSettings | None = None) -> FastAPI:
    settings = settings or NeedsSettings()
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, single_writer=True)
    needs = NeedsRepository(runtime.db, settings.source)
    adoptions = AdoptionsRepository(runtime.db, settings.source)
    inbox_repo = InboxRepository(runtime.db)
    broadcaster = InboxBroadcaster()
    listing = NeedListing()
    solutions = SolutionDirectory()

    async def follow(event: CloudEvent) -> None:
        payload = event.payload()
        if isinstance(payload, SolutionState | SolutionRetired):
            solutions.apply(payload)
        else:
            service.apply_to_listing(payload, event.time)

    # The list of published needs is answered from memory, rebuilt from the needs topic
    # before the service answers and kept current from it (this and every other instance);
    # so are the solutions' names and suppliers, which an award release names.
    reader = KafkaStateReader(
        settings.kafka_bootstrap_servers,
        [runtime.topics.needs, runtime.topics.solutions],
        follow,
        "needs-listing",
    )

    async def solutions_caught_up() -> None:
        await reader.catch_up_with([runtime.topics.solutions])

    open_data = OpenData(
        OcdsRepository(runtime.db),
        OcdsMapping(settings.ocds_ocid_prefix, settings.ocds_organisation_numbers),
        Publisher(
            settings.ocds_publisher_name,
            settings.ocds_publisher_uri,
            settings.ocds_license,
            settings.ocds_publication_policy,
        ),
        solutions,
        catch_up=solutions_caught_up,
    )
    service = NeedsService(
        needs, adoptions, runtime.relay, listing, release_of=open_data.release_of
    )
    inbox = InboxService(inbox_repo, needs, broadcaster)

    consumers.register(runtime, inbox, open_data)
    runtime.declare_publication(
        "needs", "need.published, need.updated, need.phase-changed, need.cosigned, need.withdrawn"
    )
    runtime.declare_publication("adoptions", "adoption.recorded: implementations and adoptions")
    runtime.declare_publication("ocds", "ocds.released: OCDS 1.1 releases of published needs")

    runtime.before_consuming.append(reader.start)

    async def prune_read_inbox() -> int:
        age = timedelta(days=settings.inbox_read_retention_days)
        return await inbox_repo.prune_read(datetime.now(UTC) - age)

    runtime.prunes.append(prune_read_inbox)

    async def ensure_indexes() -> None:
        await needs.ensure_indexes()
        await inbox_repo.ensure_indexes()

    # Before the consumers start, so that no entry is added to an order not yet filled.
    runtime.before_consuming.insert(0, ensure_indexes)

    async def warm_reference_index() -> None:
        if settings.warm_reference_index:
            threading.Thread(target=vocabulary.index, name="cpv-index", daemon=True).start()

    app = create_app(
        runtime,
        title=TITLE,
        description=DESCRIPTION,
        routers=[
            needs_router(service, inbox),
            inbox_router(inbox, broadcaster),
            reference_router(),
            open_data_router(open_data),
        ],
        on_start=[warm_reference_index],
        on_stop=[reader.stop],
    )
    app.state.broadcaster = broadcaster
    return app
