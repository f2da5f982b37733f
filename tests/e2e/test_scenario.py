"""The whole seed scenario at `--pace 0`, against the real stack: the service processes,
real Kafka, the real database and a real (capturing) SMTP server. Then the databases are
checked: each case of the source document stands where the document reports it, and every
inbox entry exists exactly once, with its reasons; and the e-mail the story causes is
checked: alerts at once, a scaling opportunity at once, the daily digests, an unsubscribe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from marketplace_tools.demo import PRACTICES, SCALING_BUYERS
from tests.notifications.support import start_capture, start_notifications, wait_for_mail
from tests.support.infra import ROOT, start_service, wait_healthy

pytestmark = pytest.mark.infra


async def test_the_whole_scenario_brings_each_case_to_its_stage_exactly_once(
    tmp_path: Path, topic_prefix: str, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> None:
    handles = {
        name: start_service(name, tmp_path, topic_prefix=topic_prefix)
        for name in ("needs", "suppliers", "matching")
    }
    mail_dir = tmp_path / "mail"
    capture, smtp_port = start_capture(tmp_path, mail_dir)
    handles["notifications"] = start_notifications(
        tmp_path,
        topic_prefix=topic_prefix,
        smtp_port=smtp_port,
        capture_dir=mail_dir,
        NOTIFICATIONS_AUTO_VERIFY="true",
    )
    try:
        for handle in handles.values():
            await wait_healthy(handle)
        env = dict(os.environ)
        env.update({f"MARKETPLACE_{name.upper()}_URL": h.url for name, h in handles.items()})
        demo = subprocess.run(
            [sys.executable, "-m", "marketplace_tools.demo", "--pace", "0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
        assert "Summary" in demo.stdout
        out = demo.stdout.replace("\n", " ")
        assert "ViroteaED is used by 27 organisations" in out
        assert "implementation to the last" in out
        assert not re.search(r"\b1 (organisations|matches|alerts|buyers|needs)\b", out), out
        await the_story_by_email(handles["notifications"].url, mail_dir)
    finally:
        for handle in handles.values():
            handle.process.stop()
        capture.stop()

    needs_db = mongo_client[f"{topic_prefix}_needs"]
    suppliers_db = mongo_client[f"{topic_prefix}_suppliers"]

    vr = await suppliers_db["solutions"].find_one({"name": {"$regex": "^ViroteaED"}})
    assert vr is not None
    assert vr["adoption_count"] == 1 + len(SCALING_BUYERS)
    assert len({d["buyer_org"] for d in vr["deployments"]}) == 1 + len(SCALING_BUYERS)

    buyer_entries = [e async for e in needs_db["inbox"].find({})]
    per_pair = Counter(
        (e["kind"], e["buyer_org"], e.get("need_id"), e.get("solution_id"), e.get("adoption_count"))
        for e in buyer_entries
    )
    assert max(per_pair.values()) == 1, "an inbox entry arrived twice"
    for entry in buyer_entries:
        assert entry["reasons"], f"an inbox entry without reasons: {entry['_id']}"

    scaled = {
        e["buyer_org"]
        for e in buyer_entries
        if e["kind"] == "scaling" and e["solution_id"] == vr["_id"]
    }
    expected = {org for org, _, _ in SCALING_BUYERS}
    assert expected <= scaled, f"no scaling opportunity for {expected - scaled}"
    assert "karlstad" not in scaled, "the adopting buyer is never told about its own choice"

    karlstad_matches = [
        e
        for e in buyer_entries
        if e["kind"] == "match" and e["buyer_org"] == "karlstad" and e["solution_id"] == vr["_id"]
    ]
    assert len(karlstad_matches) == 1
    components = {r["component"] for r in karlstad_matches[0]["reasons"]}
    assert {"cpv", "text"} <= components, components
    assert not any(
        e["solution_name"].startswith("Snöröjning")
        for e in buyer_entries
        if e["kind"] == "match" and e["buyer_org"] == "karlstad"
    )

    supplier_entries = [e async for e in suppliers_db["inbox"].find({})]
    assert max(Counter(e["_id"] for e in supplier_entries).values()) == 1
    virotea_alerts = [
        e
        for e in supplier_entries
        if e["kind"] == "alert.raised" and e["supplier_org"] == vr["supplier_org"]
    ]
    assert len(virotea_alerts) == 1, "one alert per subscription and need"
    assert virotea_alerts[0]["data"]["phase"] == "validation"

    async def need(title: str) -> dict[str, Any]:
        found = await needs_db["needs"].find_one({"title": title})
        assert found is not None, title
        return found

    async def solution(name: str) -> dict[str, Any]:
        found = await suppliers_db["solutions"].find_one({"name": name})
        assert found is not None, name
        return found

    # Each case where the source document reports it.
    assert (await need("VR-utbildning för vårdpersonal"))["phase"] == "scaling"
    escort = await need("Digital ledsagning för personer med funktionsnedsättning")
    assert escort["phase"] == "scaling"
    escort_users = {d["buyer_org"] for d in (await solution("Digital ledsagning"))["deployments"]}
    assert escort_users == {"karlstad", "kristinehamn", "arvika"}, "the first two others joined"
    portal = await need("Digital medborgarportal")
    assert portal["phase"] == "implementation"
    assert [i["solution_id"] for i in portal["implementations"]] == [
        (await solution("Medborgarportal för e-tjänster"))["_id"]
    ]
    purchasing = await need("Hållbar handling: hållbara inköp i hela kommunen")
    assert purchasing["phase"] == "procurement"
    alerted_at = {
        e["supplier_org"].rsplit("-", 1)[0]: e["data"]["phase"]
        for e in supplier_entries
        if e["kind"] == "alert.raised" and e["need_id"] == purchasing["_id"]
    }
    assert alerted_at == {"hallbarhandel": "validation", "klimatdata": "co-creation"}

    # Each practice's requirement finds the supplier that meets it, not the other two.
    practice_suppliers = {(await solution(body["name"]))["_id"]: tag for tag, *_, body in PRACTICES}
    for tag, org, _, need_body, _, _ in PRACTICES:
        asked = await need(need_body["title"])
        assert asked["tags"] == [tag]
        found = {
            e["solution_id"]: e
            for e in buyer_entries
            if e["kind"] == "match" and e["need_id"] == asked["_id"]
        }
        fitting = [s for s, t in practice_suppliers.items() if t == tag]
        assert set(found) & set(practice_suppliers) == set(fitting), (org, tag)
        codes = {r.get("code") for r in found[fitting[0]]["reasons"]}
        assert "tags.shared" in codes, codes


async def the_story_by_email(notifications: str, mail_dir: Path) -> None:
    """The demo's contacts: both suppliers alerted at once when the need they watch reaches
    its phase, Hammarö told at once that the VR solution scales to its need, the suppliers'
    matches in their daily digests, and a one-click unsubscribe."""
    [hanna] = await wait_for_mail(
        mail_dir, 1, to="hanna@hallbarhandel.example", subject="bevakning"
    )
    assert hanna.message["Subject"] == (
        "Ett behov passar er bevakning: Hållbar handling: hållbara inköp i hela kommunen"
    )
    assert "helsingborg" in hanna.text and "Validering" in hanna.text
    assert await wait_for_mail(mail_dir, 1, to="vera@virotea.example", subject="bevakning")
    scaling = await wait_for_mail(mail_dir, 1, to="henrik@hammaro.example", subject="already used")
    assert scaling, [str(m.message["Subject"]) for m in await wait_for_mail(mail_dir, 99, 0)]
    assert scaling[-1].message["Subject"].startswith("ViroteaED")
    assert "Hello Henrik Hammar" in scaling[-1].text
    async with httpx.AsyncClient(base_url=notifications, timeout=15) as client:
        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        sent = (await client.post("/v1/dev/digests/run", json={"at": later})).json()["sent"]
        assert sent >= 2, sent  # each supplier's matches
        [digest] = await wait_for_mail(
            mail_dir, 1, to="hanna@hallbarhandel.example", subject="sammanfattning"
        )
        assert "Hållbar handling" in digest.text
        unsubscribe = str(scaling[-1].message["List-Unsubscribe"]).strip("<>")
        answer = await client.post(
            unsubscribe.removeprefix(notifications),
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200 and "no longer receives" in answer.text
