"""The Mongo repositories of the suppliers on the real database: the catalogue search as a
database query, and the backfill of `cpv_prefixes` for solutions stored without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from suppliers.adapters.catalogue import MongoSolutions, solution_state
from suppliers.adapters.inbox import MongoInbox
from suppliers.domain import catalogue as rules
from suppliers.domain.search import SolutionQuery, cpv_search_prefixes, regions_serving
from tests.support.infra import unique

pytestmark = pytest.mark.infra

FIELDS: dict[str, Any] = {
    "name": "ViroteaED",
    "description": "VR-utbildning för vårdpersonal",
    "cpv_codes": ["80500000"],
    "regions": ["17"],
    "maturity": "market-ready",
}


@pytest.fixture
async def db(mongo_client: Any) -> AsyncIterator[Any]:
    name = unique("suprepo").replace("-", "_")
    yield mongo_client[name]
    await mongo_client.drop_database(name)


async def test_search_is_answered_by_the_database(db: Any) -> None:
    solutions = MongoSolutions(db)
    await solutions.ensure_indexes()
    at = datetime.now(UTC)
    for sid, org, changes in [
        ("s1", "acme", {"regions": ["SE"]}),
        ("s2", "acme", {"cpv_codes": ["72000000"], "regions": ["1780"]}),
        ("s3", "other", {"regions": ["1283"]}),
    ]:
        solution = rules.publish(sid, org, {**FIELDS, **changes})
        await solutions.save(solution, [], previous=None, at=at)

    async def ids(**query: Any) -> list[str]:
        found = await solutions.search(SolutionQuery(**query))
        return sorted(s.solution.solution_id for s in found)

    assert await ids() == ["s1", "s2", "s3"]
    assert await ids(supplier_org="acme") == ["s1", "s2"]
    assert await ids(cpv_prefixes=cpv_search_prefixes("805")) == ["s1", "s3"]
    assert await ids(cpv_prefixes=cpv_search_prefixes("7")) == ["s2"]
    assert await ids(regions=regions_serving("1780")) == ["s1", "s2"]
    assert await ids(regions=regions_serving("12"), cpv_prefixes=("805",)) == ["s1", "s3"]

    stored = await solutions.get("s1")
    assert stored is not None
    retired = rules.retire(stored.solution)
    await solutions.save(retired, [], previous=stored, at=at)
    assert await ids(supplier_org="acme") == ["s2"]
    assert await ids(supplier_org="acme", published_only=False) == ["s1", "s2"]


async def test_solutions_stored_without_cpv_prefixes_are_backfilled(db: Any) -> None:
    at = datetime.now(UTC)
    legacy = solution_state(rules.publish("old", "acme", FIELDS), created_at=at, updated_at=at)
    del legacy["cpv_prefixes"]  # as written before the search used it
    await db["solutions"].insert_one({**legacy, "rev": 3, "outbox": []})
    solutions = MongoSolutions(db)
    assert await solutions.search(SolutionQuery(cpv_prefixes=("805",))) == []

    await solutions.ensure_indexes()
    [found] = await solutions.search(SolutionQuery(cpv_prefixes=("805",)))
    assert found.solution.solution_id == "old" and found.rev == 3  # the state is unchanged
    assert await solutions.backfill_cpv_prefixes() == 0  # once


async def test_inbox_pages_newest_first_and_marks_read_by_id(db: Any) -> None:
    inbox = MongoInbox(db)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    entry = {"supplier_org": "acme", "kind": "match.found"}
    await inbox.store_many([{**entry, "_id": "a"}, {**entry, "_id": "b"}], first)
    await inbox.store_many(
        [{**entry, "_id": "c"}, {**entry, "_id": "x", "supplier_org": "o"}], later
    )
    page = await inbox.page_for("acme", unread=None, limit=2)
    assert [d["_id"] for d in page] == ["c", "b"]
    assert await inbox.mark_read("o", "a", later) is None  # another organisation's entry
    read = await inbox.mark_read("acme", "a", later)
    assert read is not None and read["read"] is True
    assert [d["_id"] for d in await inbox.page_for("acme", unread=True, limit=10)] == ["c", "b"]
    assert [d["_id"] for d in await inbox.page_for("acme", unread=False, limit=10)] == ["a"]
