"""Wires the suppliers service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI

from marketplace_contracts.events import CloudEvent
from marketplace_platform.http import create_app
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.runtime import ServiceRuntime
from marketplace_platform.state_reader import KafkaStateReader

from .adapters.catalogue import MongoProfiles, MongoSolutions
from .adapters.inbox import MongoInbox
from .adapters.repository import OUTBOX_COLLECTIONS
from .adapters.resolver import resolve
from .adapters.subscriptions import MongoSubscriptions
from .adapters.webhooks import MongoDeliveries, MongoWebhooks
from .domain.listing import SolutionListing
from .entrypoints import consumers
from .entrypoints.http import build_router
from .service.catalogue import Catalogue
from .service.delivery import DeliveryWorker
from .service.inbox import Inbox
from .service.subscriptions import Subscriptions
from .service.webhooks import Webhooks
from .settings import SuppliersSettings

TITLE = "Marketplace suppliers service"
DESCRIPTION = (
    "The suppliers' side of the marketplace: "
    "solutions, deployments, subscriptions, webhooks and the supplier inbox. "
    "Lists come a page at a time: `items`, and `next`, the `cursor` of the following page "
    "(null on the last one)."
)


def build(settings: SuppliersSettings | None = None) -> FastAPI:
    settings = settings or SuppliersSettings()
    runtime = ServiceRuntime(settings, outbox_collections=OUTBOX_COLLECTIONS, single_writer=True)
    solutions = MongoSolutions(runtime.db)
    subscription_repository = MongoSubscriptions(runtime.db)
    inbox_entries = MongoInbox(runtime.db)
    webhook_repository = MongoWebhooks(runtime.db)
    deliveries = MongoDeliveries(runtime.db)
    broadcaster = InboxBroadcaster()
    listing = SolutionListing()
    catalogue = Catalogue(
        MongoProfiles(runtime.db), solutions, runtime.relay, settings.source, listing
    )
    subscriptions = Subscriptions(subscription_repository, runtime.relay, settings.source)
    # Wired in one direction: queueing a delivery sets `deliveries_due`, which the worker
    # waits on; the inbox queues through the webhooks; the worker uses both.
    deliveries_due = asyncio.Event()
    webhooks = Webhooks(
        webhook_repository,
        deliveries,
        resolve,
        allow_loopback=settings.webhooks_allow_loopback,
        max_attempts=settings.webhook_max_attempts,
        wake=deliveries_due.set,
    )
    inbox = Inbox(inbox_entries, broadcaster, enqueue_deliveries=webhooks.enqueue_many)
    worker = DeliveryWorker(
        deliveries,
        webhook_repository,
        webhooks,
        inbox,
        timeout_s=settings.webhook_timeout_s,
        base_delay_s=settings.webhook_base_delay_s,
        max_delay_s=settings.webhook_max_delay_s,
        poll_interval_s=settings.webhook_poll_interval_s,
        per_webhook=settings.webhook_per_endpoint_concurrency,
        lease_s=settings.webhook_lease_s,
        wake=deliveries_due,
    )
    consumers.register(runtime, catalogue, inbox)

    # Before the service consumes or answers: the one-off references of what predates the
    # orders that every read goes through (each runs once per database), then the
    # catalogue listing, rebuilt from the solutions topic and kept current from it.
    async def reference_what_predates_the_orders() -> None:
        await subscription_repository.backfill()
        await webhook_repository.backfill()
        await inbox_entries.backfill()
        await deliveries.backfill()

    async def follow_solutions(event: CloudEvent) -> None:
        await catalogue.apply_to_listing(event.payload())

    reader = KafkaStateReader(
        settings.kafka_bootstrap_servers,
        [runtime.topics.solutions],
        follow_solutions,
        "solutions-listing",
    )
    runtime.before_consuming += [reference_what_predates_the_orders, reader.start]

    async def prune_read_inbox() -> int:
        return await inbox.prune_read(timedelta(days=settings.inbox_read_retention_days))

    async def prune_done_deliveries() -> int:
        return await webhooks.prune_deliveries(timedelta(days=settings.deliveries_retention_days))

    runtime.prunes += [prune_read_inbox, prune_done_deliveries]

    app = create_app(
        runtime,
        title=TITLE,
        description=DESCRIPTION,
        routers=[build_router(catalogue, subscriptions, webhooks, inbox, broadcaster)],
        on_start=[
            solutions.ensure_indexes,  # also backfills the solutions' cpv_prefixes
            deliveries.ensure_indexes,
            worker.start,
        ],
        on_stop=[worker.stop, reader.stop],
    )

    app.state.worker = worker
    app.state.broadcaster = broadcaster
    app.state.listing = listing
    return app
