"""The opening of a long text, as a list shows it (a need's problem, a solution's
description): enough to tell items apart without reading each one whole."""

from __future__ import annotations

from typing import Final

__all__ = ["SUMMARY_CHARS", "summary_of"]

SUMMARY_CHARS: Final = 280


def summary_of(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The text with its white space collapsed: whole when it fits in `limit` characters,
    else cut at the last word that fits (inside a word only when one word fills half of
    it), with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"
