"""A real needs service process on the real Kafka and database, shared by a test module."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from marketplace_contracts.events import CloudEvent, Payload, envelope
from marketplace_platform.auth import Role, mint_token
from marketplace_platform.settings import DEV_JWT_SECRET
from tests.support.infra import ServiceHandle, setting, start_service, unique, wait_healthy


def token(
    org: str,
    role: Role = "buyer",
    municipality_code: str | None = None,
    ttl: timedelta = timedelta(hours=1),
) -> str:
    return mint_token(
        DEV_JWT_SECRET, org=org, role=role, municipality_code=municipality_code, ttl=ttl
    )


def auth(org: str, role: Role = "buyer", municipality_code: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(org, role, municipality_code)}"}


NEED: dict[str, Any] = {
    "title": "Träning för vårdpersonal",
    "problem": "Vårdpersonalsutbildningen saknar ett säkert sätt att öva bemötande vid demens.",
    "cpv_codes": ["80500000-9"],
    "municipality_code": "1780",
    "tags": ["gender-equality"],
    "desired_outcomes": ["Tryggare personal"],
    "target_group": "vårdpersonal",
}


@dataclass
class Needs:
    handle: ServiceHandle
    prefix: str
    client: httpx.AsyncClient
    bootstrap: str

    async def create(self, org: str = "karlstad", **fields: Any) -> dict[str, Any]:
        response = await self.client.post("/v1/needs", json={**NEED, **fields}, headers=auth(org))
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def published(self, org: str = "karlstad", **fields: Any) -> dict[str, Any]:
        need = await self.create(org, **fields)
        response = await self.client.post(f"/v1/needs/{need['id']}/publish", headers=auth(org))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def send(self, logical_topic: str, payload: Payload, event_id: str | None = None) -> str:
        event = envelope(payload, source="/tests", event_id=event_id)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                f"{self.prefix}.{logical_topic}",
                event.model_dump_json(exclude_none=True).encode(),
                key=payload.partition_key().encode(),
            )
        finally:
            await producer.stop()
        return event.id

    async def events(
        self,
        logical_topic: str,
        predicate: Callable[[CloudEvent], bool],
        *,
        count: int = 1,
        timeout: float = 10,
    ) -> list[CloudEvent]:
        """The events on a topic that satisfy `predicate`, once `count` are there."""
        consumer = AIOKafkaConsumer(
            f"{self.prefix}.{logical_topic}",
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        found: list[CloudEvent] = []
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while len(found) < count and asyncio.get_running_loop().time() < deadline:
                batch = await consumer.getmany(timeout_ms=300)
                for records in batch.values():
                    for record in records:
                        event = CloudEvent.model_validate(json.loads(record.value))
                        if predicate(event):
                            found.append(event)
        finally:
            await consumer.stop()
        return found


@contextlib.asynccontextmanager
async def running_needs(
    tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str] | None = None
) -> AsyncIterator[Needs]:
    """A needs service process of its own (topics under a fresh prefix), healthy."""
    prefix = unique("t")
    handle = start_service(
        "needs", tmp_path_factory.mktemp("needs"), topic_prefix=prefix, extra_env=extra_env
    )
    try:
        await wait_healthy(handle)
        async with httpx.AsyncClient(base_url=handle.url, timeout=15) as client:
            yield Needs(handle, prefix, client, setting("KAFKA_BOOTSTRAP_SERVERS"))
    finally:
        handle.process.stop()


@pytest.fixture(scope="module")
async def needs_service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Needs]:
    async with running_needs(tmp_path_factory) as needs:
        yield needs
