"""The scale benchmark's seed writes its documents through the services' own repositories
(`bench.scale_writer`); a repository that calls something the seed's stand-ins lack breaks
`make bench` on a machine without a cached seed, so a tiny size is seeded here for real."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from bench.scale_plan import Plan
from bench.scale_seed import new_marker
from bench.scale_store import Databases, builders_fingerprint, storage
from bench.scale_writer import write_documents

TINY = 40


async def test_a_tiny_size_is_seeded_through_the_repositories(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    dbs = Databases(mongo_client, TINY)
    await dbs.drop_all()
    marker = new_marker(TINY, builders_fingerprint(storage()))
    try:
        await write_documents(dbs, marker, ["needs", "suppliers"], lambda _line: None)

        plan = Plan(TINY)
        assert await dbs["needs"]["needs"].count_documents({}) == plan.needs
        assert await dbs["suppliers"]["solutions"].count_documents({}) == plan.solutions
        assert await dbs["suppliers"]["subscriptions"].count_documents({}) == plan.subscriptions
        buyer_entries = await dbs["needs"]["inbox"].count_documents({})
        supplier_entries = await dbs["suppliers"]["inbox"].count_documents({})
        assert buyer_entries > 0 and supplier_entries > 0
        assert marker["databases"]["needs"]["done"] and marker["databases"]["suppliers"]["done"]
        assert await dbs["seed"]["topics"].count_documents({"topic": "needs"}) > 0
    finally:
        await dbs.drop_all()
