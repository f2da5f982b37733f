"""The seed scenario, short form, against the real stack: three service processes, real
Kafka and the real database. Then the databases are checked: every expected inbox entry
exists exactly once, with its reasons."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from marketplace_tools.demo import SCALING_BUYERS, SHORT_BUYERS
from tests.support.infra import ROOT, start_service, wait_healthy

pytestmark = pytest.mark.infra


async def test_the_short_scenario_reaches_every_inbox_exactly_once(
    tmp_path: Path, topic_prefix: str, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> None:
    handles = {
        name: start_service(name, tmp_path, topic_prefix=topic_prefix)
        for name in ("needs", "suppliers", "matching")
    }
    try:
        for handle in handles.values():
            await wait_healthy(handle)
        env = dict(os.environ)
        env.update({f"MARKETPLACE_{name.upper()}_URL": h.url for name, h in handles.items()})
        env["MARKETPLACE_DEMO"] = "short"
        demo = subprocess.run(
            [sys.executable, "-m", "marketplace_tools.demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
        assert "Summary" in demo.stdout
        assert "ViroteaED is used by 6 organisations" in demo.stdout.replace("\n", " ")
    finally:
        for handle in handles.values():
            handle.process.stop()

    needs_db = mongo_client[f"{topic_prefix}_needs"]
    suppliers_db = mongo_client[f"{topic_prefix}_suppliers"]

    vr = await suppliers_db["solutions"].find_one({"name": {"$regex": "^ViroteaED"}})
    assert vr is not None
    assert vr["adoption_count"] == 1 + SHORT_BUYERS
    assert len({d["buyer_org"] for d in vr["deployments"]}) == 1 + SHORT_BUYERS

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
    expected = {org for org, _, _ in SCALING_BUYERS[:SHORT_BUYERS]}
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
