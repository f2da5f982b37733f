"""Pages of the lists the API serves: the items and the cursor of the next page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace_platform.errors import Invalid

from ..adapters.repository import Key
from ..domain.cursors import time_cursor, time_key


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None  # the `cursor` of the following page; None on the last one

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next}


def after_cursor(cursor: str | None) -> Key | None:
    """The key a (timestamp, id) cursor stands for; a 422 naming `cursor` for a bad one."""
    if not cursor:
        return None
    try:
        return time_key(cursor)
    except ValueError as exc:
        raise Invalid(str(exc), field="cursor") from None


def next_cursor(key: Key | None) -> str | None:
    return time_cursor(key) if key is not None else None
