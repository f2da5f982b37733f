"""The Mongo repositories of the suppliers on the real database: the catalogue search as a
database query, the backfill of `cpv_prefixes` for solutions stored without it, and the
orders every list reads by `_id` (inbox, subscriptions, webhooks, deliveries): their pages,
their pruning and their one-off references of what predates them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from suppliers.adapters.catalogue import MongoSolutions, solution_state
from suppliers.adapters.inbox import MongoInbox
from suppliers.adapters.subscriptions import MongoSubscriptions, subscription_state
from suppliers.adapters.webhooks import MongoDeliveries, MongoWebhooks
from suppliers.domain import catalogue as rules
from suppliers.domain import subscriptions as subscription_rules
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


async def test_the_cpv_prefixes_backfill_scans_once_per_database(db: Any) -> None:
    at = datetime.now(UTC)
    solutions = MongoSolutions(db)
    await solutions.ensure_indexes()  # a new database: nothing to fill, the marker is set
    assert await db["_one_off_jobs"].find_one({"_id": "solutions.cpv_prefixes"}) is not None
    legacy = solution_state(rules.publish("late", "acme", FIELDS), created_at=at, updated_at=at)
    del legacy["cpv_prefixes"]
    await db["solutions"].insert_one({**legacy, "rev": 1, "outbox": []})
    await solutions.ensure_indexes()  # a later start reads the marker and scans nothing
    stored = await db["solutions"].find_one({"_id": "late"})
    assert stored is not None and "cpv_prefixes" not in stored


async def test_inbox_pages_newest_first_and_marks_read_by_id(db: Any) -> None:
    inbox = MongoInbox(db)
    first = datetime(2024, 1, 1, tzinfo=UTC)
    later = datetime(2024, 1, 2, tzinfo=UTC)
    entry = {"supplier_org": "acme", "kind": "match.found"}
    await inbox.store_many([{**entry, "_id": "a"}, {**entry, "_id": "b"}], first)
    await inbox.store_many(
        [{**entry, "_id": "c"}, {**entry, "_id": "x", "supplier_org": "o"}], later
    )
    page, _ = await inbox.page_for("acme", unread=None, after=None, limit=2)
    assert [d["_id"] for d in page] == ["c", "b"]
    assert await inbox.mark_read("o", "a", later) is None  # another organisation's entry
    read = await inbox.mark_read("acme", "a", later)
    assert read is not None and read["read"] is True
    unread, _ = await inbox.page_for("acme", unread=True, after=None, limit=10)
    assert [d["_id"] for d in unread] == ["c", "b"]
    was_read, _ = await inbox.page_for("acme", unread=False, after=None, limit=10)
    assert [d["_id"] for d in was_read] == ["a"]


# --- the orders that every list reads by `_id` -----------------------------------------------


def alert_entry(i: int, org: str = "acme") -> dict[str, Any]:
    return {"_id": f"e{i:04d}", "supplier_org": org, "kind": "alert.raised", "event_id": f"v{i}"}


async def all_pages(read: Any, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        docs, after = await read(after, limit)
        assert len(docs) <= limit
        out += [d["_id"] for d in docs]
        if after is None:
            return out


async def test_inbox_pages_by_key_across_chunks_and_prunes_what_was_read_long_ago(db: Any) -> None:
    inbox = MongoInbox(db)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    for batch in range(5):  # 450 entries: three chunks of the order
        entries = [alert_entry(i) for i in range(batch * 90, (batch + 1) * 90)]
        await inbox.store_many(entries, t0 + timedelta(days=batch))
    await inbox.store_many([alert_entry(9999, "other")], t0)
    read = {f"e{i:04d}" for i in range(0, 450, 4)} | {"e0000", "e0200"}
    for entry_id in sorted(read):
        assert await inbox.mark_read("acme", entry_id, t0) is not None
    # Entries stored together are created a millisecond apart, in the order given.
    newest_first = [f"e{i:04d}" for i in reversed(range(450))]
    for unread, wanted in [
        (None, newest_first),
        (True, [e for e in newest_first if e not in read]),
        (False, [e for e in newest_first if e in read]),
    ]:
        for limit in (7, 100, 500):

            async def page(after: Any, limit: int, unread: bool | None = unread) -> Any:
                return await inbox.page_for("acme", unread=unread, after=after, limit=limit)

            assert await all_pages(page, limit) == wanted, (unread, limit)

    # Read and created before the cutoff (the first two batches, in the chunks before the
    # last one) go; unread ones and newer ones stay.
    pruned = await inbox.prune_read(t0 + timedelta(days=1, hours=12))
    gone = {e for e in read if int(e[1:]) < 180}
    assert pruned == len(gone)
    assert {e for e in gone if await inbox.collection.find_one({"_id": e})} == set()

    async def everything(after: Any, limit: int) -> Any:
        return await inbox.page_for("acme", unread=None, after=after, limit=limit)

    assert await all_pages(everything, 50) == [e for e in newest_first if e not in gone]
    assert await inbox.prune_read(t0 + timedelta(days=1, hours=12)) == 0


async def test_an_inbox_that_predates_the_order_is_referenced_once(db: Any) -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    await db["inbox"].insert_many(
        [
            {**alert_entry(1), "created_at": at, "read": True},
            {**alert_entry(2), "created_at": at + timedelta(hours=1), "read": False},
        ]
    )
    inbox = MongoInbox(db)
    assert await inbox.backfill() == 2
    assert await inbox.backfill() == 0  # once
    docs, _ = await inbox.page_for("acme", unread=None, after=None, limit=10)
    assert [d["_id"] for d in docs] == ["e0002", "e0001"]
    unread, _ = await inbox.page_for("acme", unread=True, after=None, limit=10)
    assert [d["_id"] for d in unread] == ["e0002"]


async def test_subscriptions_of_a_supplier_are_its_document(db: Any) -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    legacy = subscription_rules.subscribe("old", "acme", keywords=["vr"])
    await db["subscriptions"].insert_one(
        {**subscription_state(legacy, created_at=at, updated_at=at), "rev": 1, "outbox": []}
    )
    repo = MongoSubscriptions(db)
    assert await repo.backfill() == 1 and await repo.backfill() == 0
    for i in range(4):
        subscription = subscription_rules.subscribe(f"new{i}", "acme", phases=["validation"])
        await repo.save(subscription, [], previous=None, at=at + timedelta(minutes=i + 1))
    other = subscription_rules.subscribe("theirs", "other", keywords=["x"])
    await repo.save(other, [], previous=None, at=at)
    assert await repo.count_of("acme") == 5

    async def page(after: Any, limit: int) -> Any:
        found, after = await repo.page_of("acme", after=after, limit=limit)
        return [{"_id": s.subscription.subscription_id} for s in found], after

    assert await all_pages(page, 2) == ["old", "new0", "new1", "new2", "new3"]
    stored = await repo.get("new1")
    assert stored is not None
    await repo.save(subscription_rules.delete(stored.subscription), [], previous=stored, at=at)
    assert await all_pages(page, 10) == ["old", "new0", "new2", "new3"]
    assert await repo.count_of("acme") == 4


async def test_a_page_of_subscriptions_is_the_suppliers_document_alone(db: Any) -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    repo = MongoSubscriptions(db)
    await repo.backfill()
    for i in range(3):
        subscription = subscription_rules.subscribe(f"s{i}", "acme", keywords=[f"ord{i}"])
        await repo.save(subscription, [], previous=None, at=at + timedelta(minutes=i))
    await db["subscriptions"].drop()  # a page must not need them: the cards hold them

    found, after = await repo.page_of("acme", after=None, limit=10)
    assert after is None
    assert [(s.subscription.subscription_id, s.subscription.keywords) for s in found] == [
        ("s0", ["ord0"]),
        ("s1", ["ord1"]),
        ("s2", ["ord2"]),
    ]
    assert [s.created_at for s in found] == [at + timedelta(minutes=i) for i in range(3)]


async def test_a_database_an_older_release_filled_without_cards_is_filled_again_once(
    db: Any,
) -> None:
    """Such a release kept its marker ("|backfilled") among the per-supplier documents, and
    references without cards; the documents are made again once, with cards."""
    at = datetime(2024, 5, 1, tzinfo=UTC)
    missed = subscription_rules.subscribe("missed", "acme", keywords=["vr"])
    await db["subscriptions"].insert_one(
        {**subscription_state(missed, created_at=at, updated_at=at), "rev": 1, "outbox": []}
    )
    await db["subscriptions_of"].insert_one({"_id": "|backfilled", "at": at})
    await db["subscriptions_of"].insert_one({"_id": "acme", "items": []})
    repo = MongoSubscriptions(db)
    assert await repo.backfill() == 1 and await repo.backfill() == 0
    assert await repo.count_of("acme") == 1
    assert await db["_one_off_jobs"].find_one({"_id": "subscriptions_of.filled.v2"}) is not None
    await db["subscriptions"].drop()
    found, _ = await repo.page_of("acme", after=None, limit=10)
    assert [s.subscription.keywords for s in found] == [["vr"]]


def webhook(hook_id: str, org: str = "acme", **changes: Any) -> dict[str, Any]:
    return {
        "_id": hook_id,
        "supplier_org": org,
        "url": f"https://hooks.example.se/{hook_id}",
        "secret": "0123456789abcdef",
        "status": "active",
        "consecutive_failures": 0,
        "pause_count": 0,
        "created_at": datetime(2024, 5, 1, tzinfo=UTC),
        **changes,
    }


async def test_webhooks_of_a_supplier_are_its_document(db: Any) -> None:
    await db["webhooks"].insert_one(webhook("legacy"))
    repo = MongoWebhooks(db)
    assert await repo.backfill() == 1 and await repo.backfill() == 0
    later = datetime(2024, 6, 1, tzinfo=UTC)
    await repo.add(webhook("w2", created_at=later))
    await repo.add(webhook("w3", "other", created_at=later))
    assert [h["_id"] for h in await repo.of_org("acme")] == ["legacy", "w2"]
    assert await repo.count_of("acme") == 2
    assert sorted(h["_id"] for h in await repo.of_orgs(["acme", "other", "none"])) == [
        "legacy",
        "w2",
        "w3",
    ]
    await repo.delete("acme", "legacy")
    assert [h["_id"] for h in await repo.of_org("acme")] == ["w2"]
    assert await repo.get("legacy") is None


def delivery(i: int, at: datetime, hook_id: str = "w1", **changes: Any) -> dict[str, Any]:
    return {
        "_id": f"d{i:04d}",
        "webhook_id": hook_id,
        "supplier_org": "acme",
        "entry_id": f"e{i}",
        "event_id": f"v{i}",
        "kind": "alert.raised",
        "body": "{}",
        "status": "pending",
        "attempt_count": 0,
        "attempt_limit": 3,
        "attempts": [],
        "next_attempt_at": at,
        "created_at": at,
        **changes,
    }


async def test_deliveries_page_per_webhook_and_only_done_ones_are_pruned(db: Any) -> None:
    repo = MongoDeliveries(db)
    t0 = datetime(2024, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
    for start in range(0, 450, 150):
        await repo.add_absent(
            [delivery(i, t0 + timedelta(hours=i)) for i in range(start, start + 150)]
        )
    await repo.add_absent([delivery(9000, t0, "w2")])
    await repo.add_absent([delivery(5, t0 + timedelta(days=99))])  # a replay: same id, later

    async def page(after: Any, limit: int) -> Any:
        return await repo.of_webhook("w1", after=after, limit=limit)

    newest_first = [f"d{i:04d}" for i in reversed(range(450))]
    assert await all_pages(page, 40) == newest_first

    # Claimed and finished as the worker does: delivered or failed; d0001 stays pending.
    for i in range(0, 300):
        if i == 1:
            continue
        doc = await repo.collection.find_one({"_id": f"d{i:04d}"})
        assert doc is not None and await repo.claim(doc, t0)
        status = "failed" if i == 2 else "delivered"
        await repo.finish(doc, {"status": status}, {"attempt": 1, "at": t0})
    await repo.hold_pending("w1")
    held = await repo.collection.find_one({"_id": "d0001"})
    assert held is not None and held["status"] == "held"

    pruned = await repo.prune_done(t0 + timedelta(hours=250))
    kept = {"d0001", "d0002"}  # held and failed: a resume sends them again
    assert pruned == 250 - len(kept)
    assert await all_pages(page, 100) == [d for d in newest_first if int(d[1:]) >= 250 or d in kept]
    await repo.reopen_stopped("w1", t0, 3)
    reopened = [await repo.collection.find_one({"_id": d}) for d in sorted(kept)]
    assert [d["status"] for d in reopened if d] == ["pending", "pending"]

    await repo.cancel_open("w1")  # the webhook was deleted
    cancelled = await repo.collection.find_one({"_id": "d0400"})
    assert cancelled is not None and cancelled["status"] == "cancelled"
    assert await repo.prune_done(t0 + timedelta(days=365)) > 0
    assert await all_pages(page, 100) == [f"d{i:04d}" for i in reversed(range(400, 450))]
    assert [d["_id"] for d in (await repo.of_webhook("w2", after=None, limit=5))[0]] == ["d9000"]


async def test_deliveries_that_predate_the_order_are_referenced_once(db: Any) -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    await db["webhook_deliveries"].insert_many(
        [delivery(1, at, status="delivered"), delivery(2, at + timedelta(hours=1))]
    )
    repo = MongoDeliveries(db)
    assert await repo.backfill() == 2 and await repo.backfill() == 0
    docs, _ = await repo.of_webhook("w1", after=None, limit=10)
    assert [d["_id"] for d in docs] == ["d0002", "d0001"]
    # The delivered one is done: pruned once the last chunk is not its own (CHUNK later).
    assert await repo.prune_done(at + timedelta(days=1)) == 0
