"""Scaling beyond the first customer, timed (issue #17): 300 buyers hold similar needs, one
implements a solution, and the others are told.

    python -m bench.bench_cascade [--buyers 300] [--json bench/results/cascade.json]

Setup: the three services as real processes on the local Kafka and database (one unique
topic prefix). A supplier publishes a VR training solution for care staff over HTTP; each
buyer (its own organisation, municipalities of Sweden in turn) drafts and publishes a need
for training care staff, in one of several wordings, Swedish and English. Once matching
holds every need, the first buyer moves its need to procurement and records the
implementation (`POST /v1/needs/{id}/implementation`).

Measured: from the start of that call to the first and to the last scaling opportunity
stored in the other buyers' inboxes (each entry's own `updated_at`, written by the needs
service as it stores it; the database is polled only to know when all have arrived).
Baseline in the same run: the same opportunities computed in-process by the matching
domain (`find_scaling_opportunities` over an index of the same needs), which is what the
cascade would cost without Kafka, the services and the database. Goal: the last
opportunity stored within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from bench.common import create_topics, machine, machine_line, write_json
from marketplace_contracts.reference import all_municipalities
from marketplace_platform.auth import mint_token
from marketplace_platform.settings import ServiceSettings

BUYERS = 300
GOAL_S = 1.0
IN_FLIGHT = 16
SOLUTION = {
    "name": "VR-utbildning för vårdpersonal",
    "description": (
        "Vårdpersonal och omsorgspersonal tränar bemötande av personer med demens i "
        "virtuell verklighet: korta scenarier ur vardagen i äldreomsorgen, med "
        "handledning och uppföljning. Virtual reality training for care workers."
    ),
    "cpv_codes": ["80500000-9"],
    "regions": ["SE"],
    "maturity": "market-ready",
}
WORDINGS = [
    (
        "Utbildning av vårdpersonal i bemötande",
        "Vår vårdpersonal behöver träna bemötande av personer med demens, men det finns "
        "ingen tid att gå kurser på plats.",
    ),
    (
        "Kompetensutveckling för omsorgspersonal inom äldreomsorgen",
        "Omsorgspersonalen i hemtjänsten vill öva svåra situationer i demensvården innan "
        "de möter dem på riktigt.",
    ),
    (
        "Training care staff to meet people with dementia",
        "Our care workers in elderly care need practice in difficult situations, without "
        "leaving their shifts for classroom training.",
    ),
    (
        "Träning i bemötande för undersköterskor",
        "Undersköterskor i äldreomsorgen behöver utbildning i bemötande av personer med "
        "demens, gärna med virtuell verklighet.",
    ),
]


def log(message: str) -> None:
    print(f"[cascade] {message}", flush=True)


def need_bodies(buyers: int) -> list[dict[str, Any]]:
    municipalities = [m.code for m in all_municipalities()]
    bodies = []
    for i in range(buyers):
        title, problem = WORDINGS[i % len(WORDINGS)]
        bodies.append(
            {
                "title": title,
                "problem": problem,
                "cpv_codes": ["80500000-9"],
                "municipality_code": municipalities[i % len(municipalities)],
            }
        )
    return bodies


def in_process_ms(bodies: list[dict[str, Any]], repeat: int = 20) -> tuple[float, int]:
    """Median time of the matching domain computing the opportunities, and how many."""
    from matching.domain.model import NeedProfile, SolutionProfile
    from matching.domain.need_index import NeedIndex
    from matching.domain.scaling import find_scaling_opportunities
    from matching.domain.solution_index import SolutionIndex

    solution = SolutionProfile(
        solution_id="sol",
        supplier_org="supplier",
        name=str(SOLUTION["name"]),
        description=str(SOLUTION["description"]),
        cpv_codes=("80500000",),
        regions=("SE",),
        maturity="market-ready",
    )
    solutions = SolutionIndex()
    solutions.upsert(solution)
    needs = NeedIndex(solutions=solutions)
    profiles = [
        NeedProfile(
            need_id=f"n{i}",
            buyer_org=f"buyer-{i}",
            title=b["title"],
            problem=b["problem"],
            cpv_codes=("80500000",),
            municipality_code=b["municipality_code"],
        )
        for i, b in enumerate(bodies)
    ]
    for p in profiles:
        needs.upsert(p)
    timings = []
    found: list[Any] = []
    for _ in range(repeat):
        started = time.perf_counter()
        found = find_scaling_opportunities(solution, "buyer-0", needs, adopted_for=profiles[0])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), len(found)


async def _publish_all(
    client: httpx.AsyncClient, url: str, tokens: list[str], bodies: list[dict[str, Any]]
) -> list[str]:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(token: str, body: dict[str, Any]) -> str:
        auth = {"Authorization": f"Bearer {token}"}
        async with gate:
            r = await client.post(f"{url}/v1/needs", headers=auth, json=body)
            r.raise_for_status()
            need_id = str(r.json()["id"])
            r = await client.post(f"{url}/v1/needs/{need_id}/publish", headers=auth)
            r.raise_for_status()
            return need_id

    return list(await asyncio.gather(*(one(t, b) for t, b in zip(tokens, bodies, strict=True))))


async def _wait_for(check: Any, timeout: float, what: str, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(every)
    raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")


async def run(buyers: int = BUYERS, timeout: float = 180.0) -> dict[str, Any]:
    from tests.support.infra import start_service, unique, wait_healthy

    prefix = unique("bench-cascade")
    await create_topics(prefix)
    settings = ServiceSettings()
    secret = settings.jwt_secret.get_secret_value()
    bodies = need_bodies(buyers)
    baseline_ms, expected = in_process_ms(bodies)
    log(f"in-process: {expected} opportunities in {baseline_ms:.1f} ms")
    result: dict[str, Any] = {"benchmark": "cascade", "machine": machine(), "buyers": buyers}
    with tempfile.TemporaryDirectory(prefix="bench-cascade-") as d:
        tmp = Path(d)
        handles = {
            name: start_service(name, tmp, topic_prefix=prefix)
            for name in ("needs", "suppliers", "matching")
        }
        mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_url)
        try:
            await asyncio.gather(*(wait_healthy(h, timeout=240) for h in handles.values()))
            async with httpx.AsyncClient(timeout=60) as client:
                supplier = mint_token(secret, org="bench-vr-supplier", role="supplier")
                r = await client.post(
                    f"{handles['suppliers'].url}/v1/solutions",
                    headers={"Authorization": f"Bearer {supplier}"},
                    json=SOLUTION,
                )
                r.raise_for_status()
                solution_id = r.json()["id"]
                tokens = [
                    mint_token(
                        secret,
                        org=f"bench-buyer-{i:03d}",
                        role="buyer",
                        municipality_code=b["municipality_code"],
                    )
                    for i, b in enumerate(bodies)
                ]
                started = time.perf_counter()
                need_ids = await _publish_all(client, handles["needs"].url, tokens, bodies)
                result["publish_s"] = round(time.perf_counter() - started, 1)
                mat = f"{handles['matching'].url}/v1/stats"
                auth0 = {"Authorization": f"Bearer {tokens[0]}"}

                async def matching_holds_all() -> bool:
                    sizes = (await client.get(mat, headers=auth0)).json().get("index", {})
                    return bool(sizes.get("needs", 0) >= buyers and sizes.get("solutions", 0))

                await _wait_for(matching_holds_all, timeout, "matching holding every need")
                needs_url = f"{handles['needs'].url}/v1/needs/{need_ids[0]}"
                for phase in ("validation", "co-creation", "procurement"):
                    r = await client.post(
                        f"{needs_url}/phase",
                        headers=auth0,
                        json={"phase": phase, "reason": "benchmark"},
                    )
                    r.raise_for_status()
                inbox = mongo[f"{prefix}_needs".replace(".", "_")]["inbox"]
                wanted = {"kind": "scaling", "solution_id": solution_id}
                implemented_at = datetime.now(UTC)
                r = await client.post(
                    f"{needs_url}/implementation", headers=auth0, json={"solution_id": solution_id}
                )
                r.raise_for_status()

                async def all_told() -> bool:
                    return await inbox.count_documents(wanted) >= expected

                await _wait_for(all_told, timeout, f"{expected} scaling opportunities stored")
                stored = [d["updated_at"] async for d in inbox.find(wanted, {"updated_at": 1})]
        finally:
            await mongo.close()
            for h in handles.values():
                h.process.stop()
    stored = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in stored]
    first = (min(stored) - implemented_at).total_seconds()
    last = (max(stored) - implemented_at).total_seconds()
    result |= {
        "solution_id": solution_id,
        "opportunities_expected": expected,
        "opportunities_stored": len(stored),
        "first_stored_s": round(first, 3),
        "last_stored_s": round(last, 3),
        "in_process_ms": round(baseline_ms, 2),
        "last_vs_in_process": round(last * 1000 / baseline_ms, 1),
        "goal_last_s": GOAL_S,
        "meets_goal": last <= GOAL_S,
    }
    return result


def table(res: dict[str, Any]) -> str:
    return (
        f"{res['buyers']} buyers, {res['opportunities_stored']} opportunities stored "
        f"(expected {res['opportunities_expected']}): first {res['first_stored_s']:.2f} s, "
        f"last {res['last_stored_s']:.2f} s after the implementation call (goal <= "
        f"{res['goal_last_s']:.0f} s); in-process {res['in_process_ms']:.1f} ms, "
        f"{res['last_vs_in_process']:.0f}x"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--buyers", type=int, default=BUYERS)
    ap.add_argument("--json", default="cascade")
    args = ap.parse_args(argv)
    print(machine_line(machine()), flush=True)
    res = asyncio.run(run(args.buyers))
    print(table(res), flush=True)
    path = write_json(Path(args.json).stem, res)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
