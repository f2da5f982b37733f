"""Filling the organisations' orders of an inbox written before them (a service's first
start on such a database): an empty order built a chunk at a time, against filling it by
`add` (the baseline, measured in the same run from the same entries: an order that is not
empty takes that path).

    python -m bench.bench_order_fill                  # on MONGODB_URL (`make infra`)
    python -m bench.bench_order_fill --sizes 1000,10000

Entries are about the size of an inbox entry with its card (1.2 KB), in the order they
were written, spread over 290 organisations as unevenly as buyers are (a few big ones).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from bench.common import machine, machine_line, write_json
from marketplace_platform.org_order import OrgOrder

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ORGS = [f"org{n:03d}" for n in range(290)]


def _entries(size: int) -> list[dict[str, Any]]:
    rnd = random.Random(size)
    weights = [1 / (n + 1) for n in range(len(ORGS))]
    return [
        {
            "_id": f"m{n:08d}",
            "buyer_org": rnd.choices(ORGS, weights)[0],
            "created_at": T0 + timedelta(seconds=7 * n),
            "read": n % 3 == 0,
            "kind": "match.found",
            "need_id": f"n{n % 5000:06d}",
            "title": f"Träning för vårdpersonal i svåra situationer {n}",
            "summary": "Vårdpersonalen saknar ett säkert sätt att öva bemötande. " * 8,
            "score": 0.42,
            "reasons": [{"component": "cpv", "score": 0.3, "detail": "CPV group 805"}] * 4,
        }
        for n in range(size)
    ]


async def _time_fill(db: Any, name: str, *, by_adding: bool) -> float:
    order = OrgOrder(db[name], cards=True)
    if by_adding:
        await order.collection.insert_one({"_id": "|orgs", "orgs": []})
    started = time.perf_counter()
    await order.fill_once(lambda: db["inbox"].find({}), org="buyer_org", read="read")
    return time.perf_counter() - started


async def run(sizes: list[int]) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
    )
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            db = client[f"bench_order_fill_{os.getpid()}_{size}"]
            entries = _entries(size)
            for start in range(0, size, 1000):
                await db["inbox"].insert_many(entries[start : start + 1000])
            built = await _time_fill(db, "built", by_adding=False)
            added = await _time_fill(db, "added", by_adding=True)
            rows.append(
                {
                    "entries": size,
                    "built_s": round(built, 2),
                    "added_s": round(added, 2),
                    "built_per_s": round(size / built),
                    "added_per_s": round(size / added),
                    "ratio": round(added / built, 2),
                }
            )
            await client.drop_database(db.name)
    finally:
        await client.close()
    return {"machine": machine(), "orgs": len(ORGS), "rows": rows}


def table(res: dict[str, Any]) -> str:
    lines = [
        "| entries | built a chunk at a time s (entries/s) | by add s (entries/s) | add / built |",
        "| --- | --- | --- | --- |",
    ]
    for r in res["rows"]:
        lines.append(
            f"| {r['entries']} | {r['built_s']:.2f} ({r['built_per_s']}) | "
            f"{r['added_s']:.2f} ({r['added_per_s']}) | {r['ratio']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    args = ap.parse_args(argv)
    print(machine_line(machine()), flush=True)
    res = asyncio.run(run([int(s) for s in args.sizes.split(",")]))
    print(table(res), flush=True)
    path = write_json("order_fill", res)
    print(json.dumps({"json": str(path), "ratios": [r["ratio"] for r in res["rows"]]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
