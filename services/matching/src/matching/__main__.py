"""Run the matching service: `uv run python -m matching`."""

from marketplace_platform.serve import serve

from .bootstrap import build
from .settings import MatchingSettings

if __name__ == "__main__":
    serve(build, MatchingSettings())
