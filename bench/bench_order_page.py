"""The first page of an organisation's order (own needs, an inbox): read from the head's
copies of its newest references, against walking its chunks (the baseline, measured in the
same run on the same orders: the copies removed from a second head of the same entries).

    python -m bench.bench_order_page                 # on MONGODB_URL (`make infra`)
    python -m bench.bench_order_page --sizes 30,300,3000 --calls 200

Sizes are the entries of one order: a buyer's own needs at 1 000 needs are a few, at
100 000 a few hundred; a big buyer's inbox holds thousands. The last chunk of each order
holds 7 entries (fewer than a page), the case that made a first page read two chunks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from bench.common import latency_stats, machine, machine_line, write_json
from marketplace_platform.org_order import CARD_CHUNK, OrgOrder

PAGE = 20
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _card(n: int) -> dict[str, Any]:
    """About the size of a need's card (1.2 KB)."""
    return {
        "_id": f"n{n:06d}",
        "title": f"Träning för vårdpersonal i svåra situationer {n}",
        "problem": "Vårdpersonalen saknar ett säkert sätt att öva bemötande. " * 12,
        "cpv_codes": ["80500000", "85300000"],
        "phase": "validation",
        "status": "published",
    }


async def _fill(order: OrgOrder, org: str, size: int) -> None:
    entries = [(f"n{n:06d}", T0 + timedelta(seconds=n)) for n in range(size)]
    for start in range(0, size, CARD_CHUNK * 4):
        batch = entries[start : start + CARD_CHUNK * 4]
        await order.add(org, batch, cards={e: _card(int(e[1:])) for e, _ in batch})


async def _time(order: OrgOrder, org: str, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        refs, _ = await order.page(org, unread_only=False, after=None, limit=PAGE)
        samples.append((time.perf_counter() - started) * 1000)
        assert len(refs) == PAGE
    return samples


async def run(sizes: list[int], calls: int) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ.get("MONGODB_URL", "mongodb://127.0.0.1:27017/")
    )
    db = client[f"bench_order_page_{os.getpid()}"]
    order = OrgOrder(db["order"], cards=True)
    rows: list[dict[str, Any]] = []
    try:
        for asked in sizes:
            # A last chunk of 7: fewer than a page, so the walk reads the chunk before it.
            size = asked - asked % CARD_CHUNK + 7
            await _fill(order, f"copies{size}", size)
            await _fill(order, f"walk{size}", size)
            await db["order"].update_one(
                {"_id": f"walk{size}|head"}, {"$unset": {"recent": "", "recent_all": ""}}
            )
            copies = latency_stats(await _time(order, f"copies{size}", calls))
            walk = latency_stats(await _time(order, f"walk{size}", calls))
            rows.append(
                {
                    "entries": size,
                    "head_copies_ms": copies,
                    "chunk_walk_ms": walk,
                    "ratio": round(walk["median_ms"] / copies["median_ms"], 2),
                }
            )
    finally:
        await client.drop_database(db.name)
        await client.close()
    first, last = rows[0], rows[-1]
    growth = {
        "head_copies": round(
            last["head_copies_ms"]["median_ms"] / first["head_copies_ms"]["median_ms"], 2
        ),
        "chunk_walk": round(
            last["chunk_walk_ms"]["median_ms"] / first["chunk_walk_ms"]["median_ms"], 2
        ),
    }
    return {"machine": machine(), "page": PAGE, "calls": calls, "rows": rows, "growth": growth}


def table(res: dict[str, Any]) -> str:
    lines = [
        "| entries | head copies median / p99 ms | chunk walk median / p99 ms | walk / copies |",
        "| --- | --- | --- | --- |",
    ]
    for r in res["rows"]:
        c, w = r["head_copies_ms"], r["chunk_walk_ms"]
        lines.append(
            f"| {r['entries']} | {c['median_ms']:.1f} / {c['p99_ms']:.1f} | "
            f"{w['median_ms']:.1f} / {w['p99_ms']:.1f} | {r['ratio']:.2f}x |"
        )
    g = res["growth"]
    lines.append(
        f"growth largest/smallest: head copies {g['head_copies']}x, walk {g['chunk_walk']}x"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="30,300,3000")
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args(argv)
    print(machine_line(machine()), flush=True)
    res = asyncio.run(run([int(s) for s in args.sizes.split(",")], args.calls))
    print(table(res), flush=True)
    path = write_json("order_page", res)
    print(json.dumps({"json": str(path), "growth": res["growth"]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
