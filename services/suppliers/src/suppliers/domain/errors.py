"""Errors raised by the rules of the suppliers' domain (no framework imports)."""

from __future__ import annotations


class RuleViolation(ValueError):
    """Input that breaks a rule; `field` names the offending field (dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
