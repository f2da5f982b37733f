"""Wires the suppliers service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from marketplace_platform.http import create_app
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.runtime import ServiceRuntime

from .adapters.repository import OUTBOX_COLLECTIONS, Collections
from .adapters.resolver import resolve
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
    cols = Collections(runtime.db)
    broadcaster = InboxBroadcaster()
    catalogue = Catalogue(cols, runtime.relay, settings.source)
    subscriptions = Subscriptions(cols, runtime.relay, settings.source)
    inbox = Inbox(cols, broadcaster)
    webhooks = Webhooks(
        cols,
        resolve,
        allow_loopback=settings.webhooks_allow_loopback,
        max_attempts=settings.webhook_max_attempts,
    )
    worker = DeliveryWorker(
        cols,
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
        on_start=[cols.ensure_indexes, worker.start],
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
