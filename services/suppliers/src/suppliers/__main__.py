"""Run the suppliers service: `uv run python -m suppliers`."""

from marketplace_platform.serve import serve

from .bootstrap import build
from .settings import SuppliersSettings

if __name__ == "__main__":
    serve(build, SuppliersSettings())
