"""Operators' commands: `events tail` (events from Kafka) and `status` (health and lag)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from marketplace_contracts.topics import DEAD_LETTER_SUFFIX, SPECS_BY_NAME

from .api import cfg
from .core import CliError, Config, ServiceName, dev_settings, emit_json, out, reports_errors

events_app = typer.Typer(help="Events on Kafka.")

# The services `status` asks for their health, in this order.
SERVICES: tuple[ServiceName, ...] = ("needs", "suppliers", "matching", "notifications")

# Payload fields worth a glance, in this order; others are shown when there is room.
KEY_FIELDS = (
    "need_id",
    "solution_id",
    "subscription_id",
    "buyer_org",
    "supplier_org",
    "title",
    "name",
    "phase",
    "from_phase",
    "to_phase",
    "score",
    "adoption_count",
    "municipality_code",
    "reason",
    "error",
)
MAX_FIELDS = 6

Bootstrap = Annotated[
    str | None,
    typer.Option(help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)"),
]
Prefix = Annotated[
    str | None, typer.Option(help="topic prefix (default: MARKETPLACE_TOPIC_PREFIX)")
]


def kafka_defaults(bootstrap: str | None, prefix: str | None) -> tuple[str, str]:
    if bootstrap and prefix:
        return bootstrap, prefix
    settings = dev_settings()
    return bootstrap or settings.kafka_bootstrap_servers, prefix or settings.topic_prefix


def topic_name(topic: str, prefix: str) -> str:
    """`needs` -> `<prefix>.needs`; `needs.dlq` likewise; a full name stays as it is."""
    if topic.startswith(prefix + "."):
        return topic
    logical = topic.removesuffix(DEAD_LETTER_SUFFIX)
    if logical not in SPECS_BY_NAME:
        known = ", ".join(SPECS_BY_NAME)
        raise CliError(f"unknown topic {topic!r}: one of {known} (or <name>.dlq, or a full name)")
    return f"{prefix}.{topic}"


def scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 40 else text[:37] + "..."
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_event(value: bytes | None, key: bytes | None) -> str:
    """One line for a CloudEvent record: time, type, subject, key and payload fields."""
    key_text = key.decode(errors="replace") if key else "-"
    if value is None:
        return f"[dim]tombstone[/] key={escape(key_text)}"
    try:
        event = json.loads(value)
    except ValueError:
        start = escape(value[:80].decode(errors="replace"))
        return f"[red]not JSON[/] key={escape(key_text)}: {start}"
    if not isinstance(event, dict):
        return f"[red]not a CloudEvent[/] key={escape(key_text)}"
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    shown = [k for k in KEY_FIELDS if data.get(k) not in (None, "", [])][:MAX_FIELDS]
    fields = "  ".join(f"{k}={escape(scalar(data[k]))}" for k in shown)
    time = str(event.get("time") or "")[:19].replace("T", " ")
    subject = event.get("subject") or "-"
    return (
        f"{time}  [bold cyan]{escape(str(event.get('type')))}[/]  subject={escape(str(subject))}"
        f"  key={escape(key_text)}  {fields}".rstrip()
    )


async def tail(
    topic: str,
    bootstrap: str,
    *,
    from_beginning: bool,
    limit: int | None,
    idle_timeout: float | None,
    as_json: bool,
) -> int:
    import asyncio  # imported when used, as aiokafka: the CLI starts fast

    from aiokafka import AIOKafkaConsumer

    # No consumer group: nothing is committed, and every partition is read.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        request_timeout_ms=10_000,
    )
    try:
        await asyncio.wait_for(consumer.start(), 15)
    except Exception as exc:
        await consumer.stop()
        raise CliError(f"cannot reach Kafka at {bootstrap}: {exc or type(exc).__name__}") from None
    shown = 0
    # A dead letter is keyed by its poison record's place: one met again (a redelivery)
    # is shown once, whether or not the broker has compacted it away yet.
    seen_keys: set[bytes] | None = set() if topic.endswith(DEAD_LETTER_SUFFIX) else None
    try:
        if topic not in await consumer.topics():
            raise CliError(f"no topic {topic!r} on {bootstrap}")
        consumer.subscribe([topic])
        if not as_json:
            where = "the beginning" if from_beginning else "now"
            out.print(f"[dim]{topic} from {where}; Ctrl-C stops[/]")
        loop = asyncio.get_running_loop()
        last = loop.time()
        while limit is None or shown < limit:
            batch = await consumer.getmany(timeout_ms=500)
            records = sorted(
                (r for rs in batch.values() for r in rs), key=lambda r: (r.timestamp, r.partition)
            )
            if records:
                last = loop.time()
            elif idle_timeout is not None and loop.time() - last >= idle_timeout:
                break
            for record in records:
                if limit is not None and shown >= limit:
                    break
                if seen_keys is not None and record.key is not None:
                    if record.key in seen_keys:
                        continue
                    seen_keys.add(record.key)
                shown += 1
                if as_json:
                    typer.echo((record.value or b"null").decode(errors="replace"))
                else:
                    out.print(describe_event(record.value, record.key))
    finally:
        await consumer.stop()
    return shown


@events_app.command("tail")
@reports_errors
def events_tail(  # noqa: PLR0917 - typer options
    ctx: typer.Context,
    topic: Annotated[str, typer.Argument(help="needs, solutions, ..., needs.dlq, or a full name")],
    from_beginning: Annotated[
        bool, typer.Option(metavar="", help="read from the oldest record")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="stop after this many events")] = None,
    idle_timeout: Annotated[
        float | None, typer.Option(help="stop after this many seconds without an event")
    ] = None,
    bootstrap: Bootstrap = None,
    prefix: Prefix = None,
) -> None:
    """Print the events on a topic as they arrive (CloudEvents: type, time, subject, key)."""
    import asyncio

    c = cfg(ctx)
    servers, topic_prefix = kafka_defaults(bootstrap, prefix)
    name = topic_name(topic, topic_prefix)
    asyncio.run(
        tail(
            name,
            servers,
            from_beginning=from_beginning,
            limit=limit,
            idle_timeout=idle_timeout,
            as_json=c.as_json,
        )
    )


# --- status --------------------------------------------------------------------------------


@dataclass
class Lag:
    group: str
    topics: dict[str, int] = field(default_factory=dict)  # topic -> records behind
    error: str | None = None

    @property
    def total(self) -> int:
        return sum(self.topics.values())


async def consumer_lag(bootstrap: str, prefix: str, timeout: float = 10) -> list[Lag]:
    """Lag of every consumer group under the prefix: committed offsets vs end offsets."""
    import asyncio

    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(consumer.start(), timeout)
        groups = await asyncio.wait_for(admin.list_consumer_groups(), timeout)
        names = sorted(
            str(g[0]) for g in groups if str(g[0]) == prefix or str(g[0]).startswith(prefix + ".")
        )
        lags: list[Lag] = []
        for group in names:
            lag = Lag(group)
            try:
                committed = await asyncio.wait_for(
                    admin.list_consumer_group_offsets(group), timeout
                )
                parts = [tp for tp, meta in committed.items() if meta is not None]
                ends = await asyncio.wait_for(consumer.end_offsets(parts), timeout) if parts else {}
                for tp in parts:
                    offset = committed[tp].offset
                    behind = max(0, ends.get(tp, 0) - offset) if offset >= 0 else ends.get(tp, 0)
                    lag.topics[tp.topic] = lag.topics.get(tp.topic, 0) + behind
            except Exception as exc:
                lag.error = str(exc) or type(exc).__name__
            lags.append(lag)
        return lags
    finally:
        for client in (consumer, admin):
            try:
                await client.close() if client is admin else await client.stop()
            except Exception:  # noqa: S110 - closing what may never have started
                pass


def health_of(c: Config, service: ServiceName) -> dict[str, Any]:
    import httpx

    url = c.url(service, "/health")
    try:
        response = httpx.get(url, timeout=min(c.timeout, 5))
        body = response.json()
        state = dict(body) if isinstance(body, dict) else {"status": f"HTTP {response.status_code}"}
    except httpx.ConnectError:
        state = {"status": "down", "error": "connection refused"}
    except (httpx.HTTPError, ValueError) as exc:
        state = {"status": "down", "error": f"{type(exc).__name__}: {exc}"}
    return {"service": service, "url": c.urls[service], **state}


def stats_of(c: Config) -> dict[str, Any]:
    """Matching's `/v1/stats` (index sizes, events handled), or why there are none."""
    import httpx

    headers: dict[str, str] = {}
    if c.token or c.org:
        headers["Authorization"] = f"Bearer {c.bearer('admin')}"
    try:
        response = httpx.get(c.url("matching", "/v1/stats"), headers=headers, timeout=5)
    except httpx.HTTPError as exc:
        return {"unavailable": f"{type(exc).__name__}"}
    if response.status_code == 404:
        return {"unavailable": "this matching version has no /v1/stats"}
    if response.status_code in (401, 403):
        return {"unavailable": f"{response.status_code}: pass --token or --org ... --role admin"}
    if response.is_error:
        return {"unavailable": f"HTTP {response.status_code}"}
    try:
        body = response.json()
    except ValueError:
        return {"unavailable": "not JSON"}
    return dict(body) if isinstance(body, dict) else {"stats": body}


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for k, v in value.items():
            rows.extend(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return rows
    return [(prefix, value)]


def status_colour(status: str) -> str:
    return {"ok": "green", "up": "green", "degraded": "yellow"}.get(status, "red")


@reports_errors
def status(
    ctx: typer.Context,
    bootstrap: Bootstrap = None,
    prefix: Prefix = None,
    lag: Annotated[
        bool, typer.Option(metavar="", help="also show the consumer groups' lag")
    ] = True,
) -> None:
    """The services' health, consumer lag per group, and matching's index sizes.

    Exit code 1 when a service is not fully up.
    """
    c = cfg(ctx)
    health = [health_of(c, s) for s in SERVICES]
    matching = next(h for h in health if h["service"] == "matching")
    stats = stats_of(c) if matching["status"] != "down" else {"unavailable": "matching is down"}
    lags: list[Lag] = []
    lag_error: str | None = None
    if lag:
        servers, topic_prefix = kafka_defaults(bootstrap, prefix)
        import asyncio

        try:
            lags = asyncio.run(consumer_lag(servers, topic_prefix))
        except Exception as exc:
            lag_error = f"cannot read consumer groups from {servers}: {exc or type(exc).__name__}"
    if c.as_json:
        emit_json(
            {
                "services": health,
                "matching_stats": stats,
                "consumer_groups": [
                    {"group": g.group, "lag": g.total, "topics": g.topics, "error": g.error}
                    for g in lags
                ],
                "consumer_lag_error": lag_error,
            }
        )
    else:
        table = Table(title="services")
        for column in ("service", "url", "status", "kafka", "database", "uptime s"):
            table.add_column(column)
        for h in health:
            st = str(h.get("status"))
            table.add_row(
                h["service"],
                h["url"],
                f"[{status_colour(st)}]{escape(st)}[/]",
                str(h.get("kafka", "-")),
                str(h.get("database", "-")),
                str(h.get("uptime_s", h.get("error", "-"))),
            )
        out.print(table)
        if lag:
            if lag_error:
                out.print(f"[yellow]consumer lag:[/] {escape(lag_error)}")
            else:
                groups = Table(title="consumer lag")
                for column in ("group", "lag", "by topic"):
                    groups.add_column(column)
                for g in lags:
                    by_topic = ", ".join(f"{t}: {n}" for t, n in sorted(g.topics.items()))
                    groups.add_row(g.group, str(g.total), escape(g.error or by_topic or "-"))
                if not lags:
                    groups.add_row("(no consumer groups under the prefix)", "-", "-")
                out.print(groups)
        index = Table(title="matching")
        index.add_column("stat")
        index.add_column("value", justify="right")
        for key, value in flatten(stats):
            index.add_row(escape(key), escape(str(value)))
        out.print(index)
    if any(h.get("status") != "ok" for h in health):
        raise typer.Exit(1)
