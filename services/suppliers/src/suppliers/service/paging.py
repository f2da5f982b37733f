"""Pages of the lists the API serves: the items and the cursor of the next page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_contracts.cursors import read_cursor, time_cursor, time_key
from marketplace_platform.errors import Invalid

from ..adapters.repository import Key


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None  # the `cursor` of the following page; None on the last one

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next}


def after_cursor(cursor: str | None) -> Key | None:
    """The key a (timestamp, id) cursor stands for; a 422 naming `cursor` for a bad one."""
    return read_cursor(cursor, time_key, lambda message: Invalid(message, field="cursor"))


def next_cursor(key: Key | None) -> str | None:
    return time_cursor(key) if key is not None else None
