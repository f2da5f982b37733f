"""The embedded outbox of the needs service on the real database and Kafka."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from marketplace_contracts.events import NeedWithdrawn, envelope
from marketplace_platform.outbox import mark_pending, outbox_entry

from .conftest import Needs, auth

pytestmark = pytest.mark.infra


def database(svc: Needs, client: AsyncMongoClient[dict[str, Any]]) -> Any:
    return client[f"{svc.prefix}_needs".replace(".", "_")]


async def test_the_event_is_acknowledged_before_the_http_call_returns(
    needs_service: Needs, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> None:
    need = await needs_service.create("outbox-org")
    response = await needs_service.client.post(
        f"/v1/needs/{need['id']}/publish", headers=auth("outbox-org")
    )
    assert response.status_code == 200
    doc = await database(needs_service, mongo_client)["needs"].find_one({"_id": need["id"]})
    assert doc is not None and doc["outbox"] == [], "the relay must have published already"
    assert doc["status"] == "published" and doc["version"] == 1
    [event] = await needs_service.events("needs", lambda e: e.subject == need["id"], timeout=5)
    assert event.type == "need.published.v1"


async def test_the_sweeper_publishes_what_a_crash_left_pending(
    needs_service: Needs, mongo_client: AsyncMongoClient[dict[str, Any]]
) -> None:
    need = await needs_service.published("crash-org")
    pending = envelope(
        NeedWithdrawn(need_id=need["id"], version=2, buyer_org="crash-org", reason="crash"),
        source="/marketplace/needs",
    )
    entry = outbox_entry("needs", pending)
    entry["queued_at"] = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    needs = database(needs_service, mongo_client)["needs"]
    # What a write leaves when its process dies before the publish: the marker, then the
    # event in the outbox (`outbox.save` writes both, in that order).
    await mark_pending(needs, need["id"], at=datetime.now(UTC) - timedelta(seconds=30))
    await needs.update_one({"_id": need["id"]}, {"$push": {"outbox": entry}})
    [event] = await needs_service.events("needs", lambda e: e.id == pending.id, timeout=15)
    assert event.type == "need.withdrawn.v1"
    for _ in range(50):
        doc = await needs.find_one({"_id": need["id"]})
        if doc is not None and doc["outbox"] == []:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the swept event was not removed from the outbox")
