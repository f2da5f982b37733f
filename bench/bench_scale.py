"""Every read of the marketplace at national volumes (issue #15), timed over HTTP.

    python -m bench.bench_scale --sizes 1000,10000,100000 --json bench/results/scale.json
    python -m bench.bench_scale --sizes 1000 --calls 10          # a smoke run

For each size (needs; solutions, subscriptions and inbox entries in proportion to the
national volumes, see `bench.scale_data`): the size's databases are seeded once and found
again next time (`bench.scale_seed`); the needs and suppliers services start as processes
on them (`bench.scale_services`) and work through the seeded topics; once every consumer
has caught up (steady state), each read of `bench.scale_reads` is called one call at a
time, with development tokens and ids, orgs and filters drawn from the seeded data
(organisations in proportion to how much they hold), after one untimed warm-up call. A
read stops after `--calls` calls or `--read-budget` seconds, and a call that takes longer
than `--call-timeout` ends its read: such reads are reported as `capped` or `timed_out`
with the calls that finished. The portal's pages are read the same way, signed in with
the development sign-in. The writes (publishing a seeded draft, moving a published need
one phase on, a buyer recording an adoption of a solution) use each need or pair once;
what they changed (the needs, the adoptions, the solutions' deployments) is put back as
seeded when the services have stopped, so that the cache stays as seeded.

Targets, printed beside the figures: every read's median <= 50 ms and p99 <= 200 ms at
100 000 needs, and its median at most 2x its median at 1 000 (growth); the writes'
median <= 50 ms. Growth is taken between the smallest and the largest size measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    RESULTS,
    machine,
    machine_line,
    percentile,
    scale_database_url,
    write_json,
)
from bench.scale_reads import CALL_TIMEOUT_S, Callers, Read, reads

CALLS = 50
READ_BUDGET_S = 30.0
START_TIMEOUT_S = 900.0
TARGETS = {"median_ms": 50.0, "p99_ms": 200.0, "growth": 2.0, "write_median_ms": 50.0}
WRITES = ("needs.publish", "needs.phase", "adoptions.record")
ADOPTIONS_PER_RUN = CALLS + 1


def log(message: str) -> None:
    print(f"[scale] {message}", flush=True)


# --- timing ------------------------------------------------------------------------------


@dataclass
class Timing:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    sizes: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)  # list reads: items on the page
    errors: list[str] = field(default_factory=list)
    timed_out: bool = False
    capped: bool = False
    exhausted: bool = False  # no more calls to make (writes: every seeded need used)
    seconds: float = 0.0

    def result(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "n": len(lat),
            "median_ms": round(statistics.median(lat), 2) if lat else None,
            "p99_ms": round(percentile(lat, 99), 2) if lat else None,
            "max_ms": round(max(lat), 2) if lat else None,
            "timed_out": self.timed_out,
            "capped": self.capped,
            "exhausted": self.exhausted,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors[:3],
            "median_bytes": int(statistics.median(self.sizes)) if self.sizes else None,
            "median_items": statistics.median(self.items) if self.items else None,
            "seconds": round(self.seconds, 1),
        }


def _count_items(timing: Timing, response: httpx.Response) -> None:
    """How many items a list answered (outside the timing): a read that answers nothing
    is fast for the wrong reason."""
    try:
        body = response.json()
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        timing.items.append(len(body["items"]))


async def time_read(
    client: httpx.AsyncClient, callers: Callers, read: Read, settings: argparse.Namespace
) -> dict[str, Any]:
    """One call at a time; the first (a warm-up) is not counted."""
    timing = Timing()
    started = time.monotonic()
    for i in range(settings.calls + 1):
        if time.monotonic() - started > settings.read_budget:
            timing.capped = True
            break
        try:
            call = await read.make(callers, i, client)
        except httpx.TimeoutException:
            timing.timed_out = True
            break
        if call is None:
            timing.exhausted = True
            break
        t = time.perf_counter()
        try:
            response = await client.request(
                call.method,
                call.url,
                params=call.params,
                json=call.body,
                headers=call.headers(),
                timeout=settings.call_timeout,
            )
        except httpx.TimeoutException:
            timing.timed_out = True
            break
        ms = (time.perf_counter() - t) * 1000
        if i == 0:
            continue
        timing.latencies_ms.append(ms)
        timing.statuses[response.status_code] += 1
        timing.sizes.append(len(response.content))
        _count_items(timing, response)
        if response.status_code >= 400:
            timing.errors.append(f"{response.status_code} {call.url}: {response.text[:200]}")
    timing.seconds = time.monotonic() - started
    return timing.result()


async def measure(running: Any, samples: dict[str, Any], settings: argparse.Namespace) -> Any:
    callers = Callers(samples, running.needs_url, running.suppliers_url, running.portal_url)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient() as client:
        for read in reads():
            if settings.only_reads and read.name not in settings.only_reads:
                continue
            out[read.name] = await time_read(client, callers, read, settings)
            log(f"  {read.name}: {_cell(out[read.name])}")
    return out, callers.used


# --- one size ------------------------------------------------------------------------------


async def run_size(size: int, settings: argparse.Namespace, url: str) -> dict[str, Any]:
    from pymongo import AsyncMongoClient

    from bench.scale_seed import ensure_seeded
    from bench.scale_services import services_on
    from bench.scale_store import Databases, repair_lookup_indexes

    t = time.perf_counter()
    marker = await ensure_seeded(size, url, log=log)
    seed_wait_s = time.perf_counter() - t
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    dbs = Databases(client, size)
    try:
        samples = await dbs.samples()
        topics = {
            topic: await dbs.topic_events(topic)
            for topic in ("needs", "solutions", "subscriptions")
        }
        # The needs the writes may change, as seeded (each read by `_id`: the one lookup
        # FerretDB 1.x answers from an index).
        needs = dbs["needs"]["needs"]
        ids = [n["id"] for kind in ("drafts", "movable") for n in samples.get(kind, [])]
        found = await asyncio.gather(*(needs.find_one({"_id": i}) for i in ids))
        originals = dict(zip(ids, found, strict=True))
        samples["adoptable"] = await adoptable_pairs(dbs, samples)
        solutions = dbs["suppliers"]["solutions"]
        adopted = sorted({p["solution"] for p in samples["adoptable"]})
        found = await asyncio.gather(*(solutions.find_one({"_id": i}) for i in adopted))
        solution_originals = dict(zip(adopted, found, strict=True))
        loadavg = [round(x, 2) for x in os.getloadavg()]
        with tempfile.TemporaryDirectory(prefix=f"scale{size}-") as tmp:
            async with services_on(
                size,
                Path(tmp),
                mongodb_url=url,
                topics=topics,
                start_timeout_s=START_TIMEOUT_S,
                code=settings.services_from,
                portal=True,
                log=log,
            ) as running:
                repaired = repair_lookup_indexes(size)
                results, used = await measure(running, samples, settings)
                services = {
                    "healthy_after_s": running.healthy_after_s,
                    "consumers_caught_up_after_s": running.settled_after_s,
                    "produced_events": running.produced,
                    "topic_prefix": running.prefix,
                }
        for write, ids in used.items():
            if write == "adoptions.record":
                await undo_adoptions(dbs, ids, solution_originals)
                continue
            for need_id in ids:
                if originals.get(need_id) is not None:
                    await needs.replace_one({"_id": need_id}, originals[need_id])
    finally:
        await client.close()
    return {
        "seed": _seed_summary(marker, seed_wait_s),
        "services": services,
        "loadavg_before": loadavg,
        "lookup_indexes_repaired_at_start": repaired,
        "reads": results,
    }


async def adoptable_pairs(dbs: Any, samples: dict[str, Any]) -> list[dict[str, Any]]:
    """Pairs of a sampled buyer and a sampled published solution that hold no adoption
    yet (each looked up by its `_id`, the key `Adoption.key` gives it)."""
    buyers, solutions = samples.get("buyers") or [], samples.get("solutions") or []
    if not buyers or not solutions:
        return []
    adoptions = dbs["needs"]["adoptions"]
    pairs: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i in range(ADOPTIONS_PER_RUN * 3):
        who, solution = buyers[(i * 31) % len(buyers)], solutions[(i * 17) % len(solutions)]
        if (who["org"], solution) in seen:
            continue
        seen.add((who["org"], solution))
        if await adoptions.find_one({"_id": adoption_key(who["org"], solution)}) is None:
            pairs.append({"org": who["org"], "home": who["home"], "solution": solution})
        if len(pairs) == ADOPTIONS_PER_RUN:
            break
    return pairs


def adoption_key(org: str, solution: str) -> str:
    from needs.domain.model import Adoption

    return Adoption.key(org, solution)


async def undo_adoptions(dbs: Any, pairs: list[str], solutions: dict[str, Any]) -> None:
    """Delete the adoptions the run recorded and put back the solutions they deployed."""
    for pair in pairs:
        org, _, solution = pair.partition("|")
        await dbs["needs"]["adoptions"].delete_one({"_id": adoption_key(org, solution)})
        if solutions.get(solution) is not None:
            await dbs["suppliers"]["solutions"].replace_one({"_id": solution}, solutions[solution])


def _seed_summary(marker: dict[str, Any], waited_s: float) -> dict[str, Any]:
    keep = ("plan", "databases", "documents", "first_start", "reads", "stored", "end")
    return {k: marker.get(k) for k in keep} | {"seconds_this_run": round(waited_s, 1)}


# --- the report ----------------------------------------------------------------------------


def growth(sizes: dict[int, dict[str, Any]], call_timeout_s: float) -> dict[str, Any]:
    """median(largest size) / median(smallest size) per read. Where the largest size's
    read did not finish (timed out or capped), the ratio is a lower bound: it uses the
    calls that finished, or the call timeout when none did; those reads are listed under
    `at_least`."""
    if len(sizes) < 2:
        return {}
    small, large = min(sizes), max(sizes)
    out: dict[str, Any] = {"between": [small, large], "at_least": []}
    for name, first in sizes[small]["reads"].items():
        last = sizes[large]["reads"].get(name) or {}
        a = first.get("median_ms")
        b = last.get("median_ms") or (call_timeout_s * 1000 if last.get("timed_out") else None)
        out[name] = round(b / a, 2) if a and b else None
        if out[name] is not None and _incomplete(last):
            out["at_least"].append(name)
    return out


def _incomplete(r: dict[str, Any]) -> bool:
    return bool(r.get("timed_out") or (r.get("capped") and r.get("n", 0) < 5))


def verdicts(sizes: dict[int, dict[str, Any]], grown: dict[str, Any]) -> dict[str, Any]:
    """Whether each read meets its targets at the largest size measured."""
    largest = sizes[max(sizes)]["reads"]
    out: dict[str, Any] = {}
    for name, r in largest.items():
        median, p99 = r.get("median_ms"), r.get("p99_ms")
        if name in WRITES:
            ok = median is not None and median <= TARGETS["write_median_ms"]
        else:
            ok = (
                median is not None
                and p99 is not None
                and median <= TARGETS["median_ms"]
                and p99 <= TARGETS["p99_ms"]
                and (grown.get(name) is None or grown[name] <= TARGETS["growth"])
                and name not in grown.get("at_least", ())
            )
        out[name] = bool(ok) and not _incomplete(r) and not r.get("errors")
    return out


def _cell(r: dict[str, Any]) -> str:
    if not r.get("n"):
        return "timed out, 0 calls" if r.get("timed_out") else "no calls"
    text = f"{r['median_ms']:.1f} / {r['p99_ms']:.1f}"
    if r.get("timed_out"):
        text += f" (timed out after {r['n']})"
    elif r.get("capped"):
        text += f" (capped at {r['n']})"
    bad = sum(v for k, v in r["statuses"].items() if int(k) >= 400)
    if bad:
        text += f" [{bad} errors]"
    return text


def table(sizes: dict[int, dict[str, Any]], grown: dict[str, Any], ok: dict[str, Any]) -> str:
    ordered = sorted(sizes)
    head = ["read"] + [f"{n:,} median / p99 ms".replace(",", " ") for n in ordered]
    head += [f"growth {ordered[-1]}/{ordered[0]}", f"meets targets (at {ordered[-1]})"]
    rows = [head, ["---"] * len(head)]
    for read in reads():
        if read.name not in sizes[ordered[0]]["reads"]:
            continue
        cells = [read.name]
        cells += [_cell(sizes[n]["reads"].get(read.name, {})) for n in ordered]
        g = grown.get(read.name)
        bound = ">= " if read.name in grown.get("at_least", ()) else ""
        cells.append(f"{bound}{g:.1f}x" if g is not None else "-")
        cells.append("yes" if ok.get(read.name) else "no")
        rows.append(cells)
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def seed_lines(sizes: dict[int, dict[str, Any]]) -> list[str]:
    lines = []
    for n, s in sorted(sizes.items()):
        seed = s["seed"]
        docs = seed.get("documents") or {}
        first = seed.get("first_start") or {}
        lines.append(
            f"size {n}: documents {docs.get('seconds')} s (writing {docs.get('writing_s')} s), "
            f"first start {first.get('seconds')} s, services healthy after "
            f"{s['services']['healthy_after_s']} s; this run waited "
            f"{seed['seconds_this_run']} s for seeding"
        )
    return lines


def code_state(services_from: Path | None) -> dict[str, Any]:
    """The code measured: this checkout (other work may be in its tree: read-only git
    calls name it), or another copy of the repository."""

    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    if services_from is not None:
        return {"services_from": str(services_from)}
    changed = run("status", "--short", "services", "libs").splitlines()
    return {"head": run("rev-parse", "HEAD"), "changed_in_services_and_libs": changed}


async def run(settings: argparse.Namespace) -> dict[str, Any]:
    url = scale_database_url()
    m = machine()
    log(machine_line(m))
    sizes: dict[int, dict[str, Any]] = {}
    for size in settings.sizes:
        log(f"size {size}")
        sizes[size] = await run_size(size, settings, url)
    grown = growth(sizes, settings.call_timeout)
    ok = verdicts(sizes, grown)
    text = table(sizes, grown, ok)
    print("\n" + text)
    for line in seed_lines(sizes):
        print(line)
    return {
        "machine": m,
        "code": code_state(settings.services_from),
        "settings": {
            "calls": settings.calls,
            "read_budget_s": settings.read_budget,
            "call_timeout_s": settings.call_timeout,
        },
        "targets": TARGETS,
        "sizes": {str(n): s for n, s in sizes.items()},
        "growth": grown,
        "meets_targets": ok,
        "table": text,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--calls", type=int, default=CALLS, help="timed calls per read")
    ap.add_argument("--read-budget", type=float, default=READ_BUDGET_S, help="seconds per read")
    ap.add_argument("--call-timeout", type=float, default=CALL_TIMEOUT_S)
    ap.add_argument("--only-reads", default="", help="comma-separated read names")
    ap.add_argument("--json", default=str(RESULTS / "scale.json"))
    ap.add_argument(
        "--services-from",
        type=Path,
        default=None,
        help="run the services from another copy of the repository, e.g. "
        "`git archive HEAD services libs | tar -x -C /tmp/head` (the same seeded data, "
        "another version of the code); default: this checkout",
    )
    args = ap.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.only_reads = {r for r in args.only_reads.split(",") if r}
    result = asyncio.run(run(args))
    path = Path(args.json)
    if path.parent == RESULTS:
        write_json(path.stem, result)
    else:
        path.write_text(json.dumps(result, indent=2, default=str))
    print(f"\nscale: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
