"""E-mail end to end on the real stack: the service over Kafka and the database, sending
over SMTP to a real (capturing) server. An address is verified by its link; an alert goes
out at once, once, however often its event is delivered; matches wait for the daily
digest, grouped by need and ranked; one click unsubscribes, without signing in."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.notifications.support import (
    auth,
    captured,
    send_events,
    start_capture,
    start_notifications,
    wait_for_mail,
)
from tests.notifications.test_units import alert, match
from tests.support.infra import wait_healthy

pytestmark = pytest.mark.infra

SUPPLIER, BUYER = "vrutbildning-ab", "karlstad"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/v1/verify\?token=[\w.-]+")


async def add_and_verify(
    client: httpx.AsyncClient, directory: Path, org: str, role: str, body: dict[str, str]
) -> str:
    added = await client.post("/v1/contacts", json=body, headers=auth(org, role))
    assert added.status_code == 201, added.text
    contact = added.json()
    assert contact["verified"] is False
    [mail] = await wait_for_mail(directory, 1, to=body["email"])
    link = LINK.search(mail.text)
    assert link, mail.text
    page = await client.get(link.group(0).split(str(client.base_url))[-1])
    assert page.status_code == 200
    expected = "Adressen är bekräftad" if body.get("language", "sv") == "sv" else "confirmed"
    assert expected in page.text
    again = await client.get(f"/v1/contacts/{contact['id']}", headers=auth(org, role))
    assert again.json()["verified"] is True
    return str(contact["id"])


async def test_verification_alert_digest_and_one_click_unsubscribe(
    tmp_path: Path, topic_prefix: str
) -> None:
    mail_dir = tmp_path / "mail"
    capture, smtp_port = start_capture(tmp_path, mail_dir)
    service = start_notifications(
        tmp_path, topic_prefix=topic_prefix, smtp_port=smtp_port, capture_dir=mail_dir
    )
    try:
        await wait_healthy(service)
        async with httpx.AsyncClient(base_url=service.url, timeout=15) as client:
            asa = "asa.oberg@vrutbildning.se"
            per = "per.lind@karlstad.se"
            await add_and_verify(
                client,
                mail_dir,
                SUPPLIER,
                "supplier",
                {"name": "Åsa Öberg", "email": asa, "language": "sv"},
            )
            await add_and_verify(
                client,
                mail_dir,
                BUYER,
                "buyer",
                {"name": "Per Lind", "email": per, "language": "en"},
            )

            # An alert: immediately, in Swedish, with one-click unsubscribe headers.
            await send_events(topic_prefix, [(alert("sub-1", "n-1"), "alert-1")])
            [first] = await wait_for_mail(mail_dir, 1, to=asa, subject="bevakning")
            assert first.message["Subject"] == (
                "Ett behov passar er bevakning: Träning för vårdpersonal i äldreomsorgen"
            )
            assert "Hej Åsa Öberg" in first.text and "Samma CPV-grupp" in first.text
            assert "Karlstad" in first.text and "http://portal.test/needs/n-1" in first.html
            assert first.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            unsubscribe = str(first.message["List-Unsubscribe"]).strip("<>")

            # The same event again (a redelivery), then another: only the other is new.
            await send_events(
                topic_prefix,
                [(alert("sub-1", "n-1"), "alert-1"), (alert("sub-1", "n-2"), "alert-2")],
            )
            await wait_for_mail(mail_dir, 2, to=asa, subject="bevakning")
            await asyncio.sleep(1)  # time for a duplicate, were one coming
            alerts = await wait_for_mail(mail_dir, 3, to=asa, subject="bevakning", timeout=0)
            assert len(alerts) == 2, [m.message["Subject"] for m in alerts]

            # Matches wait for the daily digest of each side: nothing is sent at once.
            await send_events(
                topic_prefix,
                [
                    (match("n-1", "s-1", 0.55), "match-1"),
                    (match("n-1", "s-2", 0.8), "match-2"),
                    (match("n-2", "s-3", 0.9), "match-3"),
                ],
            )
            # Digests go out at 07:00 Stockholm time: run them at a time after the next.
            later = {"at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
            sent = 0
            for _ in range(50):  # the matches may still be on their way
                await asyncio.sleep(0.3)
                status = (await client.get("/v1/stats")).json()
                if status["store"]["queued"] >= 2:
                    break
            assert not await wait_for_mail(mail_dir, 1, subject="digest", timeout=0)
            sent = (await client.post("/v1/dev/digests/run", json=later)).json()["sent"]
            assert sent == 2
            [english] = await wait_for_mail(mail_dir, 1, to=per, subject="digest")
            [swedish] = await wait_for_mail(mail_dir, 1, to=asa, subject="sammanfattning")
            assert english.message["Subject"] == "Today's digest: 3 new items"
            assert swedish.message["Subject"] == "Dagens sammanfattning: 3 nyheter"
            # Grouped by need, the need with the best match first, ranked inside it.
            text = english.text
            assert text.index("Match 90%") < text.index("Match 80%") < text.index("Match 55%")
            assert text.index("/needs/n-2") < text.index("/needs/n-1")

            # One click, without signing in, as a mail client does it (RFC 8058).
            path = unsubscribe.split(service.url)[-1]
            clicked = await client.post(
                path,
                content="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert clicked.status_code == 200 and "Utskicken är avslutade" in clicked.text
            contacts = (await client.get("/v1/contacts", headers=auth(SUPPLIER, "supplier"))).json()
            assert {"kind": "alerts", "scope": "sub-1", "cadence": "off"} in contacts["items"][0][
                "preferences"
            ]
            # That subscription is silent now; another one still speaks.
            await send_events(
                topic_prefix,
                [(alert("sub-1", "n-3"), "alert-3"), (alert("sub-2", "n-4"), "alert-4")],
            )
            await wait_for_mail(mail_dir, 3, to=asa, subject="bevakning")
            await asyncio.sleep(1)
            alerts = await wait_for_mail(mail_dir, 4, to=asa, subject="bevakning", timeout=0)
            assert len(alerts) == 3, [m.message["Subject"] for m in alerts]
    finally:
        service.process.stop()
        capture.stop()


async def test_bad_contact_input_names_the_field_and_stores_nothing(
    tmp_path: Path, topic_prefix: str
) -> None:
    mail_dir = tmp_path / "mail"
    capture, smtp_port = start_capture(tmp_path, mail_dir)
    service = start_notifications(
        tmp_path, topic_prefix=topic_prefix, smtp_port=smtp_port, capture_dir=mail_dir
    )
    try:
        await wait_healthy(service)
        headers = auth(BUYER, "buyer")
        async with httpx.AsyncClient(base_url=service.url, timeout=15) as client:
            for body, field in (
                ({"name": "Per", "email": "per(at)karlstad.se"}, "email"),
                (
                    {"name": "Per", "email": "per@karlstad.se", "time_zone": "Europe/Karlstad"},
                    "time_zone",
                ),
                ({"name": "Per", "email": "per@karlstad.se", "language": "de"}, "language"),
                ({"name": "", "email": "per@karlstad.se"}, "name"),
            ):
                answer = await client.post("/v1/contacts", json=body, headers=headers)
                assert 400 <= answer.status_code < 500, answer.text
                assert any(field in e["field"] for e in answer.json()["errors"]), answer.json()
            assert (await client.get("/v1/contacts", headers=headers)).json()["items"] == []
            bad = await client.post("/v1/unsubscribe?token=altered")
            assert bad.status_code == 400 and "Länken fungerar inte" in bad.text
            assert (await client.get("/v1/contacts")).status_code == 401
    finally:
        service.process.stop()
        capture.stop()
    assert captured(mail_dir) == []
