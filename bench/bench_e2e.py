"""End to end: a need published over HTTP until the matching supplier's inbox entry is
stored and its live stream (SSE) carries it, at a steady 20, 100 and 500 needs/s.

Setup: the three services as real processes (one unique topic prefix), 10 000 solutions
and 999 subscriptions of synthetic suppliers produced straight to Kafka as
solution.published / subscription.upserted CloudEvents (matching rebuilds its index from
Kafka; its work group is marked as past them), plus one real supplier over HTTP with a
solution and a subscription for the whole country, whose `GET /v1/inbox/stream` is open.

Each need is drafted (POST /v1/needs) and published (POST /v1/needs/{id}/publish) on a
fixed schedule; latency runs from the start of the publish request to the arrival of the
first inbox entry for that need on the supplier's stream (the suppliers service stores the
entry before it streams it). If the schedule cannot be kept, the achieved rate is
reported, and the run still ends with its schedule: calls not finished 15 s later are
cancelled and counted as not sent; needs published but not delivered within the drain
timeout count as lost for that run.

    python -m bench.bench_e2e [--quick] [--rates 20,100,500] [--runs 3] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    commit_to_end,
    corpus,
    create_topics,
    fmt_spread,
    latency_stats,
    machine,
    machine_line,
    need_body,
    over_runs,
    produce,
    solution_events,
    subscription_events,
    write_json,
)
from marketplace_platform.auth import mint_token
from marketplace_platform.settings import ServiceSettings

SUPPLIER = "bench-supplier"
# Calls in flight at most: enough to hold the schedule at what the needs service sustains
# here (about 20 calls/s), and few connections, because httpcore's pool checks every
# connection on each request (anyio builds the socket's attributes each time): with 256
# the client itself took 0.7 of the 2 cores, with 64 still 0.55.
IN_FLIGHT = 24


class Stream:
    """The measured supplier's SSE stream: arrival time of the first entry per need."""

    def __init__(self, client: httpx.AsyncClient, url: str, token: str) -> None:
        self.client = client
        self.url = url
        self.token = token
        self.arrived: dict[str, tuple[float, str]] = {}
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.waiters: dict[str, asyncio.Future[None]] = {}

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.client.stream("GET", self.url, headers=headers, timeout=None) as resp:
            event = ""
            async for line in resp.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                    if event == "ready":
                        self.ready.set()
                elif line.startswith("data:") and event != "ready":
                    now = time.perf_counter()
                    entry = json.loads(line[5:].strip())
                    need_id = entry.get("need_id")
                    if need_id and need_id not in self.arrived:
                        self.arrived[need_id] = (now, entry.get("kind", event))

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())


async def one_run(
    client: httpx.AsyncClient,
    needs_url: str,
    stream: Stream,
    bodies: list[dict[str, Any]],
    tokens: dict[str, str],
    rate: float,
    duration: float,
    drain_s: float,
    grace_s: float = 15.0,
) -> dict[str, Any]:
    n = int(rate * duration)
    sent: dict[str, float] = {}
    publish_ms: list[float] = []
    errors = 0
    sem = asyncio.Semaphore(IN_FLIGHT)
    t0 = time.perf_counter()
    behind = 0.0

    started_requests = 0
    error_kinds: Counter[str] = Counter()

    async def one(i: int) -> None:
        nonlocal errors, started_requests
        body = bodies[i % len(bodies)]
        headers = {"Authorization": f"Bearer {tokens[body['municipality_code']]}"}
        async with sem:
            started_requests += 1
            try:
                r = await client.post(f"{needs_url}/v1/needs", json=body, headers=headers)
                r.raise_for_status()
                need_id = r.json()["id"]
                started = time.perf_counter()
                r = await client.post(f"{needs_url}/v1/needs/{need_id}/publish", headers=headers)
                r.raise_for_status()
                publish_ms.append((time.perf_counter() - started) * 1000)
                sent[need_id] = started
            except httpx.HTTPStatusError as exc:
                errors += 1
                error_kinds[f"{exc.request.method} {exc.response.status_code}"] += 1
            except httpx.HTTPError as exc:
                errors += 1
                error_kinds[type(exc).__name__] += 1

    tasks = []
    for i in range(n):
        due = t0 + i / rate
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            behind = max(behind, now - due)
        tasks.append(asyncio.create_task(one(i)))
    # The run ends with its schedule: what is still in flight gets a short grace, what
    # never left the client (the service fell behind) is counted, not waited for; waiting
    # for every scheduled need would make a 10 s run at 500/s last as long as the backlog.
    _, unfinished = await asyncio.wait(tasks, timeout=grace_s) if tasks else (set(), set())
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)
    sent_done = time.perf_counter()
    deadline = sent_done + drain_s
    for _ in range(int(drain_s / 0.05)):
        if time.perf_counter() > deadline or all(k in stream.arrived for k in sent):
            break
        await asyncio.sleep(0.05)
    lat = [(stream.arrived[k][0] - t) * 1000 for k, t in sent.items() if k in stream.arrived]
    kinds: dict[str, int] = {}
    for k in sent:
        if k in stream.arrived:
            kinds[stream.arrived[k][1]] = kinds.get(stream.arrived[k][1], 0) + 1
    last_publish = max(sent.values()) if sent else t0
    achieved = (len(sent) - 1) / (last_publish - t0) if len(sent) > 1 else 0.0
    # latency growth within the run: median of the last fifth against the first fifth
    ordered = sorted((t, stream.arrived[k][0] - t) for k, t in sent.items() if k in stream.arrived)
    fifth = max(1, len(ordered) // 5)
    first = sorted(x[1] for x in ordered[:fifth])
    last = sorted(x[1] for x in ordered[-fifth:])
    return {
        "target_rate": rate,
        "achieved_rate": round(achieved, 1),
        "needs": n,
        "published": len(sent),
        "delivered": len(lat),
        "lost_or_late": len(sent) - len(lat),
        "http_errors": errors,
        "http_error_kinds": dict(error_kinds),
        "not_sent_in_time": n - started_requests,
        "cut_in_flight": started_requests - len(sent) - errors,
        "schedule_behind_max_s": round(behind, 3),
        "latency": latency_stats(lat),
        "publish_http": latency_stats(publish_ms),
        "first_fifth_median_ms": first[len(first) // 2] * 1000 if first else float("nan"),
        "last_fifth_median_ms": last[len(last) // 2] * 1000 if last else float("nan"),
        "kinds": kinds,
    }


def _py_spy(pid: int, out: Path, seconds: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            # beside the interpreter: the venv's bin is not on PATH unless activated
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--format",
            "speedscope",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run(
    quick: bool, rates: list[float], runs: int, profile: Path | None = None
) -> dict[str, Any]:
    from tests.support.infra import start_service, unique, wait_healthy

    m = machine()
    duration = 5.0 if quick else 10.0
    prefix = unique("bench-e2e")
    topics = await create_topics(prefix)
    solutions, needs = corpus(10_000, 400)
    seed_s = await produce(topics.solutions, solution_events(solutions))
    seed_s += await produce(topics.subscriptions, subscription_events(solutions, 999))
    await commit_to_end(f"{prefix}.matching", [topics.solutions, topics.subscriptions])
    secret = ServiceSettings().jwt_secret.get_secret_value()
    result: dict[str, Any] = {
        "benchmark": "end_to_end",
        "machine": m,
        "solutions": 10_000,
        "subscriptions": 1_000,
        "run_s": duration,
        "runs_per_rate": runs,
        "seed_produce_s": round(seed_s, 2),
    }
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as d:
        tmp = Path(d)
        started = time.perf_counter()
        handles = {
            name: start_service(name, tmp, topic_prefix=prefix)
            for name in ("needs", "suppliers", "matching")
        }
        try:
            await asyncio.gather(*(wait_healthy(h, timeout=240) for h in handles.values()))
            result["startup_s"] = round(time.perf_counter() - started, 1)
            limits = httpx.Limits(max_connections=IN_FLIGHT + 8)
            async with httpx.AsyncClient(timeout=30, limits=limits) as client:
                sup_token = mint_token(secret, org=SUPPLIER, role="supplier")
                auth = {"Authorization": f"Bearer {sup_token}"}
                sup = handles["suppliers"].url
                r = await client.post(
                    f"{sup}/v1/solutions",
                    headers=auth,
                    json={
                        "name": "Bench rapportering",
                        "description": solutions[0].description,
                        "cpv_codes": list(solutions[0].cpv_codes),
                        "regions": ["SE"],
                        "maturity": "market-ready",
                    },
                )
                r.raise_for_status()
                r = await client.post(
                    f"{sup}/v1/subscriptions", headers=auth, json={"regions": ["SE"]}
                )
                r.raise_for_status()
                stream = Stream(client, f"{sup}/v1/inbox/stream", sup_token)
                stream.start()
                await asyncio.wait_for(stream.ready.wait(), 30)
                # wait until matching holds the measured supplier's subscription
                mat = handles["matching"].url
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    stats = (await client.get(f"{mat}/v1/stats", headers=auth)).json()
                    if stats.get("index", {}).get("subscriptions", 0) >= 1000:
                        break
                    await asyncio.sleep(0.5)
                result["matching_index"] = stats.get("index")
                bodies = [need_body(n) for n in needs]
                tokens = {
                    b["municipality_code"]: mint_token(
                        secret,
                        org=f"bench-buyer-{b['municipality_code']}",
                        role="buyer",
                        municipality_code=b["municipality_code"],
                    )
                    for b in bodies
                }
                # warm-up: a few needs through the whole path
                await one_run(client, handles["needs"].url, stream, bodies, tokens, 5, 2, 20)
                per_rate = []
                for rate in rates:
                    runs_out = []
                    for i in range(runs):
                        spies = []
                        if profile is not None and i == 0:
                            profile.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
                            for name, h in handles.items():
                                assert h.process.proc is not None
                                spies.append(
                                    _py_spy(
                                        h.process.proc.pid,
                                        profile / f"{name}-{int(rate)}.speedscope.json",
                                        int(duration),
                                    )
                                )
                        runs_out.append(
                            await one_run(
                                client,
                                handles["needs"].url,
                                stream,
                                bodies,
                                tokens,
                                rate,
                                duration,
                                drain_s=15 if quick else 25,
                            )
                        )
                        for s in spies:
                            s.wait(60)
                        await asyncio.sleep(1)
                    per_rate.append(
                        {
                            "rate": rate,
                            "runs": runs_out,
                            "median_ms": over_runs(r["latency"]["median_ms"] for r in runs_out),
                            "p95_ms": over_runs(r["latency"]["p95_ms"] for r in runs_out),
                            "p99_ms": over_runs(r["latency"]["p99_ms"] for r in runs_out),
                            "achieved_rate": over_runs(r["achieved_rate"] for r in runs_out),
                            "publish_http_median_ms": over_runs(
                                r["publish_http"]["median_ms"] for r in runs_out
                            ),
                            "lost_or_late": sum(r["lost_or_late"] for r in runs_out),
                            "scheduled": sum(r["needs"] for r in runs_out),
                            "http_errors": sum(r["http_errors"] for r in runs_out),
                            "not_sent": sum(
                                r["not_sent_in_time"] + r["cut_in_flight"] for r in runs_out
                            ),
                            "growth_ms": [
                                (
                                    safe_round(r["first_fifth_median_ms"]),
                                    safe_round(r["last_fifth_median_ms"]),
                                )
                                for r in runs_out
                            ],
                        }
                    )
                    print(f"rate {rate}: {per_rate[-1]['median_ms']} ms median", flush=True)
                if stream.task is not None:
                    stream.task.cancel()
        finally:
            for h in handles.values():
                h.process.stop()
    result["rates"] = per_rate
    at100 = next((r for r in per_rate if r["rate"] == 100), None)
    if at100:
        result["targets"] = {
            "median_lt_30ms_at_100": at100["median_ms"]["median"] < 30,
            "p99_lt_150ms_at_100": at100["p99_ms"]["median"] < 150,
        }
    result["table"] = table(result)
    print("\n== end to end (publish over HTTP -> supplier inbox + SSE) ==")
    print(machine_line(m))
    print(result["table"])
    if "targets" in result:
        print("targets:", result["targets"])
    write_json("e2e", result)
    return result


def table(res: dict[str, Any]) -> str:
    head = (
        f"{'target/s':>8} {'achieved/s':>16} {'median ms':>20} {'p95 ms':>20} {'p99 ms':>22} "
        f"{'publish ms':>18} {'lost':>5} {'errors':>6} {'not sent':>15}"
    )
    lines = [head, "-" * len(head)]
    for r in res["rates"]:
        lines.append(
            f"{r['rate']:>8.0f} {fmt_spread(r['achieved_rate'], 0):>16} "
            f"{fmt_spread(r['median_ms']):>20} {fmt_spread(r['p95_ms']):>20} "
            f"{fmt_spread(r['p99_ms']):>22} {fmt_spread(r['publish_http_median_ms']):>18} "
            f"{r['lost_or_late']:>5} {r['http_errors']:>6} "
            f"{r['not_sent']:>6} of {r['scheduled']:<6}"
        )
    lines.append(
        "(median over runs, min-max in brackets; publish = the HTTP publish call; not sent ="
        " scheduled needs whose calls had not finished 15 s after the schedule ended;"
        " errors = failed HTTP calls, by kind in the JSON)"
    )
    return "\n".join(lines)


def safe_round(value: float) -> int | None:
    """None where nothing arrived in that part of the run (NaN)."""
    return None if value != value else round(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rates", default="20,100,500")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", type=Path, default=None)
    args = ap.parse_args(argv)
    rates = [float(x) for x in args.rates.split(",") if x.strip()]
    asyncio.run(run(args.quick, rates, args.runs, args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
