"""Wires the suppliers service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from marketplace_platform.http import create_app
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.runtime import ServiceRuntime

from .adapters.catalogue import MongoProfiles, MongoSolutions
from .adapters.inbox import MongoInbox
from .adapters.repository import OUTBOX_COLLECTIONS
from .adapters.resolver import resolve
from .adapters.subscriptions import MongoSubscriptions
from .adapters.webhooks import MongoDeliveries, MongoWebhooks
from .domain.errors import RuleViolation
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
    "solutions, deployments, subscriptions, webhooks and the supplier inbox."
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
    catalogue = Catalogue(MongoProfiles(runtime.db), solutions, runtime.relay, settings.source)
    subscriptions = Subscriptions(subscription_repository, runtime.relay, settings.source)
    inbox = Inbox(inbox_entries, broadcaster)
    webhooks = Webhooks(
        webhook_repository,
        deliveries,
        resolve,
        allow_loopback=settings.webhooks_allow_loopback,
        max_attempts=settings.webhook_max_attempts,
    )
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
    )
    webhooks.wake = worker.wake
    inbox.enqueue_deliveries = webhooks.enqueue_many
    consumers.register(runtime, catalogue, inbox)

    app = create_app(
        runtime,
        title=TITLE,
        description=DESCRIPTION,
        routers=[build_router(catalogue, subscriptions, webhooks, inbox, broadcaster)],
        on_start=[
            solutions.ensure_indexes,  # also backfills the solutions' cpv_prefixes
            subscription_repository.ensure_indexes,
            inbox_entries.ensure_indexes,
            webhook_repository.ensure_indexes,
            deliveries.ensure_indexes,
            worker.start,
        ],
        on_stop=[worker.stop],
    )

    @app.exception_handler(RuleViolation)
    async def _rule_violation(_: Request, exc: RuleViolation) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": f"{exc.field}: {exc.message}",
                "errors": [{"field": exc.field, "rule": "invalid", "message": exc.message}],
            },
        )

    app.state.worker = worker
    app.state.broadcaster = broadcaster
    return app
