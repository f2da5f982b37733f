"""The notifications service on the real stack: a capture SMTP server of its own
(`deploy/local/mail_capture.py`), the service as a process, events sent on Kafka."""

from __future__ import annotations

import asyncio
import email
import email.policy
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from marketplace_contracts import events as ev
from marketplace_platform.settings import DEV_JWT_SECRET
from marketplace_platform.tokens import mint_token
from tests.support.infra import (
    ROOT,
    ManagedProcess,
    ServiceHandle,
    free_port,
    setting,
    start_service,
    wait_for_port,
)


def start_capture(
    tmp: Path, directory: Path, port: int | None = None
) -> tuple[ManagedProcess, int]:
    port = port or free_port()
    process = ManagedProcess(
        "mail-capture",
        [
            sys.executable,
            str(ROOT / "deploy/local/mail_capture.py"),
            "--port",
            str(port),
            "--dir",
            str(directory),
        ],
        {"PATH": "/usr/bin:/bin"},
        tmp / f"mail-capture-{port}.log",
    ).start()
    try:
        wait_for_port(port, 20)
    except TimeoutError as exc:
        raise RuntimeError(f"the capture server did not start:\n{process.log_tail()}") from exc
    return process, port


def start_notifications(
    tmp: Path, *, topic_prefix: str, smtp_port: int, capture_dir: Path, **env: str
) -> ServiceHandle:
    port = free_port()
    return start_service(
        "notifications",
        tmp,
        topic_prefix=topic_prefix,
        port=port,
        extra_env={
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "MAIL_CAPTURE_DIR": str(capture_dir),
            "NOTIFICATIONS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "NOTIFICATIONS_PORTAL_URL": "http://portal.test",
            **env,
        },
    )


def auth(org: str, role: str) -> dict[str, str]:
    token = mint_token(DEV_JWT_SECRET, org=org, role=role)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Captured:
    path: Path
    message: EmailMessage

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert isinstance(body, EmailMessage)
        return str(body.get_content())

    @property
    def html(self) -> str:
        body = self.message.get_body(("html",))
        assert isinstance(body, EmailMessage)
        return str(body.get_content())


def captured(directory: Path) -> list[Captured]:
    out = []
    for path in sorted(directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        out.append(Captured(path, message))
    return out


async def wait_for_mail(
    directory: Path,
    count: int,
    timeout: float = 30,
    to: str | None = None,
    subject: str | None = None,
) -> list[Captured]:
    """The captured messages (to an address, with a subject containing a text) once there
    are `count` of them, or what there is after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            m
            for m in captured(directory)
            if (to is None or to in str(m.message["To"]))
            and (subject is None or subject in str(m.message["Subject"]))
        ]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def send_events(topic_prefix: str, payloads: Iterable[tuple[ev.Payload, str]]) -> None:
    """Each payload as a CloudEvent with the given id, on its topic, keyed as the services
    key it."""
    producer = AIOKafkaProducer(bootstrap_servers=setting("KAFKA_BOOTSTRAP_SERVERS"), acks="all")
    await producer.start()
    try:
        for payload, event_id in payloads:
            event = ev.envelope(payload, source="/tests", event_id=event_id)
            await producer.send_and_wait(
                f"{topic_prefix}.{payload.topic}",
                event.model_dump_json().encode(),
                key=payload.partition_key().encode(),
            )
    finally:
        await producer.stop()


async def api(handle: ServiceHandle) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=handle.url, timeout=15)


async def stats(handle: ServiceHandle) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        return dict((await client.get(handle.url + "/v1/stats")).json())
