"""The needs and suppliers services, started as processes on a seeded size's databases.

Topics get a prefix of this run's own (`tests.support.infra.unique`), so that nothing
collides with other runs or tests; they are deleted when the services stop. The services
rebuild in-memory lists from Kafka before they answer (the needs service its published
needs from the needs topic, the suppliers service its catalogue from the solutions topic),
so those topics are first filled with the events the seeded outboxes held, as the relay
would have published them. Consumed topics start empty: nothing is pending in any outbox,
and no consumer has anything to catch up on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_contracts.events import CloudEvent
from marketplace_platform.settings import ServiceSettings
from tests.support.infra import ServiceHandle

# Production's full outbox sweep interval (the tests' start_service sets 3 s, which on
# FerretDB 1.x reads every aggregate every 3 s and would dominate what is measured).
SETTLE_TIMEOUT_S = 300.0
FULL_SWEEP_S = str(ServiceSettings.model_fields["outbox_full_sweep_s"].default)


@dataclass
class RunningServices:
    needs_url: str
    suppliers_url: str
    prefix: str
    portal_url: str | None = None
    healthy_after_s: dict[str, float] = field(default_factory=dict)
    produced: dict[str, int] = field(default_factory=dict)
    settled_after_s: float | None = None  # consumers caught up with the seeded topics


async def _fill_topics(prefix: str, events_by_topic: dict[str, list[str]]) -> None:
    from bench.common import create_topics, produce

    topics = await create_topics(prefix)
    for logical, events in events_by_topic.items():
        if events:
            cloud_events = [CloudEvent.model_validate_json(e) for e in events]
            await produce(topics.name(logical), cloud_events)


async def _delete_topics(prefix: str) -> None:
    from tests.support.infra import delete_topics, setting, topic_names

    bootstrap = setting("KAFKA_BOOTSTRAP_SERVERS")
    ours = {t for t in await topic_names(bootstrap) if t.startswith(f"{prefix}.")}
    await delete_topics(bootstrap, ours)


async def _settled(prefix: str, timeout: float) -> float | None:
    """Seconds until every consumer group of the run (`<prefix>.<service>...`) has
    committed the end of every topic it reads, twice in a row: a service that has just
    become healthy still works through the seeded topics (each event a lookup and a
    marker in the database), which is not what a person meets in steady state. None when
    it does not happen within `timeout` (the reads are then measured anyway)."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    from tests.support.infra import setting

    bootstrap = setting("KAFKA_BOOTSTRAP_SERVERS")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    ends_of = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await ends_of.start()
    started, quiet = time.perf_counter(), 0
    try:
        while time.perf_counter() - started < timeout:
            groups = [g[0] for g in await admin.list_consumer_groups()]
            lag = 0
            for group in (g for g in groups if g.startswith(f"{prefix}.")):
                committed = await admin.list_consumer_group_offsets(group)
                ends = await ends_of.end_offsets(list(committed))
                lag += sum(max(0, ends[tp] - max(0, o.offset)) for tp, o in committed.items())
            quiet = quiet + 1 if lag == 0 else 0
            if quiet == 2:
                return round(time.perf_counter() - started, 1)
            await asyncio.sleep(1)
        return None
    finally:
        await ends_of.stop()
        await admin.close()


async def _reference_index_warm(needs_url: str) -> float:
    """Seconds until the needs service answers a CPV search: its index of the 9 454 codes
    is built in a thread at start (about 3 s of CPU that holds the interpreter), which the
    first reads would otherwise share."""
    import httpx

    from marketplace_platform.auth import mint_token
    from marketplace_platform.settings import DEV_JWT_SECRET

    token = mint_token(DEV_JWT_SECRET, org="scale-bench", role="buyer")
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client:
        answer = await client.get(
            f"{needs_url}/v1/reference/cpv",
            params={"q": "vård"},
            headers={"Authorization": f"Bearer {token}"},
        )
        answer.raise_for_status()
    return round(time.perf_counter() - started, 1)


async def _healthy(handle: ServiceHandle, started: float, timeout: float) -> float:
    from tests.support.infra import wait_healthy

    await wait_healthy(handle, timeout=timeout)
    return round(time.perf_counter() - started, 1)


def start_portal(
    needs_url: str, suppliers_url: str, tmp: Path, *, extra_env: dict[str, str]
) -> ServiceHandle:
    import os
    import sys

    from tests.support.infra import ManagedProcess, free_port, setting

    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "PORTAL_PORT": str(port),
            "PORTAL_NEEDS_URL": needs_url,
            "PORTAL_SUPPLIERS_URL": suppliers_url,
            "PORTAL_MATCHING_URL": "http://127.0.0.1:9",  # the pages read do not call it
            "MARKETPLACE_ENVIRONMENT": "test",
            "KAFKA_BOOTSTRAP_SERVERS": setting("KAFKA_BOOTSTRAP_SERVERS"),
            **extra_env,
        }
    )
    process = ManagedProcess("portal", [sys.executable, "-m", "portal"], env, tmp / "portal.log")
    return ServiceHandle(process.start(), port)


def code_path(code: Path) -> str:
    """The source folders of another copy of the repository, ahead of the editable
    installs of this checkout (PYTHONPATH comes before site-packages)."""
    folders = sorted(code.glob("services/*/src")) + sorted(code.glob("libs/*/src"))
    if not folders:
        raise ValueError(f"{code} holds no services/*/src or libs/*/src")
    return ":".join(str(f.resolve()) for f in folders)


@contextlib.asynccontextmanager
async def services_on(
    size: int,
    tmp: Path,
    *,
    mongodb_url: str,
    topics: dict[str, list[str]],
    start_timeout_s: float,
    code: Path | None = None,
    portal: bool = False,
    log: Callable[[str], None] = print,
) -> AsyncIterator[RunningServices]:
    """Both services on `scale<size>_needs` and `scale<size>_suppliers` of the database at
    `mongodb_url` (the scale benchmark's own, not the tests'), healthy, with
    `topics` (logical name: CloudEvents as JSON) on Kafka first; `code`: another copy of
    the repository to run them from (e.g. `git archive HEAD`), else this checkout;
    `portal`: the portal too, on those two (its pages need neither matching nor Kafka)."""
    from bench.scale_store import database_names
    from tests.support.infra import start_service, unique

    prefix = unique(f"scale{size}")
    names = database_names(size)
    env = {"MARKETPLACE_OUTBOX_FULL_SWEEP_S": FULL_SWEEP_S}
    if code is not None:
        env["PYTHONPATH"] = code_path(code)
    handles: dict[str, ServiceHandle] = {}
    try:
        await _fill_topics(prefix, topics)
        started = time.perf_counter()
        for service in ("needs", "suppliers"):
            handles[service] = start_service(
                service,
                tmp,
                topic_prefix=prefix,
                database_name=names[service],
                mongodb_url=mongodb_url,
                extra_env=env,
            )
        waits = [_healthy(h, started, start_timeout_s) for h in handles.values()]
        after = dict(zip(handles, await asyncio.gather(*waits), strict=True))
        if portal:
            urls = (handles["needs"].url, handles["suppliers"].url)
            handles["portal"] = start_portal(*urls, tmp, extra_env=env)
            after["portal"] = await _healthy(handles["portal"], started, start_timeout_s)
        log(f"scale {size}: services healthy after {after} s (topic prefix {prefix})")
        settled = await _settled(prefix, SETTLE_TIMEOUT_S) if topics else None
        if topics:
            log(f"scale {size}: consumers caught up after {settled} s more")
            warmed = await _reference_index_warm(handles["needs"].url)
            log(f"scale {size}: the CPV index warmed at start was ready {warmed} s later")
        yield RunningServices(
            handles["needs"].url,
            handles["suppliers"].url,
            prefix,
            handles["portal"].url if portal else None,
            after,
            {topic: len(events) for topic, events in topics.items()},
            settled,
        )
    finally:
        for handle in handles.values():
            handle.process.stop(timeout=30)
        await _delete_topics(prefix)
