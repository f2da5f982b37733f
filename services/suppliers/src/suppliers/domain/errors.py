"""Errors raised by the rules of the suppliers' domain (no framework imports: the platform's
domain errors import nothing but the standard library)."""

from __future__ import annotations

from marketplace_platform.errors import Invalid


class RuleViolation(Invalid, ValueError):
    """Input that breaks a rule (422); `field` names the offending field (dotted path).

    Also a ValueError, so that a rule checked inside a pydantic validator reads as that
    field's validation error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)

    @property
    def detail(self) -> str:
        return f"{self.field}: {self.message}"

    @property
    def rule(self) -> str:
        return "invalid"
