"""Wires the needs service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

from fastapi import FastAPI
from marketplace_platform.http import create_app
from marketplace_platform.runtime import ServiceRuntime

from .settings import NeedsSettings

TITLE = "Marketplace needs service"
DESCRIPTION = (
    "The buyers' side of the marketplace: "
    "needs, co-signers, implementations, adoptions and the buyer inbox."
)


def build(settings: NeedsSettings | None = None) -> FastAPI:
    settings = settings or NeedsSettings()
    runtime = ServiceRuntime(settings, outbox_collections=())
    return create_app(runtime, title=TITLE, description=DESCRIPTION, routers=[])
