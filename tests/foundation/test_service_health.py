"""The services start as real processes and report their dependencies."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.infra import start_ferretdb, start_service, wait_healthy

pytestmark = pytest.mark.infra

SERVICES = ("needs", "suppliers", "matching", "notifications")


async def test_services_report_kafka_and_database_up_then_database_down(
    tmp_path: Path, topic_prefix: str
) -> None:
    database, url = start_ferretdb(tmp_path)
    handles = [
        start_service(name, tmp_path, topic_prefix=topic_prefix, mongodb_url=url)
        for name in SERVICES
    ]
    try:
        for handle in handles:
            health = await wait_healthy(handle)
            assert health["kafka"] == "up" and health["database"] == "up"
            async with httpx.AsyncClient() as client:
                spec = (await client.get(handle.url + "/openapi.json")).json()
            assert "/health" in spec["paths"]

        database.kill()
        async with httpx.AsyncClient(timeout=10) as client:
            for handle in handles:
                response = await client.get(handle.url + "/health")
                assert response.status_code == 200, "health must answer, not crash"
                body = response.json()
                assert body["database"] == "down" and body["kafka"] == "up"
                assert body["status"] == "degraded"
                ready = await client.get(handle.url + "/health/ready")
                assert ready.status_code == 503
                assert handle.process.alive()
    finally:
        for handle in handles:
            handle.process.stop()
        database.stop()
