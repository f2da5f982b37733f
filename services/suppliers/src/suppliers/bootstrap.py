"""Wires the suppliers service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

from fastapi import FastAPI
from marketplace_platform.http import create_app
from marketplace_platform.runtime import ServiceRuntime

from .settings import SuppliersSettings

TITLE = "Marketplace suppliers service"
DESCRIPTION = (
    "The suppliers' side of the marketplace: "
    "solutions, deployments, subscriptions, webhooks and the supplier inbox."
)


def build(settings: SuppliersSettings | None = None) -> FastAPI:
    settings = settings or SuppliersSettings()
    runtime = ServiceRuntime(settings, outbox_collections=())
    return create_app(runtime, title=TITLE, description=DESCRIPTION, routers=[])
