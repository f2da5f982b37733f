"""What matching remembers of the scaling opportunities it told, on the real database."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from matching.adapters.store import MatchingStore
from tests.support.infra import unique

pytestmark = pytest.mark.infra


async def test_buyers_told_at_once_are_remembered_after_a_restart_with_the_highest_count(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    name = f"{unique('t')}_matching"
    db = mongo_client[name]
    try:
        # A marker written before markers were insert-only: its key is its _id.
        await db["scaling_notified"].insert_one({"_id": "old-buyer/sol", "adoption_count": 4})
        store = MatchingStore(db)
        await store.load()
        assert await store.notified_count("old-buyer", "sol") == 4

        buyers = [f"buyer-{i}" for i in range(200)]
        await store.record_notified_many("sol", buyers, 2)
        await store.record_notified_many("sol", buyers[:10], 3)
        await store.record_notified_many("sol", buyers[:10], 2)  # late, smaller: ignored
        await store.record_notified_many("sol", buyers[:10], 3)  # redelivered: no error
        await store.record_notified_many("sol", ["old-buyer"], 1)

        restarted = MatchingStore(db)
        await restarted.load()
        assert await restarted.notified_count("buyer-0", "sol") == 3
        assert await restarted.notified_count("buyer-150", "sol") == 2
        assert await restarted.notified_count("old-buyer", "sol") == 4
        assert await restarted.notified_count("buyer-0", "other") == 0
        assert await db["scaling_notified"].count_documents({}) == 1 + 200 + 10 + 1
    finally:
        await mongo_client.drop_database(name)
