"""One trace follows a need from the HTTP call through matching to the supplier; metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from marketplace_platform.auth import mint_token
from marketplace_platform.settings import DEV_JWT_SECRET
from tests.support.infra import start_service, wait_healthy

pytestmark = pytest.mark.infra

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def auth(org: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(DEV_JWT_SECRET, org=org, role=role)}"}  # type: ignore[arg-type]


async def headers_of_first(
    kafka: str, topic: str, need_id: str, timeout: float = 60
) -> dict[str, str]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if need_id.encode() in (record.value or b""):
                        return {k: v.decode() for k, v in record.headers}
    finally:
        await consumer.stop()
    raise AssertionError(f"no record about {need_id} on {topic}")


async def test_trace_context_travels_through_kafka_and_metrics_are_exposed(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str
) -> None:
    services = {
        n: start_service(n, tmp_path, topic_prefix=topic_prefix)
        for n in ("needs", "suppliers", "matching")
    }
    try:
        for handle in services.values():
            await wait_healthy(handle)
        async with httpx.AsyncClient(timeout=20) as client:
            solution = await client.post(
                services["suppliers"].url + "/v1/solutions",
                headers=auth("virotea", "supplier"),
                json={
                    "name": "VR-träning för vårdpersonal",
                    "description": "VR-utbildning för vårdpersonal i äldreomsorgen",
                    "cpv_codes": ["80500000"],
                    "regions": ["SE"],
                    "maturity": "pilot",
                },
            )
            assert solution.status_code == 201, solution.text
            # The solution is in matching's index before the need is published, so the
            # match is found by the need's event and must carry the need's trace (found by
            # the solution's event instead, it would rightly carry the solution's).
            deadline = asyncio.get_running_loop().time() + 60
            while True:
                stats = (await client.get(services["matching"].url + "/v1/stats")).json()
                if stats["handled"].get("solution.published.v1", 0) >= 1:
                    break
                assert asyncio.get_running_loop().time() < deadline, stats
                await asyncio.sleep(0.2)
            buyer = auth("karlstad", "buyer")
            need = await client.post(
                services["needs"].url + "/v1/needs",
                headers=buyer,
                json={
                    "title": "VR-utbildning för vårdpersonal",
                    "problem": "Vårdpersonal behöver öva svåra situationer med VR",
                    "cpv_codes": ["80500000"],
                    "municipality_code": "1780",
                },
            )
            need_id = need.json()["id"]
            published = await client.post(
                f"{services['needs'].url}/v1/needs/{need_id}/publish",
                headers={**buyer, "traceparent": TRACEPARENT},
            )
            assert published.status_code == 200, published.text

            on_needs = await headers_of_first(kafka_bootstrap, f"{topic_prefix}.needs", need_id)
            assert TRACE_ID in on_needs.get("traceparent", ""), on_needs
            on_matches = await headers_of_first(kafka_bootstrap, f"{topic_prefix}.matches", need_id)
            assert TRACE_ID in on_matches.get("traceparent", ""), on_matches

            metrics = (await client.get(services["needs"].url + "/metrics")).text
            assert "http_requests_total" in metrics
            assert 'route="/v1/needs/{need_id}/publish"' in metrics
            assert "outbox_pending_events 0.0" in metrics
            matching_metrics = (await client.get(services["matching"].url + "/metrics")).text
            assert "faststream_received_messages_total" in matching_metrics
            assert "faststream_published_messages_total" in matching_metrics
    finally:
        for handle in services.values():
            handle.process.stop()
