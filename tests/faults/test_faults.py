"""Faults under a steady stream, on the real stack: every expected inbox entry exactly once.

Short form by default (`make test`); `MARKETPLACE_FAULTS=full` (`make faults`) sends 2 000
needs and 500 solutions per scenario and keeps faults longer. See `workload.py` for what
"expected" means and why it is deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from marketplace_contracts.events import AdoptionRecorded, envelope
from suppliers.domain.webhooks import verify_signature
from tests.faults import report
from tests.faults.stack import PrivateKafka, Stack, partitions, produce
from tests.faults.workload import (
    FULL,
    Fault,
    Stream,
    Tally,
    auth,
    converge,
    recovery,
    supplier_org,
)
from tests.support.infra import start_ferretdb, wait_for_port, wait_healthy

pytestmark = [pytest.mark.infra, pytest.mark.timeout(1800 if FULL else 300)]

OUTAGE_S = 20.0 if FULL else 8.0
TOPICS = (
    "needs", "solutions", "subscriptions", "adoptions", "matches", "alerts", "scaling", "ocds"
)  # fmt: skip
# Which services consume each topic (services/*/src/*/entrypoints/consumers.py).
CONSUMERS = {
    "needs": ("matching",),
    "solutions": ("matching",),
    "subscriptions": ("matching",),
    "adoptions": ("suppliers", "matching"),
    "matches": ("needs", "suppliers"),
    "alerts": ("suppliers",),
    "scaling": ("needs",),
    "ocds": ("needs",),
}
SCHEMA_TYPES = {
    "needs": "need.published.v1",
    "solutions": "solution.published.v1",
    "subscriptions": "subscription.upserted.v1",
    "adoptions": "adoption.recorded.v1",
    "matches": "match.found.v1",
    "alerts": "alert.raised.v1",
    "scaling": "scaling.opportunity.v1",
    "ocds": "ocds.released.v1",
}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    s = Stack(tmp_path)
    try:
        yield s
    finally:
        s.stop()


async def finish(
    name: str,
    stack: Stack,
    stream: Stream,
    faults: list[Fault],
    *,
    note: str = "",
    timeout: float = 240 if FULL else 90,
    **extra: Any,
) -> Tally:
    async with stack.client() as mongo:
        needs_db, suppliers_db = mongo[stack.db_name("needs")], mongo[stack.db_name("suppliers")]
        tally, reached = await converge(needs_db, suppliers_db, timeout=timeout)
        nexts = [f.began for f in faults[1:]] + [None]
        timeline = [
            await recovery(needs_db, suppliers_db, f, until)
            for f, until in zip(faults, nexts, strict=True)
        ]
    recover = round(reached - max(f.ended for f in faults), 1) if faults else None
    report.scenario(
        name,
        events_sent=stream.sent,
        http_attempts=stream.attempts,
        expected=tally.expected,
        found=tally.found,
        duplicated=tally.duplicated,
        unexpected=len(tally.unexpected),
        recover_s=recover,
        first_handled_s=_worst(timeline, "first_handled_s"),
        drained_s=_worst(timeline, "drained_s"),
        backlog=sum(t["backlog"] for t in timeline),
        timeline=timeline,
        note=note,
        **extra,
    )
    assert tally.exact, (
        f"{name}: expected {tally.expected}, found {tally.found}, duplicated "
        f"{tally.duplicated}; missing {tally.missing}; unexpected {tally.unexpected}\n"
        + stack.logs()
    )
    return tally


def _worst(timeline: list[dict[str, Any]], key: str) -> float | None:
    values = [t[key] for t in timeline if t.get(key) is not None]
    return max(values) if values else None


def stream_for(stack: Stack) -> Stream:
    return Stream(stack.url("needs"), stack.url("suppliers"), deadline_s=240 if FULL else 90)


# --- SIGKILL of each service, one at a time ---------------------------------------------


async def test_sigkill_each_service_then_restart(stack: Stack) -> None:
    await stack.up()
    stream = stream_for(stack)
    restarted: dict[str, Fault] = {}

    def killer(name: str) -> Callable[[], Awaitable[None]]:
        async def fault() -> None:
            restarted[name] = await stack.kill_and_restart(name)

        return fault

    started = time.monotonic()
    await stream.run(
        concurrency=6,
        on_progress={0.2: killer("needs"), 0.45: killer("suppliers"), 0.7: killer("matching")},
    )
    await finish(
        "SIGKILL needs, suppliers, matching (one at a time) + restart",
        stack,
        stream,
        list(restarted.values()),
        note=f"stream {round(time.monotonic() - started, 1)}s; "
        f"{stream.retried} HTTP retries while a service was down",
    )


# --- the Kafka broker stopped, then started (private broker) ----------------------------


async def test_kafka_broker_stopped_then_started(tmp_path: Path) -> None:
    kafka = PrivateKafka(tmp_path)
    await asyncio.to_thread(kafka.format)
    await kafka.start()
    stack = Stack(tmp_path / "stack", kafka=kafka.bootstrap)
    (tmp_path / "stack").mkdir()
    try:
        await stack.up()
        stream = stream_for(stack)
        back: list[Fault] = []

        async def outage() -> None:
            began = time.monotonic()
            kafka.stop()
            await asyncio.sleep(OUTAGE_S)
            await kafka.start()
            back.append(Fault(began, time.monotonic()))

        await stream.run(on_progress={0.4: outage})
        await finish(
            f"Kafka broker stopped {OUTAGE_S:.0f}s, then started (private broker)",
            stack,
            stream,
            back,
            note=f"{stream.retried} HTTP retries",
        )
    finally:
        stack.stop()
        kafka.stop()


# --- the database stopped and started while events keep arriving --------------------------


async def test_database_stopped_then_started(tmp_path: Path) -> None:
    ferret, url = start_ferretdb(tmp_path)
    port = int(url.rsplit(":", 1)[1].strip("/"))
    stack = Stack(tmp_path, mongodb_url=url)
    try:
        await stack.up()
        stream = stream_for(stack)
        back: list[Fault] = []

        async def outage() -> None:
            nonlocal ferret
            began = time.monotonic()
            ferret.stop()
            await asyncio.sleep(OUTAGE_S)
            ferret = type(ferret)(ferret.name, ferret.args, ferret.env, ferret.log_path).start()
            await asyncio.to_thread(wait_for_port, port)
            back.append(Fault(began, time.monotonic()))

        await stream.run(on_progress={0.4: outage})
        for handle in stack.handles.values():
            await wait_healthy(handle, timeout=60)
        await finish(
            f"database stopped {OUTAGE_S:.0f}s, then started (private FerretDB)",
            stack,
            stream,
            back,
            note=f"{stream.retried} HTTP retries (503 while the database was away)",
        )
    finally:
        stack.stop()
        ferret.stop()


# --- two matching instances, one killed --------------------------------------------------


async def test_two_matching_instances_one_killed(stack: Stack) -> None:
    await stack.up(("needs", "suppliers"))
    first = stack.start(
        "matching",
        env={
            "MATCHING_INSTANCE_ID": "first",
            "MARKETPLACE_KAFKA_GROUP_INSTANCE_ID": "matching-first",
        },
    )
    second = stack.start(
        "matching",
        env={
            "MATCHING_INSTANCE_ID": "second",
            "MARKETPLACE_KAFKA_GROUP_INSTANCE_ID": "matching-second",
        },
    )
    stack.handles["matching"] = first
    stack.extra.append(second)
    await wait_healthy(first, timeout=90)
    await wait_healthy(second, timeout=90)
    stream = stream_for(stack)
    killed: list[Fault] = []

    async def kill_first() -> None:
        first.process.kill()
        now = time.monotonic()
        killed.append(Fault(now, now))

    await stream.run(on_progress={0.4: kill_first})
    async with httpx.AsyncClient(timeout=10) as client:
        stats = (await client.get(second.url + "/v1/stats")).json()
    await finish(
        "two matching instances, one SIGKILLed; the other takes its partitions",
        stack,
        stream,
        killed,
        note=f"survivor {stats.get('instance')} handled {json.dumps(stats.get('handled'))[:120]}",
    )


# --- pruning under load, and a second writer on the default database --------------------

PRUNE_RETENTION_S = 10.0


async def test_pruning_every_second_and_a_second_writer_during_load(stack: Stack) -> None:
    """What the scale work added, under the stream: every service prunes each second and
    drops processed-event markers older than 10 s, while matching is SIGKILLed and
    restarted (its uncommitted records come again: the markers they need are recent) and
    a second needs instance is started on the same FerretDB, which cannot keep two
    writers apart: it must refuse, saying why, and the first must lose nothing."""
    stack.env |= {
        "MARKETPLACE_PRUNE_INTERVAL_S": "1",
        "MARKETPLACE_PROCESSED_RETENTION_DAYS": str(PRUNE_RETENTION_S / 86400),
    }
    await stack.up()
    stream = stream_for(stack)
    faults: list[Fault] = []
    refusals: list[str] = []

    async def second_needs() -> None:
        began = time.monotonic()
        second = stack.start("needs", env={"MARKETPLACE_KAFKA_GROUP_INSTANCE_ID": "needs-1"})
        stack.extra.append(second)
        assert second.process.proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(second.process.proc.wait, 60)
        refusals.append("" if second.process.alive() else second.process.log_tail(80))
        faults.append(Fault(began, time.monotonic()))

    async def restart_matching() -> None:
        faults.append(await stack.kill_and_restart("matching"))

    # Markers as a long run leaves them (most handlers are idempotent by key and write
    # none): a day old, for each service, to be pruned while the stream runs.
    old_markers = [
        {"_id": f"fault-suite/old-{k}", "at": datetime.now(UTC) - timedelta(days=1)}
        for k in range(50)
    ]
    async with stack.client() as mongo:
        for name in SERVICES_WITH_MARKERS:
            await mongo[stack.db_name(name)]["processed_events"].insert_many(old_markers)

    await stream.run(on_progress={0.3: second_needs, 0.6: restart_matching})
    faults.sort(key=lambda f: f.began)
    await finish(
        "pruning every second (markers older than 10 s) + a second needs instance refused "
        "+ SIGKILL matching",
        stack,
        stream,
        faults,
    )
    assert refusals and "another instance of the needs service" in refusals[0], refusals
    # Pruning ran under the load: no marker outlived the retention by more than a few
    # prune intervals, the day-old ones included.
    cutoff = datetime.now(UTC) - timedelta(seconds=PRUNE_RETENTION_S + 5)
    async with stack.client() as mongo:
        outlived = {
            name: await mongo[stack.db_name(name)]["processed_events"].count_documents(
                {"at": {"$lt": cutoff}}
            )
            for name in SERVICES_WITH_MARKERS
        }
    assert not any(outlived.values()), outlived


SERVICES_WITH_MARKERS = ("needs", "suppliers", "matching")


# --- poison messages on every consumed topic ---------------------------------------------


def poison_records(topic: str, partition: int) -> list[tuple[str, bytes]]:
    now = datetime.now(UTC).isoformat()

    def event(type_: str, data: dict[str, Any]) -> bytes:
        return json.dumps(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "/tests/poison",
                "type": type_,
                "time": now,
                "datacontenttype": "application/json",
                "data": data,
            }
        ).encode()

    return [
        ("invalid JSON", b'{"specversion": "1.0", "id": '),
        ("unknown type", event("poison.unknown.v1", {"x": partition})),
        ("schema", event(SCHEMA_TYPES[topic], {"version": -1, "nonsense": True})),
    ]


async def read_dlq(bootstrap: str, topic: str, want: int, timeout: float) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    seen: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(seen) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                seen.extend(records)
    finally:
        await consumer.stop()
    return seen


async def test_poison_messages_reach_the_dead_letters_and_the_stream_goes_on(
    stack: Stack,
) -> None:
    await stack.up()
    sent_poison: dict[str, int] = {}
    for topic in TOPICS:
        name = f"{stack.prefix}.{topic}"
        records = []
        for partition in await partitions(stack.kafka, name):
            for _, value in poison_records(topic, partition):
                records.append((partition, f"poison-{partition}".encode(), value))
        await produce(stack.kafka, name, records)
        sent_poison[topic] = len(records)
    started = time.monotonic()
    stream = stream_for(stack)
    await stream.run()
    async with stack.client() as mongo:
        tally, _ = await converge(
            mongo[stack.db_name("needs")], mongo[stack.db_name("suppliers")], timeout=90
        )
        assert tally.exact, (tally.missing, tally.unexpected, stack.logs())
        # Adoptions behind the poison of `adoptions`: one per solution of the first pairs,
        # keyed by solution like the needs service does; matching answers with scaling
        # opportunities behind the poison of `scaling`.
        sols = [
            d
            async for d in mongo[stack.db_name("suppliers")]["solutions"].find(
                {"supplier_org": {"$in": [supplier_org(p) for p in range(6)]}}
            )
        ]
    adoptions = []
    for s in sols:
        payload = AdoptionRecorded(
            adoption_id=str(uuid.uuid4()),
            solution_id=s["_id"],
            buyer_org="buyer-0",
            municipality_code="1780",
            kind="adoption",
            recorded_at=datetime.now(UTC),
        )
        event = envelope(payload, source="/tests/faults")
        adoptions.append(
            (
                None,
                payload.partition_key().encode(),
                event.model_dump_json(exclude_none=True).encode(),
            )
        )
    await produce(stack.kafka, f"{stack.prefix}.adoptions", adoptions)

    dlq_counts: dict[str, int] = {}
    for topic in TOPICS:
        want = sent_poison[topic] * len(CONSUMERS[topic])
        dead = await read_dlq(stack.kafka, f"{stack.prefix}.{topic}.dlq", want, timeout=60)
        # A poison record whose offset commit was lost in a rebalance is dead-lettered
        # again by the next owner, under the same key (its topic, partition, offset and
        # consumer) on a compacted topic: each key is one poison record, and every one
        # must be there.
        coordinates = {
            tuple(
                dict(r.headers)[h]
                for h in ("dlq_source_topic", "dlq_partition", "dlq_offset", "dlq_consumer")
            )
            for r in dead
        }
        assert {r.key for r in dead} == {
            "/".join(h.decode() for h in c).encode() for c in coordinates
        }
        dlq_counts[topic] = len(coordinates)
        assert len(coordinates) == want, (
            f"{topic}.dlq holds {len(coordinates)} of {want} poison records\n{stack.logs()}"
        )
        by_consumer: dict[str, int] = {}
        for record in dead:
            headers = {k: v.decode() for k, v in record.headers}
            assert headers.get("dlq_reason"), headers
            assert headers["dlq_source_topic"] == f"{stack.prefix}.{topic}"
            assert headers["dlq_original_key"].startswith("poison-")
            by_consumer[headers["dlq_consumer"]] = by_consumer.get(headers["dlq_consumer"], 0) + 1
            if record.value.startswith(
                b'{"specversion": "1.0", "id": '
            ) and not record.value.endswith(b"}"):
                assert "not valid JSON" in headers["dlq_reason"], headers["dlq_reason"]
        assert len(by_consumer) == len(CONSUMERS[topic]), by_consumer

    tally = await finish(
        "poison (invalid JSON, unknown type, schema violation) on every partition of all "
        f"{len(TOPICS)} topics",
        stack,
        stream,
        [Fault(started, started)],
        note=f"{sum(sent_poison.values())} poison records, "
        f"{sum(dlq_counts.values())} dead letters; {len(adoptions)} adoptions behind them",
        poison_sent=sent_poison,
        dead_letters=dlq_counts,
    )
    assert tally.expected > 3 * stream.n_needs  # the scaling opportunities are counted too


# --- webhook receivers that time out, fail or hang up ------------------------------------


class FaultyReceiver:
    """Answers by path: /timeout sleeps past the service's timeout, /fail answers 500,
    /close drops the connection without an answer, each until `healthy` is set; then 204.
    Every request is recorded with its event id and checked signature."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.healthy = asyncio.Event()
        self.requests: list[tuple[str, str, bool, int]] = []
        self.first_delivered: dict[str, float] = {}  # event id -> time.monotonic()
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (h.partition(":") for h in lines[1:] if h)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            signed = verify_signature(
                self.secret, headers.get("x-marketplace-signature", ""), body, time.time()
            )
            healthy = self.healthy.is_set()
            code = 204 if healthy else {"/timeout": 0, "/fail": 500, "/close": -1}[path]
            if healthy:  # the late 204 of a timed-out request reaches nobody
                event_id = headers.get("x-marketplace-event-id", "")
                self.first_delivered.setdefault(event_id, time.monotonic())
            self.requests.append((path, headers.get("x-marketplace-event-id", ""), signed, code))
            if code == 0:
                await asyncio.sleep(3)
                code = 204
            if code == -1:
                writer.transport.abort()
                return
            writer.write(
                f"HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_webhook_receivers_that_time_out_fail_or_hang_up(stack: Stack) -> None:
    await stack.up()
    secret = "fault-suite-secret-" + uuid.uuid4().hex
    receiver = FaultyReceiver(secret)
    base = await receiver.start()
    stream = stream_for(stack)
    paths = ("/timeout", "/fail", "/close")
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for p in range(stream.n_solutions):
                r = await client.post(
                    stack.url("suppliers") + "/v1/webhooks",
                    json={"url": base + paths[p % 3], "secret": secret},
                    headers=auth(supplier_org(p), "supplier"),
                )
                assert r.status_code == 201, r.text
        healed: list[Fault] = []
        began = time.monotonic()

        async def heal() -> None:
            receiver.healthy.set()
            healed.append(Fault(began, time.monotonic()))

        await stream.run(on_progress={0.6: heal})
        tally = await finish(
            "webhook receivers time out / answer 500 / close the connection, then recover",
            stack,
            stream,
            healed,
        )
        # Every supplier inbox entry is delivered (signed) once the receivers are healthy.
        async with stack.client() as mongo:
            db = mongo[stack.db_name("suppliers")]
            entries = {
                e["event_id"]
                async for e in db["inbox"].find({"kind": {"$in": ["match.found", "alert.raised"]}})
            }
        deadline = time.monotonic() + (240 if FULL else 90)
        while True:
            delivered = {e for _, e, _, code in receiver.requests if code == 204}
            if entries <= delivered or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        faulty = sum(1 for *_, code in receiver.requests if code != 204)
        healed_at = healed[0].ended
        # Held up: the events a receiver refused before it healed (it refuses nothing after).
        refused = {e for _, e, _, code in receiver.requests if code != 204}
        held_up = sorted(t - healed_at for e, t in receiver.first_delivered.items() if e in refused)
        report.SCENARIOS[-1].update(
            backlog=len(held_up),
            first_handled_s=round(held_up[0], 2) if held_up else None,
            drained_s=round(held_up[-1], 2) if held_up else None,
        )
        report.SCENARIOS[-1]["note"] = (
            f"{len(receiver.requests)} webhook requests, {faulty} failed on purpose, "
            f"{len(entries & delivered)}/{len(entries)} entries delivered"
        )
        report.write()
        assert entries <= delivered, f"{len(entries - delivered)} entries never delivered"
        assert all(signed for _, _, signed, _ in receiver.requests)
        assert tally.exact
    finally:
        await receiver.stop()
