"""The sender under faults, on the real broker, database and SMTP servers: a server that
is away loses nothing; a sender SIGKILLed in the middle of a batch sends every message
and none twice but, at most, the one it was sending (under its same Message-ID); a
temporary refusal is retried with backoff; a permanent one marks the address failing,
which the organisation sees, and the address gets nothing more."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.notifications.support import (
    auth,
    captured,
    send_events,
    start_capture,
    start_notifications,
    stats,
    wait_for_mail,
)
from tests.notifications.test_units import alert
from tests.support.infra import free_port, wait_healthy

pytestmark = pytest.mark.infra

SUPPLIER = "vrutbildning-ab"
FAST_RETRY = {"NOTIFICATIONS_AUTO_VERIFY": "true", "NOTIFICATIONS_RETRY_BASE_S": "0.5"}


async def add_contact(url: str, email: str, name: str = "Åsa Öberg") -> str:
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        answer = await client.post(
            "/v1/contacts",
            json={"name": name, "email": email, "language": "sv"},
            headers=auth(SUPPLIER, "supplier"),
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["verified"] is True  # automatic by setting here
        return str(answer.json()["id"])


def alerts(n: int, start: int = 0) -> list[Any]:
    return [(alert("sub-1", f"n-{i}"), f"alert-{i}") for i in range(start, start + n)]


def message_ids(directory: Path) -> Counter[str]:
    return Counter(str(m.message["Message-ID"]) for m in captured(directory))


async def test_a_mail_server_away_loses_nothing(tmp_path: Path, topic_prefix: str) -> None:
    mail_dir = tmp_path / "mail"
    smtp_port = free_port()
    capture, _ = start_capture(tmp_path, mail_dir, smtp_port)
    service = start_notifications(
        tmp_path,
        topic_prefix=topic_prefix,
        smtp_port=smtp_port,
        capture_dir=mail_dir,
        **FAST_RETRY,
    )
    try:
        await wait_healthy(service)
        await add_contact(service.url, "asa@vrutbildning.se")
        capture.stop()
        await send_events(topic_prefix, alerts(20))
        await asyncio.sleep(3)
        assert captured(mail_dir) == []
        assert (await stats(service))["sender"]["unreachable_since"] is not None
        capture, _ = start_capture(tmp_path, mail_dir, smtp_port)
        back = time.monotonic()
        first = await wait_for_mail(mail_dir, 1)
        first_s = time.monotonic() - back
        found = await wait_for_mail(mail_dir, 20, timeout=60)
        drained_s = time.monotonic() - back
        assert len(found) == 20 and len(message_ids(mail_dir)) == 20
        assert first, "nothing arrived after the server came back"
        # The sender waits at most reconnect_cap_s (10 s) between tries.
        print(f"server back: first message after {first_s:.2f} s, all 20 after {drained_s:.2f} s")
        assert first_s < 15
    finally:
        service.process.stop()
        capture.stop()


async def test_a_sender_killed_mid_batch_sends_each_message(
    tmp_path: Path, topic_prefix: str
) -> None:
    mail_dir = tmp_path / "mail"
    capture, smtp_port = start_capture(tmp_path, mail_dir)
    service = start_notifications(
        tmp_path,
        topic_prefix=topic_prefix,
        smtp_port=smtp_port,
        capture_dir=mail_dir,
        **FAST_RETRY,
    )
    total = 300
    try:
        await wait_healthy(service)
        await add_contact(service.url, "asa@vrutbildning.se")
        await send_events(topic_prefix, alerts(total))
        some = await wait_for_mail(mail_dir, 20, timeout=60)
        assert len(some) >= 20
        service.process.kill()  # SIGKILL in the middle of sending
        at_kill = len(captured(mail_dir))
        assert at_kill < total, "all were sent before the kill: the test proves nothing"
        service = start_notifications(
            tmp_path,
            topic_prefix=topic_prefix,
            smtp_port=smtp_port,
            capture_dir=mail_dir,
            **FAST_RETRY,
        )
        await wait_healthy(service)
        await wait_for_mail(mail_dir, total, timeout=120)
        await asyncio.sleep(2)  # time for a duplicate, were one coming
    finally:
        service.process.stop()
        capture.stop()
    ids = message_ids(mail_dir)
    assert len(ids) == total, f"{total - len(ids)} lost"
    twice = [mid for mid, n in ids.items() if n > 1]
    # At most the message in flight at the kill, and under its same Message-ID.
    assert len(twice) <= 1 and all(ids[mid] == 2 for mid in twice), twice
    print(f"killed after {at_kill} of {total}; sent again after the restart: {len(twice)}")


class Refusing:
    """An SMTP server that refuses some recipients for good (550) and others for a while
    (451 the first two times), and takes the rest."""

    def __init__(self) -> None:
        self.accepted: list[tuple[list[str], bytes]] = []
        self.rcpt_tries: Counter[str] = Counter()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.rcpt_tries[address] += 1
        if "studsar" in address:
            return "550 5.1.1 Mailbox unavailable"
        if "senare" in address and self.rcpt_tries[address] <= 2:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"


async def accepted(handler: Refusing, count: int, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.2)):
        if len(handler.accepted) >= count:
            return
        await asyncio.sleep(0.2)


@pytest.fixture
def refusing_server() -> Iterator[tuple[Refusing, int]]:
    handler = Refusing()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_refusals_are_retried_or_mark_the_address_failing(
    tmp_path: Path, topic_prefix: str, refusing_server: tuple[Refusing, int]
) -> None:
    handler, port = refusing_server
    service = start_notifications(
        tmp_path,
        topic_prefix=topic_prefix,
        smtp_port=port,
        capture_dir=tmp_path / "none",
        **FAST_RETRY,
    )
    try:
        await wait_healthy(service)
        bouncing = await add_contact(service.url, "studsar@karlstad.se", "Bo Studs")
        await add_contact(service.url, "senare@karlstad.se", "Sara Senare")
        await add_contact(service.url, "asa@vrutbildning.se")
        await send_events(topic_prefix, alerts(1))
        await accepted(handler, 2)
        delivered = sorted(to for tos, _ in handler.accepted for to in tos)
        assert delivered == ["asa@vrutbildning.se", "senare@karlstad.se"]
        assert handler.rcpt_tries["senare@karlstad.se"] == 3  # two 451s, then taken
        async with httpx.AsyncClient(base_url=service.url, timeout=15) as client:
            contact = (
                await client.get(f"/v1/contacts/{bouncing}", headers=auth(SUPPLIER, "supplier"))
            ).json()
        assert contact["address_status"] == "failing"
        assert "550" in contact["failure"]["detail"]
        # A failing address gets nothing more; the others do.
        await send_events(topic_prefix, alerts(1, start=1))
        await accepted(handler, 4)
        assert len(handler.accepted) == 4
        assert handler.rcpt_tries["studsar@karlstad.se"] == 1
    finally:
        service.process.stop()
