"""Matching throughput: need.published events handled per second, against 10 000
solutions and 1 000 subscriptions, by one and by two matching instances (same machine),
and side by side in the same run the two baselines of `bench.raw_loop` (the same scoring
in a plain aiokafka loop; a loop doing no work).

Method: the instances are started and healthy (index rebuilt from Kafka) before a backlog
of needs is produced; the group's lag is sampled every second with aiokafka's admin
client; after a warm-up, the sustained part (backlog never empty) is split into
consecutive windows whose rates give the median and spread.

    python -m bench.bench_throughput [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.common import (
    LagSampler,
    bootstrap,
    commit_to_end,
    corpus,
    create_topics,
    fmt_spread,
    machine,
    machine_line,
    need_payload,
    over_runs,
    produce,
    solution_events,
    subscription_events,
    window_rates,
    write_json,
)
from marketplace_contracts.events import envelope

WINDOWS = 3


def need_events(needs: list[Any], count: int, tag: str) -> list[Any]:
    return [
        envelope(
            need_payload(needs[i % len(needs)], f"{tag}-{i:06d}", f"buyer{i % 50}"),
            source="bench",
        )
        for i in range(count)
    ]


async def measure(
    sampler: LagSampler, max_s: float, warmup_s: float
) -> tuple[list[float], list[dict[str, Any]]]:
    await sampler.start()
    print("  sampling lag", flush=True)
    started = time.monotonic()
    try:
        while time.monotonic() - started < max_s:
            await asyncio.sleep(1)
            last = sampler.samples[-1] if sampler.samples else {}
            if time.monotonic() - started > 3 and last.get("lag", 1) <= 0:
                break
    finally:
        await sampler.stop()
    return window_rates(sampler.samples, WINDOWS, warmup_s)


async def service_run(
    instances: int, needs: list[Any], backlog: int, window_s: float, tmp: Path
) -> dict[str, Any]:
    from tests.support.infra import start_service, unique, wait_healthy

    prefix = unique("bench-tp")
    topics = await create_topics(prefix)
    solutions, _ = corpus(10_000, 1)
    await produce(topics.solutions, solution_events(solutions))
    await produce(topics.subscriptions, subscription_events(solutions, 1_000))
    group = f"{prefix}.matching"
    await commit_to_end(group, [topics.solutions, topics.subscriptions])
    handles = [
        start_service("matching", tmp, topic_prefix=prefix, extra_env={"LOG_LEVEL": "WARNING"})
        for _ in range(instances)
    ]
    try:
        await asyncio.gather(*(wait_healthy(h, timeout=180) for h in handles))
        print(f"  {instances} matching instance(s) healthy; producing {backlog} needs", flush=True)
        sampler = LagSampler(group, [topics.needs])
        producing = asyncio.create_task(produce(topics.needs, need_events(needs, backlog, "tp")))
        rates, series = await measure(sampler, 4 + WINDOWS * window_s + 6, warmup_s=2)
        await asyncio.wait_for(producing, 60)
    finally:
        for h in handles:
            h.process.stop()
    return {
        "instances": instances,
        "backlog": backlog,
        "rates": rates,
        "rate": over_runs(rates),
        "lag_series": series,
    }


async def raw_run(
    mode: str, source_events: list[Any], window_s: float, tmp: Path
) -> dict[str, Any]:
    prefix = f"bench-raw-{mode}-{os.getpid()}-{int(time.time())}"
    src, out = f"{prefix}.in", f"{prefix}.out"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap())
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=6, replication_factor=1) for t in (src, out)]
        )
    finally:
        await admin.close()
    await produce(src, source_events)
    group = f"{prefix}.group"
    log = (tmp / f"raw-{mode}.log").open("w")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [
            sys.executable,
            "-m",
            "bench.raw_loop",
            "--mode",
            mode,
            "--in",
            src,
            "--out",
            out,
            "--group",
            group,
            "--bootstrap",
            bootstrap(),
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(proc.stdout.readline)
        if "ready" not in line:
            raise RuntimeError(f"raw loop {mode} did not start: {line!r}")
        # The no-op loop drains its backlog in seconds: sample it finely enough to leave
        # several windows between the warm-up and the end of the backlog.
        fast = mode == "noop"
        sampler = LagSampler(group, [src], interval=0.2 if fast else 1.0)
        rates, series = await measure(
            sampler, 4 + WINDOWS * window_s + 4, warmup_s=0.4 if fast else 2
        )
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "mode": mode,
        "backlog": len(source_events),
        "rates": rates,
        "rate": over_runs(rates),
        "lag_series": series,
    }


def table(res: dict[str, Any]) -> str:
    rows = res["rows"]
    head = f"{'path':<42} {'needs/s median (min-max)':>26} {'vs raw scoring':>15} {'vs no-op':>9}"
    lines = [head, "-" * len(head)]
    raw = res["raw_score"]["rate"]["median"] or float("nan")
    noop = res["noop"]["rate"]["median"] or float("nan")
    for name, r in rows:
        med = r["rate"]["median"]
        lines.append(
            f"{name:<42} {fmt_spread(r['rate'], 0):>26} {med / raw:>15.2f} {med / noop:>9.3f}"
        )
    return "\n".join(lines)


async def run(quick: bool) -> dict[str, Any]:
    m = machine()
    window_s = 3.0 if quick else 6.0
    _, needs = corpus(10_000, 400)
    backlog = 3_000 if quick else 8_000
    with tempfile.TemporaryDirectory(prefix="bench-tp-") as d:
        tmp = Path(d)
        one = await service_run(1, needs, backlog, window_s, tmp)
        two = await service_run(2, needs, backlog, window_s, tmp)
        raw_events = need_events(needs, 6_000 if quick else 15_000, "raw")
        raw_score = await raw_run("score", raw_events, window_s, tmp)
        noop_events = need_events(needs, 30_000 if quick else 90_000, "noop")
        noop = await raw_run("noop", noop_events, 2.0 if quick else 3.0, tmp)
    res: dict[str, Any] = {
        "benchmark": "matching_throughput",
        "machine": m,
        "solutions": 10_000,
        "subscriptions": 1_000,
        "windows_per_run": WINDOWS,
        "window_s": window_s,
        "service_1": one,
        "service_2": two,
        "raw_score": raw_score,
        "noop": noop,
    }
    rows = [
        ("matching service, 1 instance", one),
        ("matching service, 2 instances", two),
        ("raw aiokafka loop, same scoring", raw_score),
        ("raw aiokafka loop, no work (broker limit)", noop),
    ]
    res["rows"] = rows
    raw = raw_score["rate"]["median"] or float("nan")
    noop_rate = noop["rate"]["median"] or float("nan")
    res["ratios"] = {
        "service_1_vs_raw_score": one["rate"]["median"] / raw,
        "service_2_vs_raw_score": two["rate"]["median"] / raw,
        "service_1_vs_noop": one["rate"]["median"] / noop_rate,
        "service_2_vs_noop": two["rate"]["median"] / noop_rate,
        "raw_score_vs_noop": raw / noop_rate,
    }
    res["targets"] = {
        "one_instance_ge_1000_per_s": one["rate"]["median"] >= 1000,
        "within_2x_of_raw_scoring": one["rate"]["median"] * 2 >= raw,
    }
    res["table"] = table(res)
    print("\n== matching throughput ==")
    print(machine_line(m))
    print(res["table"])
    print("targets:", res["targets"])
    res.pop("rows")
    write_json("throughput", res)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    asyncio.run(run(args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
