"""Refusals of the needs domain; the platform's error handler turns them into HTTP answers.

Each subclasses one of the platform's domain errors (`marketplace_platform.errors`, which
imports nothing but the standard library), whose `status` it answers with.
"""

from __future__ import annotations

from marketplace_platform.errors import Conflict, DomainError, Forbidden, Invalid, NotFound


class NeedsError(DomainError):
    """A rule of the domain refused a command."""

    status = 409

    @property
    def rule(self) -> str:
        """The needs service names the error's class as the rule (e.g. `InvalidInput`)."""
        return type(self).__name__


class InvalidInput(Invalid, NeedsError):
    """Bad input (422); `field` names the offending field."""


class RuleConflict(Conflict, NeedsError):
    """The need's state does not allow this (409)."""


class IllegalPhaseMove(RuleConflict):
    """A phase move the process model does not allow; names the allowed ones."""


class NotPermitted(Forbidden, NeedsError):
    """The organisation may not do this (403)."""


class NotFoundError(NotFound, NeedsError):
    """No such need or entry visible to the organisation (404)."""
