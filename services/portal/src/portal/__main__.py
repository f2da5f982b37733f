"""Run the portal: `uv run python -m portal` (port 8000, PORTAL_PORT)."""

from marketplace_platform.serve import serve

from .app import build
from .settings import PortalSettings

if __name__ == "__main__":
    serve(build, PortalSettings(), timeout_graceful_shutdown=5)
