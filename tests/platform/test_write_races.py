"""Concurrent writes of one `_id` on the real database: nothing fails, nothing doubles.

Handlers of different topics can record the same thing at once (a need and a
subscription arriving together raise the same alert). On FerretDB two concurrent upserts
of one `_id` make the loser fail (E11000, or a bulk reply pymongo cannot read); the
platform's helpers must absorb that.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from marketplace_contracts.events import CloudEvent
from marketplace_platform.mongo import guarded_update, insert_absent, retry_upsert, upsert_many
from marketplace_platform.outbox import ConcurrentModification, save
from marketplace_platform.runtime import ServiceRuntime
from tests.platform.helpers import need_event, probe_settings, read_all
from tests.support.infra import unique

pytestmark = pytest.mark.infra


async def test_concurrent_upserts_of_one_id_all_succeed(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    collection = mongo_client[unique("race").replace("-", "_")]["docs"]
    ids = [f"doc-{i}" for i in range(20)]

    async def upsert(doc_id: str) -> None:
        # Like two handlers recording one entry from the same event: the same content.
        await retry_upsert(
            lambda: collection.update_one({"_id": doc_id}, {"$set": {"entry": doc_id}}, upsert=True)
        )

    await asyncio.gather(*(upsert(doc_id) for doc_id in ids for _ in range(5)))
    docs = [d async for d in collection.find({})]
    assert sorted(d["_id"] for d in docs) == sorted(ids)
    assert all(d["entry"] == d["_id"] for d in docs)


async def test_concurrent_insert_absent_keeps_the_first_and_names_the_old_ones(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    collection = mongo_client[unique("race").replace("-", "_")]["markers"]
    ids = [f"m-{i}" for i in range(10)]
    writers = 6
    results = await asyncio.gather(
        *(insert_absent(collection, [{"_id": i, "writer": w} for i in ids]) for w in range(writers))
    )
    # Each marker is new for exactly one writer and already there for all the others.
    assert sum(len(existing) for existing in results) == len(ids) * (writers - 1)
    assert all(existing <= set(ids) for existing in results)
    assert await collection.count_documents({}) == len(ids)
    assert await insert_absent(collection, [{"_id": "m-0"}, {"_id": "m-new"}]) == {"m-0"}
    assert await insert_absent(collection, []) == set()


async def test_upsert_many_inserts_new_entries_and_updates_old_ones_keeping_their_state(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    collection = mongo_client[unique("race").replace("-", "_")]["inbox"]
    on_insert = {"read": False, "created_at": "t0"}
    first = await upsert_many(
        collection, [{"_id": "e1", "score": 0.5}, {"_id": "e2", "score": 0.6}], on_insert
    )
    assert sorted((d["_id"], d["score"], d["read"]) for d in first) == [
        ("e1", 0.5, False),
        ("e2", 0.6, False),
    ]
    await collection.update_one({"_id": "e1"}, {"$set": {"read": True}})
    second = await upsert_many(
        collection,
        [{"_id": "e1", "score": 0.7}, {"_id": "e3", "score": 0.1}, {"_id": "e1", "score": 0.8}],
        {"read": False, "created_at": "t1"},
    )
    by_id = {d["_id"]: d for d in second}
    assert set(by_id) == {"e1", "e3"}
    # The old entry got the last score of the batch and kept its read state and creation.
    assert (by_id["e1"]["score"], by_id["e1"]["read"], by_id["e1"]["created_at"]) == (
        0.8,
        True,
        "t0",
    )
    assert (by_id["e3"]["read"], by_id["e3"]["created_at"]) == (False, "t1")
    assert await collection.count_documents({}) == 3


async def test_concurrent_guarded_updates_let_exactly_one_claim_each_document(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    """Like delivery workers claiming queued deliveries: of the claims racing for one
    document, one wins; a claim whose expectation no longer holds changes nothing."""
    collection = mongo_client[unique("race").replace("-", "_")]["deliveries"]
    doc_ids = [f"delivery-{i}" for i in range(20)]
    await collection.insert_many([{"_id": d, "status": "pending"} for d in doc_ids])

    async def claim(doc_id: str, worker: int) -> bool:
        return await guarded_update(
            collection,
            doc_id,
            {"status": "pending", "attempt_count": None},  # None: the field is absent
            {"$set": {"status": "sending", "worker": worker}, "$inc": {"attempt_count": 1}},
        )

    outcomes = await asyncio.gather(*(claim(d, w) for d in doc_ids for w in range(4)))
    assert sum(outcomes) == len(doc_ids)
    docs = [d async for d in collection.find({})]
    assert all((d["status"], d["attempt_count"]) == ("sending", 1) for d in docs)
    assert not await guarded_update(
        collection, "delivery-0", {"status": "pending"}, {"$set": {"status": "lost"}}
    )
    assert not await guarded_update(
        collection, "no-such-delivery", {"status": "pending"}, {"$set": {"status": "lost"}}
    )
    held = await collection.find_one({"_id": "delivery-0"})
    assert held is not None and held["status"] == "sending"


async def test_concurrent_saves_of_one_aggregate_let_exactly_one_win(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    """The optimistic `rev` guard holds for writers in one process, even on FerretDB 1.x,
    whose updates are not atomic by themselves."""
    collection = mongo_client[unique("race").replace("-", "_")]["needs"]
    doc_ids = [f"need-{i}" for i in range(10)]
    for doc_id in doc_ids:
        await save(collection, {"_id": doc_id, "title": "v1"}, [], None)

    async def edit(doc_id: str, writer: int) -> str:
        event = need_event(doc_id, 2)
        try:
            await save(collection, {"_id": doc_id, "title": f"by {writer}"}, [("needs", event)], 1)
            return f"won by {writer}"
        except ConcurrentModification:
            return "refused"

    outcomes = await asyncio.gather(*(edit(d, w) for d in doc_ids for w in range(4)))
    assert sum(o != "refused" for o in outcomes) == len(doc_ids)
    for doc_id in doc_ids:
        doc = await collection.find_one({"_id": doc_id})
        assert doc is not None and doc["rev"] == 2
        assert len(doc["outbox"]) == 1  # the winner's event, nobody else's


async def test_the_relay_never_overwrites_a_save_made_while_it_publishes(
    kafka_bootstrap: str, mongodb_url: str, topic_prefix: str
) -> None:
    """Saves follow each other while the relay publishes and removes earlier entries: every
    state and every event survives."""
    settings = probe_settings(kafka_bootstrap, mongodb_url, topic_prefix)
    runtime = ServiceRuntime(settings, outbox_collections=["needs"])
    await runtime.start()
    collection = runtime.db["needs"]
    rounds = 25
    try:
        await save(collection, {"_id": "need-busy", "title": "v1"}, [], None)
        relays = []
        for version in range(2, rounds + 2):
            event = need_event("need-busy", version)
            await save(
                collection,
                {"_id": "need-busy", "title": f"v{version}"},
                [("needs", event)],
                version - 1,
            )
            relays.append(asyncio.create_task(runtime.relay.publish_pending("needs", "need-busy")))
            await asyncio.sleep(0.002 * (version % 4))
        await asyncio.gather(*relays)
        await runtime.relay.publish_pending("needs", "need-busy")
        doc = await collection.find_one({"_id": "need-busy"})
    finally:
        await runtime.stop()
    assert doc is not None
    assert (doc["rev"], doc["title"], doc["outbox"]) == (rounds + 1, f"v{rounds + 1}", [])
    published = await read_all(kafka_bootstrap, runtime.topics.needs, expected=rounds)
    versions = sorted(
        CloudEvent.model_validate_json(r.value).payload().version  # type: ignore[union-attr]
        for r in published
    )
    assert sorted(set(versions)) == list(range(2, rounds + 2))
