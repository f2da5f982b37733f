"""The words of the innovation process that events, forms and the CLI share: a need's phase
and a solution's maturity. A module of its own, importing nothing, so that the CLI and the
process rules can name them without loading the event models."""

from __future__ import annotations

from typing import Literal

Phase = Literal[
    "hypothesis",
    "validation",
    "co-creation",
    "procurement",
    "implementation",
    "scaling",
    "withdrawn",
]
Maturity = Literal["idea", "prototype", "pilot", "market-ready"]
