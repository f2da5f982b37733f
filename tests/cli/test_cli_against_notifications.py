"""The `marketplace` command against a real notifications service (Kafka, the database)
sending over SMTP to a real capture server: a contact is added, its verification message
read with `mail list` and `mail show`, its link followed with `contacts verify`."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from marketplace_tools.cli import app
from marketplace_tools.cli.core import out
from tests.notifications.support import start_capture, start_notifications, wait_for_mail
from tests.support.infra import ServiceHandle, free_port, unique, wait_healthy

pytestmark = pytest.mark.infra

runner = CliRunner()
LINK = re.compile(r"http://127\.0\.0\.1:\d+/v1/verify\?token=[\w.-]+")


def cli(handle: ServiceHandle, *args: str) -> Result:
    closed = f"http://127.0.0.1:{free_port()}"
    return runner.invoke(
        app,
        [
            *("--needs-url", closed, "--suppliers-url", closed, "--matching-url", closed),
            *("--notifications-url", handle.url),
            *args,
        ],
        env={"MARKETPLACE_TOKEN": "", "MARKETPLACE_ENVIRONMENT": "test"},
    )


def test_a_contact_is_added_its_message_read_and_its_link_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(out, "width", 200)  # tables, whatever an earlier test left
    mail_dir = tmp_path / "mail"
    capture, smtp_port = start_capture(tmp_path, mail_dir)
    service = start_notifications(
        tmp_path, topic_prefix=unique("t"), smtp_port=smtp_port, capture_dir=mail_dir
    )
    try:
        asyncio.run(wait_healthy(service))
        org = unique("karlstad")
        address = f"anna.lind@{org}.se"
        who = ("--org", org, "--role", "buyer")

        added = cli(
            service,
            *("contacts", "add", *who, "--name", "Anna Lind", "--email", address),
            *("--language", "sv", "--time-zone", "Europe/Stockholm"),
        )
        assert added.exit_code == 0, added.output
        assert f"lade till kontakten Anna Lind <{address}>" in added.output
        assert "bekräfta adressen har skickats" in added.output
        unverified = cli(service, "--lang", "en", "contacts", "list", *who)
        assert unverified.exit_code == 0, unverified.output
        assert address in unverified.output and "│ no " in unverified.output

        # A refused field is named by its option, in plain words.
        refused = cli(service, "contacts", "add", *who, "--name", "Per", "--email", "per@")
        assert refused.exit_code == 1
        assert "godtog inte --email: not an e-mail address" in refused.output
        assert "Traceback" not in refused.output

        assert asyncio.run(wait_for_mail(mail_dir, 1, to=address))
        listed = cli(service, "mail", "list", "--to", address)
        assert listed.exit_code == 0, listed.output
        assert "fångad e-post (1)" in listed.output
        assert "Bekräfta din e-postadress" in listed.output and address in listed.output
        [message] = json.loads(cli(service, "--json", "mail", "list", "--to", address).output)[
            "items"
        ]
        assert cli(service, "mail", "list", "--to", "nobody@example.se").output.startswith(
            "ingen fångad e-post till nobody@example.se"
        )

        shown = cli(service, "mail", "show", message["name"])
        assert shown.exit_code == 0, shown.output
        assert f"To: Anna Lind <{address}>" in shown.output
        assert "Subject: Bekräfta din e-postadress" in shown.output
        assert "Hej Anna Lind" in shown.output
        link = LINK.search(shown.output)
        assert link, shown.output
        missing = cli(service, "mail", "show", "19990101T000000.000000-00000000")
        assert missing.exit_code == 1 and "inget fångat meddelande" in missing.output

        # An altered link is refused in plain words; the link as sent confirms the address.
        broken = cli(service, "contacts", "verify", link.group(0)[:-3] + "abc")
        assert broken.exit_code == 1
        assert "länken fungerar inte" in broken.output and "<html" not in broken.output
        verified = cli(service, "contacts", "verify", link.group(0))
        assert verified.exit_code == 0, verified.output
        assert "adressen är bekräftad" in verified.output
        again = cli(service, "--lang", "en", "contacts", "verify", link.group(0).split("=")[1])
        assert again.exit_code == 0 and "the address is confirmed" in again.output

        after = cli(service, "contacts", "list", *who)
        assert after.exit_code == 0, after.output
        [row] = [line for line in after.output.splitlines() if address in line]
        assert "│ ja " in row and "fungerar" in row
        contact = json.loads(cli(service, "--json", "contacts", "list", *who).output)["items"][0]
        assert contact["verified"] is True
        resent = cli(service, "contacts", "resend", contact["id"], *who)
        assert resent.exit_code == 0 and "redan bekräftad" in resent.output
    finally:
        service.process.stop()
        capture.stop()
