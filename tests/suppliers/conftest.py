"""A real suppliers service process on the real Kafka and database, shared by a test
module (`test_service.py`, `test_service_inbox.py`), and the helpers of their tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from marketplace_contracts.events import AlertRaised, MatchFound, MatchReason, deterministic_id
from tests.suppliers.support import Receiver, auth, start_receiver
from tests.support.infra import ServiceHandle, setting, start_service, unique, wait_healthy

SOLUTION = {
    "name": "ViroteaED",
    "description": "VR-utbildning för vårdpersonal",
    "cpv_codes": ["80500000-9"],
    "regions": ["17"],
    "maturity": "market-ready",
    "tags": ["digital-inclusion"],
    "price_model": "licence",
    "languages": ["sv"],
}


@pytest.fixture(scope="module")
def prefix() -> str:
    return unique("sup")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
async def service(
    tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> AsyncIterator[ServiceHandle]:
    handle = start_service(
        "suppliers",
        tmp_path_factory.mktemp("suppliers"),
        topic_prefix=prefix,
        extra_env={
            "SUPPLIERS_WEBHOOKS_ALLOW_LOOPBACK": "true",
            "SUPPLIERS_WEBHOOK_BASE_DELAY_S": "0.3",
            "SUPPLIERS_WEBHOOK_MAX_ATTEMPTS": "3",
            "SUPPLIERS_WEBHOOK_POLL_INTERVAL_S": "0.2",
            "SUPPLIERS_WEBHOOK_TIMEOUT_S": "1.5",
        },
    )
    try:
        await wait_healthy(handle)
        yield handle
    finally:
        handle.process.stop()


@pytest.fixture
async def client(service: ServiceHandle) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=service.url, timeout=15) as c:
        yield c


def bootstrap() -> str:
    return setting("KAFKA_BOOTSTRAP_SERVERS")


async def new_solution(client: httpx.AsyncClient, org: str, **changes: Any) -> dict[str, Any]:
    response = await client.post("/v1/solutions", json={**SOLUTION, **changes}, headers=auth(org))
    assert response.status_code == 201, response.text
    return dict(response.json())


def match_payload(org: str, solution_id: str, need_id: str, score: float = 0.7) -> MatchFound:
    return MatchFound(
        match_id=deterministic_id("match", need_id, solution_id),
        need_id=need_id,
        need_version=1,
        need_title="Digital ledsagning",
        buyer_org="karlstad",
        solution_id=solution_id,
        solution_version=1,
        solution_name="ViroteaED",
        supplier_org=org,
        score=score,
        reasons=[MatchReason(component="cpv", score=0.4, detail="same group 805")],
    )


def alert_payload(org: str, need_id: str) -> AlertRaised:
    sub = str(uuid.uuid4())
    return AlertRaised(
        alert_id=deterministic_id("alert", sub, need_id),
        subscription_id=sub,
        supplier_org=org,
        need_id=need_id,
        need_version=1,
        need_title="Hållbar handling",
        buyer_org="helsingborg",
        municipality_code="1283",
        phase="validation",
        reasons=[],
    )


async def register(client: httpx.AsyncClient, org: str, url: str, secret: str) -> dict[str, Any]:
    r = await client.post("/v1/webhooks", json={"url": url, "secret": secret}, headers=auth(org))
    assert r.status_code == 201, r.text
    assert "secret" not in r.json()
    return dict(r.json())
