"""PyMongo's async client against the real MongoDB-compatible database."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from tests.support.infra import unique

pytestmark = pytest.mark.infra


async def test_insert_find_update_and_unique_index(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("foundation").replace("-", "_")]
    needs = db["needs"]
    try:
        await needs.create_index("slug", unique=True)
        await needs.insert_one(
            {
                "_id": "n1",
                "slug": "vr-utbildning",
                "title": "VR-utbildning",
                "municipality": "1780",
                "phase": "hypothesis",
            }
        )
        await needs.insert_one(
            {
                "_id": "n2",
                "slug": "digital-ledsagning",
                "title": "Digital ledsagning",
                "municipality": "1780",
                "phase": "validation",
            }
        )

        found = await needs.find_one({"slug": "vr-utbildning"})
        assert found is not None and found["title"] == "VR-utbildning"

        result = await needs.update_one(
            {"_id": "n1", "phase": "hypothesis"}, {"$set": {"phase": "validation"}}
        )
        assert result.modified_count == 1
        # The filter no longer matches: a guarded update changes nothing.
        result = await needs.update_one(
            {"_id": "n1", "phase": "hypothesis"}, {"$set": {"phase": "scaling"}}
        )
        assert result.matched_count == 0
        assert [d["_id"] async for d in needs.find({"phase": "validation"}).sort("_id")] == [
            "n1",
            "n2",
        ]

        with pytest.raises(DuplicateKeyError):
            await needs.insert_one({"_id": "n3", "slug": "vr-utbildning"})
        assert await needs.count_documents({}) == 2
    finally:
        await mongo_client.drop_database(db.name)
