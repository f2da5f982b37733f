"""Run the needs service: `uv run python -m needs`."""

from __future__ import annotations

import uvicorn

from marketplace_platform.logs import configure_logging

from .bootstrap import build
from .settings import NeedsSettings


def main() -> None:
    settings = NeedsSettings()
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(
        build(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
