"""The cursors of a CPV code search: the key a page ended at, bound to the search it
belongs to (a `next` of another search is refused, not misread)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from .errors import InvalidInput

Key = tuple[int, int, int, str]  # (-match quality, level rank, label length, code)


def search_fingerprint(normalized_query: str | None, under: str | None, lang: str) -> str:
    text = json.dumps([normalized_query, under, lang])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def write_cursor(key: Key, fingerprint: str) -> str:
    raw = json.dumps([fingerprint, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(cursor: str, fingerprint: str) -> Key:
    """The key a page ended at; refuses anything but a `next` of this very search."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, binascii.Error):
        value = None
    if (
        isinstance(value, list)
        and len(value) == 5
        and value[0] == fingerprint
        and all(type(v) is int for v in value[1:4])
        and isinstance(value[4], str)
    ):
        return (value[1], value[2], value[3], value[4])
    raise InvalidInput(
        "cursor: not a cursor of this search; pass the `next` of the previous page unchanged, "
        "with the same q, parent and lang",
        field="cursor",
    )
