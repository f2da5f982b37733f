"""Seeds the scale benchmark's databases once per size, and finds them again next time.

    python -m bench.scale_seed --sizes 1000,10000      # seed what is missing, print times
    python -m bench.scale_seed --sizes 1000 --reseed   # drop that size and seed it again

Each size has databases of fixed names: `scale<n>_needs` and `scale<n>_suppliers` (what
the services read, in production shape) and `scale<n>_seed`: a marker with the seed
version, the counts and the time each step took; the events the seeded outboxes held, by
topic (the services rebuild their lists of needs and solutions from Kafka); samples of
ids and orgs for the measuring; the inbox entries that get read. A run does only the steps
not marked done, after dropping what a broken run left of them; the data are
deterministic, so a database seeded later fits the one seeded before.

The steps:

1. documents, built by the services' own code and written by their own repositories
   (`bench.scale_writer`; the databases and storage helpers are `bench.scale_store`).
2. the services' first start (`bench.scale_services`): each builds what it derives from
   its documents once, for a database that predates it (today the per-organisation orders
   of inboxes, own needs and subscriptions, and their indexes). Seeding leaves those
   orders to it (`_OrderLater`): one pass per organisation instead of one write per
   organisation and week, which would take over an hour at 100 000 needs.
3. reads: a share of the inbox entries marked read through the repositories' `mark_read`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.scale_plan import Plan
from bench.scale_store import (
    PARTS,
    Databases,
    Document,
    Log,
    Stopwatch,
    builders_fingerprint,
    database_names,
    per_org_in_order,
    repair_lookup_indexes,
    storage,
)
from bench.scale_writer import write_documents

SEED_VERSION = 1
FIRST_START_TIMEOUT_S = 3600


def _log(message: str) -> None:
    print(f"[scale seed] {message}", flush=True)


# --- step 2: the services' first start ------------------------------------------------------


async def first_start(dbs: Databases, marker: Document, mongodb_url: str, log: Log) -> None:
    from bench.scale_services import services_on

    started = time.perf_counter()
    repaired: list[str] = []
    # The services create their derived collections as they start: give them their
    # lookup indexes meanwhile (see `repair_lookup_indexes`).
    keeper = asyncio.create_task(_keep_repairing(dbs.size, repaired))
    try:
        with tempfile.TemporaryDirectory(prefix="scale-first-start-") as tmp:
            async with services_on(
                dbs.size,
                Path(tmp),
                mongodb_url=mongodb_url,
                topics={},
                start_timeout_s=FIRST_START_TIMEOUT_S,
                log=log,
            ) as running:
                healthy = running.healthy_after_s
    finally:
        keeper.cancel()
    marker["first_start"] = {
        "done": True,
        "seconds": round(time.perf_counter() - started, 1),
        "healthy_after_s": healthy,
        "lookup_indexes_repaired": repaired + repair_lookup_indexes(dbs.size),
    }
    await dbs.save_marker(marker)


async def _keep_repairing(size: int, repaired: list[str]) -> None:
    while True:
        repaired += await asyncio.to_thread(repair_lookup_indexes, size)
        await asyncio.sleep(2)


# --- step 3: reads --------------------------------------------------------------------------


async def mark_reads(dbs: Databases, marker: Document, log: Log) -> None:
    """Through the inbox repositories' own `mark_read` (entry, then its order), each
    organisation's reads in order."""
    s = storage()
    repos = {"needs": s.BuyerInbox(dbs["needs"]), "suppliers": s.SupplierInbox(dbs["suppliers"])}
    clock = Stopwatch()
    for database, repo in repos.items():
        jobs: dict[str, list[Callable[[], Awaitable[Any]]]] = defaultdict(list)
        count = 0
        async for doc in dbs["seed"]["reads"].find({"database": database}).sort("_id", 1):
            for r in doc["reads"]:
                jobs[r["org"]].append(
                    lambda r=r, repo=repo: repo.mark_read(r["org"], r["id"], r["at"])
                )
                count += 1
        await clock.timed(database, per_org_in_order(jobs), count)
    marker["reads"] = {"done": True, **{k: clock.report(k) for k in repos}}
    await dbs.save_marker(marker)
    log(f"size {dbs.size}: reads marked ({marker['reads']})")


# --- one size ------------------------------------------------------------------------------


async def ensure_seeded(
    size: int, mongodb_url: str, *, reseed: bool = False, log: Log = _log
) -> Document:
    """The marker of a complete seeded size: seeds what is missing first."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    try:
        dbs = Databases(client, size)
        marker = await dbs.marker()
        fingerprint = builders_fingerprint(storage())
        if reseed or marker is None or marker.get("version") != SEED_VERSION:
            await dbs.drop_all()
            marker = new_marker(size, fingerprint)
        elif marker.get("builders") != fingerprint:
            log(
                f"size {size}: the storage code changed since it was seeded "
                "(the cached documents may differ from what the services write now; "
                "--reseed to rebuild)"
            )
        kinds = [k for k in PARTS if not marker["databases"].get(k, {}).get("done")]
        if not kinds and marker.get("first_start") and marker.get("reads"):
            log(f"size {size}: seeded already ({_summary(marker)})")
            return marker
        if kinds:
            log(f"size {size}: writing {', '.join(database_names(size)[k] for k in kinds)}")
            await write_documents(dbs, marker, kinds, log)
        if not marker.get("first_start", {}).get("done"):
            log(f"size {size}: the services' first start (what they derive, once)")
            await first_start(dbs, marker, mongodb_url, log)
        if not marker.get("reads", {}).get("done"):
            await mark_reads(dbs, marker, log)
        marker["stored"] = await stored_counts(dbs)
        await dbs.save_marker(marker)
        log(f"size {size}: ready ({_summary(marker)})")
        return marker
    finally:
        await client.close()


def new_marker(size: int, fingerprint: str) -> Document:
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "_id": "marker",
        "version": SEED_VERSION,
        "size": size,
        "plan": Plan(size).counts(),
        "end": end,
        "builders": fingerprint,
        "databases": {},
    }


async def stored_counts(dbs: Databases) -> Document:
    out = {}
    for kind in PARTS:
        db = dbs[kind]
        for name in sorted(await db.list_collection_names()):
            out[f"{kind}/{name}"] = await db[name].estimated_document_count()
    return out


def _summary(marker: Document) -> str:
    stored = marker.get("stored") or {}
    return ", ".join(f"{k} {v}" for k, v in stored.items())


def main(argv: list[str] | None = None) -> int:
    from bench.common import scale_database_url

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--reseed", action="store_true", help="drop the sizes and seed again")
    args = ap.parse_args(argv)
    url = scale_database_url()
    for size in (int(s) for s in args.sizes.split(",")):
        marker = asyncio.run(ensure_seeded(size, url, reseed=args.reseed))
        shown = {k: v for k, v in marker.items() if k not in ("_id", "builders")}
        print(json.dumps(shown, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
