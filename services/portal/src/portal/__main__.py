"""Run the portal: `uv run python -m portal` (port 8000, PORTAL_PORT)."""

from __future__ import annotations

import uvicorn

from marketplace_platform.logs import configure_logging

from .app import build
from .settings import PortalSettings


def main() -> None:
    settings = PortalSettings()
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(
        build(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
