"""Helpers for the suppliers' integration tests: tokens, Kafka records, a webhook receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from marketplace_contracts.events import CloudEvent, Payload, envelope
from marketplace_platform.auth import Role, mint_token
from marketplace_platform.settings import DEV_JWT_SECRET


def auth(org: str, role: Role = "supplier") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(DEV_JWT_SECRET, org=org, role=role)}"}


async def publish(bootstrap: str, topic: str, events: list[CloudEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic,
                event.model_dump_json(exclude_none=True).encode(),
                key=(event.partitionkey or event.id).encode(),
            )
    finally:
        await producer.stop()


def event_of(payload: Payload, event_id: str | None = None) -> CloudEvent:
    return envelope(payload, source="/tests", event_id=event_id)


async def read_events(
    bootstrap: str,
    topic: str,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 30,
) -> list[dict[str, Any]]:
    """Reads `topic` from the beginning until `until(events)` holds."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    seen: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + timeout
        while not until(seen):
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met on {topic}; saw {seen}")
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                seen.extend(json.loads(r.value) for r in records)
        return seen
    finally:
        await consumer.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.2)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1. Paths choose behaviour:

    /ok answers 204; /flaky answers 500 to the first request for each event id, then 204;
    /dead always 500; /slow waits 4 s (longer than the service's timeout) then answers 204.
    """

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def to(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


def start_receiver() -> Receiver:
    lock = threading.Lock()
    first_seen: set[str] = set()
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            path = self.path.split("?")[0]
            with lock:
                holder["r"].requests.append(
                    Received(
                        path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                    )
                )
            code = 204
            if path == "/dead":
                code = 500
            elif path == "/flaky":
                key = self.headers.get("X-Marketplace-Event-Id", "")
                with lock:
                    if key not in first_seen:
                        first_seen.add(key)
                        code = 500
            elif path == "/slow":
                time.sleep(4)
            try:
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the service gave up waiting

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    holder["r"] = receiver
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
