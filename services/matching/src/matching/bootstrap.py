"""Wires the matching service: settings, runtime (database, broker, relay), handlers, app."""

from __future__ import annotations

from fastapi import FastAPI

from marketplace_platform.http import create_app
from marketplace_platform.runtime import ServiceRuntime

from .settings import MatchingSettings

TITLE = "Marketplace matching service"
DESCRIPTION = "Explainable need-solution matching, subscription alerts and scaling opportunities."


def build(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    runtime = ServiceRuntime(settings, outbox_collections=())
    return create_app(runtime, title=TITLE, description=DESCRIPTION, routers=[])
