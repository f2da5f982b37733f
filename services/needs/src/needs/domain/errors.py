"""Refusals of the needs domain; the entrypoints turn them into HTTP answers."""

from __future__ import annotations

from typing import Any, Literal

Kind = Literal["invalid", "conflict", "forbidden", "not-found"]


class NeedsError(Exception):
    """A rule of the domain refused a command."""

    kind: Kind = "conflict"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class InvalidInput(NeedsError):
    kind = "invalid"


class RuleConflict(NeedsError):
    kind = "conflict"


class IllegalPhaseMove(RuleConflict):
    """A phase move the process model does not allow; names the allowed ones."""


class NotPermitted(NeedsError):
    kind = "forbidden"


class NotFoundError(NeedsError):
    kind = "not-found"
