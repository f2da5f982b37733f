"""The e-mail sender in the fault suite: a mail server away, then the sender SIGKILLed in
the middle of a batch, under a stream of alerts on the real broker, database and SMTP
server; every message sent and none twice (but at most the one in flight at the kill).

Figures in the fault report as for the other scenarios: for each fault, the time from its
end to the first message sent again and to the last of the backlog, the backlog's size,
and the steady rate (messages per second with nothing wrong, measured first) beside the
rate the backlog drained at.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults import report
from tests.faults.workload import FULL
from tests.notifications.support import (
    auth,
    captured,
    send_events,
    start_capture,
    start_notifications,
)
from tests.notifications.test_units import alert
from tests.support.infra import free_port, wait_healthy

pytestmark = [pytest.mark.infra, pytest.mark.timeout(1200 if FULL else 300)]

BATCH = 1000 if FULL else 80  # alerts per phase: steady, during the outage, at the kill
OUTAGE_S = 20.0 if FULL else 4.0
SUPPLIER = "vrutbildning-ab"
ENV = {"NOTIFICATIONS_AUTO_VERIFY": "true", "NOTIFICATIONS_RETRY_BASE_S": "0.5"}


def ids(directory: Path) -> Counter[str]:
    return Counter(str(m.message["Message-ID"]) for m in captured(directory))


async def until_count(
    directory: Path, count: int, timeout: float, since: float | None = None
) -> float | None:
    """Seconds from `since` (time.monotonic; default now) until `count` distinct messages
    are captured (None: not within `timeout`)."""
    start = time.monotonic() if since is None else since
    while time.monotonic() - start < timeout:
        if len(ids(directory)) >= count:
            return time.monotonic() - start
        await asyncio.sleep(0.1)
    return None


def phase(start: int) -> list[Any]:
    return [(alert("sub-1", f"n-{i}"), f"alert-{i}") for i in range(start, start + BATCH)]


async def test_mail_server_away_then_sender_killed_mid_batch(
    tmp_path: Path, topic_prefix: str
) -> None:
    mail_dir, smtp_port = tmp_path / "mail", free_port()
    capture, _ = start_capture(tmp_path, mail_dir, smtp_port)

    def service_up() -> Any:
        return start_notifications(
            tmp_path, topic_prefix=topic_prefix, smtp_port=smtp_port, capture_dir=mail_dir, **ENV
        )

    service = service_up()
    timeline: list[dict[str, Any]] = []
    try:
        await wait_healthy(service)
        async with httpx.AsyncClient(base_url=service.url, timeout=15) as client:
            added = await client.post(
                "/v1/contacts",
                json={"name": "Åsa Öberg", "email": "asa@vrutbildning.se", "language": "sv"},
                headers=auth(SUPPLIER, "supplier"),
            )
            assert added.status_code == 201, added.text

        # Steady: nothing wrong.
        began = time.monotonic()
        await send_events(topic_prefix, phase(0))
        steady_s = await until_count(mail_dir, BATCH, 240)
        assert steady_s is not None, "the steady phase did not finish"
        steady_rate = BATCH / (time.monotonic() - began)

        # The mail server away while alerts arrive.
        capture.stop()
        await send_events(topic_prefix, phase(BATCH))
        await asyncio.sleep(OUTAGE_S)
        assert len(ids(mail_dir)) == BATCH, "sent while the server was away?"
        capture, _ = start_capture(tmp_path, mail_dir, smtp_port)
        ended = time.monotonic()
        first = await until_count(mail_dir, BATCH + 1, 60, since=ended)
        drained = await until_count(mail_dir, 2 * BATCH, 240, since=ended)
        timeline.append(
            {
                "fault": f"SMTP server away {OUTAGE_S:.0f} s",
                "backlog": BATCH,
                "first_handled_s": first,
                "drained_s": drained,
            }
        )

        # The sender SIGKILLed in the middle of a batch, restarted at once.
        await send_events(topic_prefix, phase(2 * BATCH))
        assert await until_count(mail_dir, 2 * BATCH + BATCH // 10, 120) is not None
        service.process.kill()
        backlog = 3 * BATCH - len(ids(mail_dir))
        assert backlog > 0, "all were sent before the kill: the scenario proves nothing"
        service = service_up()
        ended = time.monotonic()  # the fault lasts until the new process is started
        first = await until_count(mail_dir, 3 * BATCH - backlog + 1, 120, since=ended)
        drained = await until_count(mail_dir, 3 * BATCH, 240, since=ended)
        timeline.append(
            {
                "fault": "sender SIGKILLed mid-batch",
                "backlog": backlog,
                "first_handled_s": first,
                "drained_s": drained,
            }
        )
        await asyncio.sleep(2)  # time for a duplicate, were one coming
    finally:
        service.process.stop()
        capture.stop()
    sent = ids(mail_dir)
    twice = [mid for mid, n in sent.items() if n > 1]
    # The backlog's rate from the first message sent again to the last of it.
    drain_rates = [
        round(t["backlog"] / (t["drained_s"] - t["first_handled_s"]), 1)
        if t["drained_s"]
        and t["first_handled_s"] is not None
        and t["drained_s"] > t["first_handled_s"]
        else None
        for t in timeline
    ]
    report.scenario(
        "mail sender: SMTP away, then SIGKILL",
        events_sent=3 * BATCH,
        expected=3 * BATCH,
        found=len(sent),
        duplicated=sum(n - 1 for n in sent.values()),
        backlog=sum(t["backlog"] for t in timeline),
        first_handled_s=max((t["first_handled_s"] or 1e9) for t in timeline),
        drained_s=max((t["drained_s"] or 1e9) for t in timeline),
        steady_per_s=round(steady_rate, 1),
        drain_per_s=drain_rates,
        timeline=timeline,
        note="at most the message in flight at the kill is sent twice (same Message-ID)",
    )
    assert len(sent) == 3 * BATCH, f"{3 * BATCH - len(sent)} messages lost"
    assert len(twice) <= 1 and all(sent[m] == 2 for m in twice), twice
    for t in timeline:
        assert t["first_handled_s"] is not None and t["drained_s"] is not None, timeline
