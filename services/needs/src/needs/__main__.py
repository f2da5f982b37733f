"""Run the needs service: `uv run python -m needs`."""

from marketplace_platform.serve import serve

from .bootstrap import build
from .settings import NeedsSettings

if __name__ == "__main__":
    serve(build, NeedsSettings())
