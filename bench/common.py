"""Shared pieces of the benchmarks: the machine, statistics, seeding Kafka, consumer lag.

Every benchmark states the machine it ran on and reports medians over several runs with
their spread (min-max of the per-run figures); ratios are always taken in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from marketplace_contracts import events as ev
from marketplace_contracts.events import CloudEvent, envelope
from marketplace_contracts.reference.cpv import is_known
from marketplace_contracts.topics import Topics
from marketplace_platform.kafka import encode_event, ensure_topics
from marketplace_platform.settings import ServiceSettings

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def scale_database_url() -> str:
    """The scale benchmark's own database: `MARKETPLACE_SCALE_MONGODB_URL`, or the FerretDB
    that `infra.sh scale-db` starts on data kept in the machine's cache, so the seeded
    volumes outlive a clone (seeding 100 000 needs takes over an hour) and stay apart
    from the test infrastructure."""
    url = os.environ.get("MARKETPLACE_SCALE_MONGODB_URL")
    if url:
        return url
    subprocess.run(["bash", str(ROOT / "deploy/local/infra.sh"), "scale-db"], check=True)
    url = _scale_db_setting("MARKETPLACE_SCALE_MONGODB_URL")
    if url is None:
        raise RuntimeError("infra.sh scale-db wrote no MARKETPLACE_SCALE_MONGODB_URL")
    return url


def scale_database_files() -> Path:
    """Where the scale benchmark's FerretDB keeps its SQLite files (`infra.sh scale-db`)."""
    data = os.environ.get("MARKETPLACE_SCALE_DB_DATA") or _scale_db_setting(
        "MARKETPLACE_SCALE_DB_DATA"
    )
    cache = Path(os.environ.get("MARKETPLACE_CACHE", Path.home() / ".cache" / "marketplace"))
    return Path(data) if data else cache / "scale-db" / "data"


def _scale_db_setting(name: str) -> str | None:
    state = Path(os.environ.get("MARKETPLACE_STATE", ROOT / ".local"))
    env_file = state / "scale-db.env"
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    for line in lines:
        key, _, value = line.partition("=")
        if key == name:
            return value
    return None


# -- machine and statistics ---------------------------------------------------------------


def machine() -> dict[str, Any]:
    mem_kib = 0
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": model,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, load average at start {m['loadavg_at_start']}"
    )


def percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def latency_stats(samples: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median_ms": statistics.median(samples) if samples else float("nan"),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
        "max_ms": max(samples) if samples else float("nan"),
    }


def over_runs(values: Iterable[float]) -> dict[str, Any]:
    """Median over runs and the spread (min, max) of the per-run values."""
    vals = [v for v in values if v == v]  # drop NaN
    if not vals:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "runs": 0}
    return {
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "runs": len(vals),
    }


def fmt_spread(s: dict[str, Any], digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def write_json(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


# -- the data set: 10 000 solutions and 1 000 subscriptions --------------------------------


def corpus(n_solutions: int, n_needs: int, seed: int = 7) -> tuple[list[Any], list[Any]]:
    """The matching benchmark's synthetic corpus (Swedish/English texts, CPV, regions)."""
    from bench.bench_matching import make_corpus

    return make_corpus(n_solutions, n_needs, seed)


def solution_events(solutions: Sequence[Any], source: str = "bench") -> list[CloudEvent]:
    out = []
    for s in solutions:
        payload = ev.SolutionPublished(
            solution_id=s.solution_id,
            version=1,
            supplier_org=s.supplier_org,
            name=s.name,
            description=s.description,
            cpv_codes=list(s.cpv_codes),
            regions=list(s.regions),
            maturity=s.maturity,
            tags=sorted(s.tags),
            languages=[s.language] if s.language else [],
            adoption_count=s.adoption_count,
        )
        out.append(envelope(payload, source=source, event_id=f"seed-{s.solution_id}"))
    return out


def subscription_events(
    solutions: Sequence[Any], n: int, seed: int = 11, source: str = "bench"
) -> list[CloudEvent]:
    """n subscriptions of synthetic suppliers: a CPV group of their market and a county."""
    import random

    from bench.bench_matching import MUNICIPALITIES

    rng = random.Random(seed)
    out = []
    for i in range(n):
        s = rng.choice(solutions)
        payload = ev.SubscriptionUpserted(
            subscription_id=f"bench-sub-{i:05d}",
            version=1,
            supplier_org=s.supplier_org,
            cpv_prefixes=[rng.choice(s.cpv_codes)[:3]],
            regions=[rng.choice(MUNICIPALITIES)[:2]],
            keywords=[],
            phases=[],
        )
        out.append(envelope(payload, source=source, event_id=f"seed-sub-{i}"))
    return out


def need_payload(n: Any, need_id: str, buyer_org: str) -> ev.NeedPublished:
    return ev.NeedPublished(
        need_id=need_id,
        version=1,
        buyer_org=buyer_org,
        title=n.title,
        problem=n.problem,
        cpv_codes=list(n.cpv_codes),
        municipality_code=n.municipality_code,
        tags=sorted(n.tags),
        language=n.language,
        phase="hypothesis",
    )


def known_cpv(code: str) -> str:
    """The code, or its nearest ancestor in the shipped CPV vocabulary: the needs API
    accepts only those, while the synthetic corpus draws codes from all of CPV (about three
    in four bodies were refused with 422 before this)."""
    for keep in range(8, 1, -1):
        candidate = code[:keep].ljust(8, "0")
        if is_known(candidate):
            return candidate
    return code


def need_body(n: Any) -> dict[str, Any]:
    """The HTTP body of POST /v1/needs for a corpus need."""
    return {
        "title": n.title[:200],
        "problem": n.problem,
        "cpv_codes": list(dict.fromkeys(known_cpv(c) for c in n.cpv_codes)),
        "municipality_code": n.municipality_code,
        "tags": sorted(n.tags),
        "language": n.language,
    }


# -- Kafka ---------------------------------------------------------------------------------


def bootstrap() -> str:
    from tests.support.infra import setting

    return setting("KAFKA_BOOTSTRAP_SERVERS")


async def create_topics(prefix: str) -> Topics:
    topics = Topics(prefix)
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", bootstrap())
    await ensure_topics(ServiceSettings(), topics)
    return topics


async def produce(topic: str, events: Sequence[CloudEvent]) -> float:
    """Produce events (keyed by partition key, acks=all, idempotent); returns seconds."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        futures = []
        for e in events:
            key = (e.partitionkey or e.subject or e.id).encode()
            headers = [
                ("content-type", b"application/cloudevents+json"),
                ("ce_type", e.type.encode()),
            ]
            futures.append(await producer.send(topic, encode_event(e), key=key, headers=headers))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def produce_raw(topic: str, values: Sequence[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, v, key=k) for k, v in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def commit_to_end(group_id: str, topics: Sequence[str]) -> None:
    """Mark a group as having handled everything already in `topics` (seeded state that
    the read model rebuilds from Kafka; the work handlers need not react to it)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap(), group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        parts = [
            TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())
        ]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [
                TopicPartition(t, p)
                for t in topics
                for p in (consumer.partitions_for_topic(t) or ())
            ]
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        await consumer.commit({tp: OffsetAndMetadata(off, "") for tp, off in ends.items()})
    finally:
        await consumer.stop()


class LagSampler:
    """Samples a consumer group's committed offsets and the topics' end offsets every
    `interval` seconds (aiokafka admin + a metadata consumer)."""

    def __init__(self, group_id: str, topics: Sequence[str], interval: float = 1.0) -> None:
        self.group_id = group_id
        self.topics = list(topics)
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._parts: list[TopicPartition] = []

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap())
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap(), group_id=None)
        await self._consumer.start()
        described = await self._admin.describe_topics(self.topics)
        self._parts = [
            TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
        ]
        self._task = asyncio.create_task(self._run())

    async def sample(self) -> dict[str, Any]:
        assert self._admin is not None and self._consumer is not None
        committed = await self._admin.list_consumer_group_offsets(
            self.group_id, partitions=self._parts
        )
        ends = await self._consumer.end_offsets(self._parts)
        done = sum(max(0, o.offset) for tp, o in committed.items() if tp in ends)
        end = sum(ends.values())
        return {"t": time.monotonic(), "committed": done, "end": end, "lag": end - done}

    async def _run(self) -> None:
        next_at = time.monotonic()
        while True:
            try:
                self.samples.append(await asyncio.wait_for(self.sample(), 5))
            except Exception as exc:
                self.samples.append({"t": time.monotonic(), "error": str(exc)})
            next_at += self.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()


def window_rates(
    samples: Sequence[dict[str, Any]], windows: int, warmup_s: float
) -> tuple[list[float], list[dict[str, Any]]]:
    """Split the sustained part of a lag series (after warm-up, while the backlog was
    never empty) into `windows` consecutive windows; returns each window's rate."""
    good = [s for s in samples if "lag" in s]
    if not good:
        return [], []
    t0 = good[0]["t"]
    series = [
        {"t_s": round(s["t"] - t0, 2), "lag": s["lag"], "committed": s["committed"]} for s in good
    ]
    # the first second where work has visibly started, plus the warm-up
    started = next((s for s in good if s["committed"] > good[0]["committed"]), None)
    if started is None:
        return [], series
    begin = started["t"] + warmup_s
    usable = [s for s in good if s["t"] >= begin]
    # stop at the first sample whose lag is zero: after that the consumer is starved
    cut = []
    for s in usable:
        cut.append(s)
        if s["lag"] <= 0:
            break
    if len(cut) < windows + 1:
        return [], series
    step = (len(cut) - 1) / windows
    rates = []
    for w in range(windows):
        a = cut[round(w * step)]
        b = cut[round((w + 1) * step)]
        if b["t"] > a["t"]:
            rates.append((b["committed"] - a["committed"]) / (b["t"] - a["t"]))
    return rates, series
