"""Run the notifications service: `uv run python -m notifications`."""

from marketplace_platform.serve import serve

from .bootstrap import build
from .settings import NotificationsSettings

if __name__ == "__main__":
    serve(build, NotificationsSettings())
