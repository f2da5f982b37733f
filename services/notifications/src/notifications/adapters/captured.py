"""The development capture server's messages (`.eml` files, `deploy/local/mail_capture.py`),
read for the portal's and the CLI's mail view: development and tests only."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any


def _read(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def summary(path: Path, message: EmailMessage) -> dict[str, Any]:
    return {
        "name": path.name,
        "to": str(message.get("To", "")),
        "from": str(message.get("From", "")),
        "subject": str(message.get("Subject", "")),
        "date": str(message.get("Date", "")),
        "message_id": str(message.get("Message-ID", "")),
        "language": str(message.get("Content-Language", "")),
        "list_unsubscribe": str(message.get("List-Unsubscribe", "")) or None,
    }


class CapturedMail:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def latest(self, limit: int, to: str | None = None) -> list[dict[str, Any]]:
        """The newest messages first (file names sort by arrival), optionally to one
        address."""
        if not self.directory.is_dir():
            return []
        found: list[dict[str, Any]] = []
        for path in sorted(self.directory.glob("*.eml"), reverse=True):
            item = summary(path, _read(path))
            if to and to.lower() not in item["to"].lower():
                continue
            found.append(item)
            if len(found) >= limit:
                break
        return found

    def one(self, name: str) -> dict[str, Any] | None:
        path = self.directory / name
        if "/" in name or not name.endswith(".eml") or not path.is_file():
            return None
        message = _read(path)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        return {
            **summary(path, message),
            "text": text.get_content() if isinstance(text, EmailMessage) else None,
            "html": html.get_content() if isinstance(html, EmailMessage) else None,
        }
