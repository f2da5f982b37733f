"""The one runner behind every service's `python -m <service>`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from starlette.types import ASGIApp

from .logs import configure_logging
from .settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def serve(
    build: Callable[[S], ASGIApp], settings: S, *, timeout_graceful_shutdown: int = 10
) -> None:
    """Configure logging, build the app from `settings` and serve it until stopped."""
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(
        build(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=timeout_graceful_shutdown,
    )
