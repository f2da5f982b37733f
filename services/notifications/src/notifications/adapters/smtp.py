"""Sending over SMTP with aiosmtplib: one connection for a run of messages, each outcome
told apart as the sender needs it.

A reply in the 5xx range is permanent (the address or the message is refused: sending
again changes nothing); 4xx is temporary; a connection that cannot be made, drops or
times out is the server being away, which says nothing about the message.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from ..settings import NotificationsSettings

Outcome = Literal["sent", "temporary", "permanent", "unreachable"]


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""
    code: int | None = None


class Connection:
    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client

    async def send(self, message: EmailMessage) -> Result:
        try:
            errors, reply = await self.client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]
            return _refused(first.code, first.message)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            return Result("unreachable", str(exc) or type(exc).__name__)
        except aiosmtplib.SMTPResponseException as exc:
            return _refused(exc.code, exc.message)
        if errors:  # some recipients refused: ours have one each
            refusal = next(iter(errors.values()))
            return _refused(refusal.code, refusal.message)
        return Result("sent", reply)


def _refused(code: int, message: str) -> Result:
    return Result("permanent" if 500 <= code < 600 else "temporary", f"{code} {message}", code)


class SmtpServer:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        """Raises `ConnectionError` when the server cannot be reached or refuses us."""
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            timeout=s.smtp_timeout_s,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ConnectionError(f"SMTP server {s.smtp_host}:{s.smtp_port}: {exc}") from exc
        try:
            yield Connection(client)
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
