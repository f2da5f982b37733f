"""Opaque keyset cursors of every list the services serve (pure): the sort key of the last
item of a page, url-safe.

A page of a list answers "the items after this key", so it costs the same at any depth and
nothing is counted. The cursor is the key as a JSON array in url-safe base64 without
padding; a cursor of another list, or one edited by hand, is refused with a ValueError that
says where a cursor comes from.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")

REFUSED = "not a cursor of this list: take it from the `next` of a page"


def _encode(parts: list[str | float]) -> str:
    raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, length: int) -> list[object]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(REFUSED) from exc
    if not isinstance(parts, list) or len(parts) != length:
        raise ValueError(REFUSED)
    return parts


def time_cursor(key: tuple[float, str]) -> str:
    """A cursor after (timestamp, id): inbox entries, subscriptions, webhooks, deliveries."""
    return _encode([key[0], key[1]])


def time_key(cursor: str) -> tuple[float, str]:
    ts, item_id = _decode(cursor, 2)
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not isinstance(item_id, str):
        raise ValueError(REFUSED)
    if not math.isfinite(ts):
        raise ValueError(REFUSED)
    return (float(ts), item_id)


def name_cursor(name: str, item_id: str) -> str:
    """A cursor after (name, id): the catalogue, in Swedish order of names."""
    return _encode([name, item_id])


def name_key(cursor: str) -> tuple[str, str]:
    name, item_id = _decode(cursor, 2)
    if not isinstance(name, str) or not isinstance(item_id, str):
        raise ValueError(REFUSED)
    return (name, item_id)


def read_cursor(
    cursor: str | None, parse: Callable[[str], K], refuse: Callable[[str], Exception]
) -> K | None:
    """The key of a request's `cursor` (None for the first page); a cursor `parse` does
    not take is refused with `refuse(message)`, the service's own 422 naming `cursor`."""
    if not cursor:
        return None
    try:
        return parse(cursor)
    except ValueError as exc:
        raise refuse(str(exc)) from None
