"""Refusals by a rule of the domain, shared by HTTP handlers and event consumers.

The one set of error base classes of every service: a service's domain errors subclass
these (its domain code may import this module: it imports nothing but the standard
library), and `marketplace_platform.http.install_error_handlers` answers each with its
`status` and the body of `body()`. Event consumers dead-letter them at once (a refusal
is the message's fault; see `consumers.MESSAGE_ERRORS`).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A rule of the domain refused the request; `status` is the HTTP status to answer.

    The answer is ``{"detail": ..., "errors": [{"field", "rule", "message"}], **extra}``,
    with `errors` only when `field` names the offending field.
    """

    status: ClassVar[int] = 400

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    @property
    def detail(self) -> str:
        """The sentence a person reads (the answer's `detail`)."""
        return self.message

    @property
    def rule(self) -> str:
        """The rule named in the answer's `errors` (the kind of refusal)."""
        return type(self).__name__.lower()

    def __str__(self) -> str:
        return self.detail

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail}
        if self.field:
            body["errors"] = [{"field": self.field, "rule": self.rule, "message": self.message}]
        body.update(self.extra)
        return body


class NotFound(DomainError):
    """No such thing, or none the caller may see."""

    status = 404


class Forbidden(DomainError):
    """The caller may not do this."""

    status = 403


class Conflict(DomainError):
    """The thing's current state does not allow this."""

    status = 409


class Invalid(DomainError):
    """Bad input; `field` names the offending field."""

    status = 422
