"""One writing instance per FerretDB database: a second live one is refused, a crashed
one's place is taken over, a clean stop hands over at once (the real database)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from marketplace_platform.mongo import filters_and_updates_are_atomic
from marketplace_platform.writer_lease import SecondWriter, WriterLease
from tests.support.infra import start_service, unique, wait_healthy

pytestmark = pytest.mark.infra


def lease(db: Any, instance: str) -> WriterLease:
    return WriterLease(db, service="needs", instance=instance, ttl_s=1.0, refresh_s=0.2)


async def test_the_lease_is_taken_on_this_database(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    # The local database is FerretDB 1.x: the reason the lease exists.
    assert not await filters_and_updates_are_atomic(mongo_client)


async def test_a_second_live_writer_is_refused_and_named(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("lease").replace("-", "_")]
    first, second = lease(db, "first"), lease(db, "second")
    await first.acquire()
    try:
        with pytest.raises(SecondWriter, match=r"another instance of the needs service \(first\)"):
            await second.acquire()
    finally:
        await first.release()
    started = time.monotonic()
    await second.acquire()  # a clean stop gave it back: no waiting
    assert time.monotonic() - started < 0.5
    await second.release()


async def test_a_crashed_writers_lease_is_taken_over_after_its_ttl(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("lease").replace("-", "_")]
    crashed, successor = lease(db, "crashed"), lease(db, "successor")
    await crashed.acquire()
    assert crashed._task is not None
    crashed._task.cancel()  # a SIGKILL: it stops refreshing and never gives the lease back
    started = time.monotonic()
    await successor.acquire()
    waited = time.monotonic() - started
    assert 0.5 < waited < 2.5, waited
    held = await db["_leases"].find_one({"_id": "writer"})
    assert held is not None and held["instance"] == "successor"
    await successor.release()


async def test_a_second_needs_service_on_one_database_exits_saying_why(
    tmp_path: Path, topic_prefix: str
) -> None:
    database = f"{topic_prefix}_needs".replace("-", "_")
    first = start_service("needs", tmp_path, topic_prefix=topic_prefix, database_name=database)
    try:
        await wait_healthy(first)
        second = start_service("needs", tmp_path, topic_prefix=topic_prefix, database_name=database)
        deadline = time.monotonic() + 60
        while second.process.alive():
            assert time.monotonic() < deadline, "the second instance kept running"
            await asyncio.sleep(0.5)
        assert "another instance of the needs service" in second.process.log_tail()
        await wait_healthy(first)  # the first one goes on
    finally:
        first.process.stop()
