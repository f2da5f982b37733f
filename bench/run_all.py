"""Every benchmark, one after the other, each printing its table and writing JSON to
bench/results/; then bench/results/summary.json with the machine and the headline figures.

    python -m bench.run_all            # the full set (`make bench`)
    python -m bench.run_all --quick    # a smoke run: shorter runs, smaller sizes
    python -m bench.run_all --only order_page,scale   # some of them (names: see --only)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

from bench.common import RESULTS, machine, machine_line, write_json


async def bounded(run: Any, seconds: float, name: str) -> dict[str, Any]:
    """A benchmark that stalls is reported as such instead of hanging `make bench`."""
    try:
        result: dict[str, Any] = await asyncio.wait_for(run, seconds)
        return result
    except TimeoutError:
        print(f"{name}: did not finish within {seconds:.0f} s; reported as timed out", flush=True)
        return {"timed_out": True, "limit_s": seconds}
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        print(f"{name}: failed: {type(exc).__name__}: {exc}", flush=True)
        return {"timed_out": True, "failed": f"{type(exc).__name__}: {exc}"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a fast smoke run")
    ap.add_argument(
        "--only",
        default="matching,relevance,cpv_suggest,throughput,cascade,e2e,order_page,order_fill,ocds,scale",
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per end-to-end rate (>= 3)")
    args = ap.parse_args(argv)
    only = {x.strip() for x in args.only.split(",")}
    m = machine()
    print(machine_line(m), flush=True)
    summary: dict[str, Any] = {"machine": m, "quick": args.quick, "started": time.time()}
    RESULTS.mkdir(parents=True, exist_ok=True)

    if "matching" in only:
        sizes = "1000,10000" if args.quick else "1000,10000,100000"
        out = RESULTS / "matching.json"
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bench.bench_matching", "--sizes", sizes, "--json", str(out)],
            check=True,
        )
        summary["matching"] = {"json": str(out), "seconds": round(time.perf_counter() - t, 1)}
        if out.exists():
            summary["matching"]["result"] = json.loads(out.read_text())

    if "relevance" in only:
        from bench.bench_relevance import load, run, table

        t = time.perf_counter()
        res = run(load())
        print(table(res), flush=True)
        path = write_json("relevance", {"machine": m, **res})
        summary["relevance"] = {"json": str(path), "seconds": round(time.perf_counter() - t, 1)}
        summary["relevance"]["result"] = {
            name: res[name] for name in ("matching", "bm25s", "cpv", "above_both_baselines")
        }

    if "cpv_suggest" in only:
        out = RESULTS / "cpv_suggest.json"
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bench.bench_cpv_suggest", "--json", str(out)], check=True
        )
        summary["cpv_suggest"] = {"json": str(out), "seconds": round(time.perf_counter() - t, 1)}
        if out.exists():
            summary["cpv_suggest"]["result"] = json.loads(out.read_text())

    if "throughput" in only:
        from bench.bench_throughput import run as throughput

        res = asyncio.run(bounded(throughput(args.quick), 900, "throughput"))
        if "timed_out" in res:
            summary["throughput"] = res
        else:
            summary["throughput"] = {
                k: res[k] for k in ("ratios", "targets", "table") if k in res
            } | {
                "service_1_needs_per_s": res["service_1"]["rate"],
                "service_2_needs_per_s": res["service_2"]["rate"],
                "raw_score_needs_per_s": res["raw_score"]["rate"],
                "noop_records_per_s": res["noop"]["rate"],
            }

    if "cascade" in only:
        from bench.bench_cascade import run as cascade
        from bench.bench_cascade import table as cascade_table

        res = asyncio.run(bounded(cascade(60 if args.quick else 300), 600, "cascade"))
        if "timed_out" not in res:
            print(cascade_table(res), flush=True)
            write_json("cascade", res)
        summary["cascade"] = res

    if "e2e" in only:
        from bench.bench_e2e import run as e2e

        res = asyncio.run(bounded(e2e(args.quick, [20, 100, 500], max(3, args.runs)), 1200, "e2e"))
        if "timed_out" in res:
            summary["e2e"] = res
        else:
            summary["e2e"] = {k: res.get(k) for k in ("table", "targets")} | {
                "rates": [
                    {k: r[k] for k in ("rate", "achieved_rate", "median_ms", "p95_ms", "p99_ms")}
                    for r in res["rates"]
                ]
            }

    if "order_page" in only:
        from bench.bench_order_page import run as order_page
        from bench.bench_order_page import table as order_page_table

        res = asyncio.run(
            bounded(order_page([30, 300, 3000], 50 if args.quick else 200), 600, "order_page")
        )
        if "timed_out" not in res:
            print(order_page_table(res), flush=True)
            write_json("order_page", res)
        summary["order_page"] = res

    if "order_fill" in only:
        from bench.bench_order_fill import run as order_fill
        from bench.bench_order_fill import table as order_fill_table

        sizes = [1000] if args.quick else [1000, 10000]
        res = asyncio.run(bounded(order_fill(sizes), 600, "order_fill"))
        if "timed_out" not in res:
            print(order_fill_table(res), flush=True)
            write_json("order_fill", res)
        summary["order_fill"] = {"ratios": [r["ratio"] for r in res.get("rows", [])]}

    if "ocds" in only:
        from bench.bench_ocds import run as ocds
        from bench.bench_ocds import table as ocds_table

        # Seeds each size once (kept in its database); later runs only measure.
        sizes = [1000, 10000] if args.quick else [1000, 100000]
        res = asyncio.run(bounded(ocds(sizes, 20 if args.quick else 50, False), 1800, "ocds"))
        if "timed_out" not in res:
            print(ocds_table(res), flush=True)
            write_json("ocds", res)
        summary["ocds"] = res

    if "scale" in only:
        # Seeds each size once (cached in its databases); later runs only measure.
        sizes = "1000,10000" if args.quick else "1000,10000,100000"
        out = RESULTS / "scale.json"
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_scale", "--sizes", sizes, "--json", str(out)],
            check=False,
        )
        summary["scale"] = {"json": str(out), "seconds": round(time.perf_counter() - t, 1)}
        if done.returncode != 0:
            summary["scale"]["failed"] = f"exit status {done.returncode}"
        elif out.exists():
            result = json.loads(out.read_text())
            summary["scale"]["result"] = {
                k: result.get(k) for k in ("table", "growth", "meets_targets", "targets")
            }

    summary["finished"] = time.time()
    path = write_json("summary", summary)
    print(f"\nsummary: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
