"""The open-data reads (OCDS) as the release feed grows: a page of the release package
(first, deep, `since`) and one record compiled by ocdsmerge, against one read of a release
by `_id` in the same run (the floor of any read on this database).

    python -m bench.bench_ocds                       # on MONGODB_URL (`make infra`)
    python -m bench.bench_ocds --sizes 1000,100000 --calls 50

Sizes are releases; each need has five (published, then four phase moves), built by the
needs service's own domain and stored by its repository, as the `ocds` consumer does.
National scale, 100 000 needs, is about 400 000 releases. Each size's database is kept
(`bench_ocds_<size>`), so a second run reads without seeding again; `--reseed` drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from bench.common import latency_stats, machine, machine_line, write_json
from marketplace_contracts.events import OcdsReleased
from needs.adapters.ocds import OcdsRepository, compile_release
from needs.domain.model import Need
from needs.domain.ocds import OcdsMapping, released

PAGE = 50
PER_NEED = 5
T0 = datetime(2024, 1, 1, tzinfo=UTC)
MAPPING = OcdsMapping("ocds-bench0")
MUNICIPALITIES = ("1780", "1761", "1783", "0180", "1480", "1280", "2480", "0380")


def _releases_of(n: int) -> list[OcdsReleased]:
    at = T0 + timedelta(minutes=10 * n)
    need = Need.draft(
        buyer_org=f"buyer{n % 300}",
        by="bench",
        now=at,
        title=f"Kompetensutveckling för vårdpersonal {n}",
        problem="Omsorgspersonalen behöver träna svåra situationer utan risk för brukarna. " * 6,
        cpv_codes=["80500000", "85300000"],
        municipality_code=MUNICIPALITIES[n % len(MUNICIPALITIES)],
        need_id=f"need{n:07d}",
    )
    out: list[OcdsReleased] = []

    def take() -> None:
        found = released(need, need.take_events(), at=need.updated_at, mapping=MAPPING,
                         solution=lambda _: None)  # fmt: skip
        assert found is not None
        out.append(found)

    need.publish(org=need.buyer_org, by="bench", now=at)
    take()
    for step, phase in enumerate(("validation", "co-creation", "procurement", "validation")):
        reason = "back to the users" if phase == "validation" and step else None
        need.move_to(phase, org=need.buyer_org, by="bench", now=at + timedelta(minutes=step + 1),
                     reason=reason)  # fmt: skip
        take()
    return out


async def _seed(repo: OcdsRepository, releases: int) -> float:
    started = time.perf_counter()
    needs = releases // PER_NEED
    for start in range(0, needs, 100):
        batch = [r for n in range(start, min(start + 100, needs)) for r in _releases_of(n)]
        await repo.store(batch)
    return time.perf_counter() - started


async def _time(call: Callable[[], Awaitable[object]], calls: int) -> dict[str, float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return latency_stats(samples)


async def _measure(repo: OcdsRepository, releases: int, calls: int) -> dict[str, Any]:
    needs = releases // PER_NEED
    first, key = await repo.page(since=None, after=None, limit=PAGE)
    assert len(first) == PAGE and key is not None
    # A cursor half way down the feed: the key of the release there.
    middle = T0 + timedelta(minutes=10 * (needs // 2))
    deep_key = (middle.timestamp(), f"need{needs // 2:07d}-v1")
    since = T0 + timedelta(minutes=10 * (needs - needs // 10))
    ocid = MAPPING.ocid(f"need{needs // 3:07d}")
    one_release = f"need{needs // 3:07d}-v1"

    async def record() -> None:
        found = await repo.releases_of(ocid)
        assert found is not None and len(found) == PER_NEED
        compile_release(found)

    async def deep() -> None:
        page, _ = await repo.page(since=None, after=deep_key, limit=PAGE)
        assert len(page) == PAGE

    async def since_page() -> None:
        page, _ = await repo.page(since=since, after=None, limit=PAGE)
        assert page

    return {
        "releases": releases,
        "floor_find_by_id_ms": await _time(
            lambda: repo.releases.find_one({"_id": one_release}), calls
        ),
        "first_page_ms": await _time(lambda: repo.page(since=None, after=None, limit=PAGE), calls),
        "deep_page_ms": await _time(deep, calls),
        "since_page_ms": await _time(since_page, calls),
        "record_ms": await _time(record, calls),
    }


READS = ("first_page_ms", "deep_page_ms", "since_page_ms", "record_ms")


async def run(sizes: list[int], calls: int, reseed: bool) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/"), tz_aware=True
    )
    rows = []
    try:
        for size in sizes:
            db = client[f"bench_ocds_{size}"]
            if reseed:
                await client.drop_database(db.name)
            repo = OcdsRepository(db)
            marker = await db["bench_marker"].find_one({"_id": "seeded"})
            seeded_s = None
            if marker is None or marker.get("releases") != size:
                await client.drop_database(db.name)
                seeded_s = round(await _seed(repo, size), 1)
                await db["bench_marker"].insert_one({"_id": "seeded", "releases": size})
            row = await _measure(repo, size, calls)
            row["seeded_s"] = seeded_s
            row["vs_floor"] = {
                k: round(row[k]["median_ms"] / row["floor_find_by_id_ms"]["median_ms"], 2)
                for k in READS
            }
            rows.append(row)
    finally:
        await client.close()
    growth = {
        k: round(rows[-1][k]["median_ms"] / rows[0][k]["median_ms"], 2)
        for k in ("floor_find_by_id_ms", *READS)
    }
    return {"machine": machine(), "page": PAGE, "calls": calls, "rows": rows, "growth": growth}


def table(res: dict[str, Any]) -> str:
    lines = [
        "| releases | by _id (floor) | first page | deep page | since page | record |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in res["rows"]:
        cells = [
            f"{r[k]['median_ms']:.1f} / {r[k]['p99_ms']:.1f}"
            for k in ("floor_find_by_id_ms", *READS)
        ]
        lines.append(f"| {r['releases']} | " + " | ".join(cells) + " |")
    lines.append("median / p99 ms; growth largest/smallest (median): " + json.dumps(res["growth"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,100000")
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--reseed", action="store_true")
    args = ap.parse_args(argv)
    print(machine_line(machine()), flush=True)
    res = asyncio.run(run([int(s) for s in args.sizes.split(",")], args.calls, args.reseed))
    print(table(res), flush=True)
    path = write_json("ocds", res)
    print(json.dumps({"json": str(path), "growth": res["growth"]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
