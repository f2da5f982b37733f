"""Each organisation's inbox order in chunks read by `_id`, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from marketplace_platform import org_order
from marketplace_platform.org_order import (
    CARD_CHUNK,
    CHUNK,
    LATE_LIMIT,
    RECENT,
    OrgOrder,
    cards_of,
    entries_of,
)
from tests.support.infra import unique

pytestmark = pytest.mark.infra

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def entries(n: int, start: int = 0) -> list[tuple[str, datetime]]:
    return [(f"e{i:05d}", T0 + timedelta(seconds=i)) for i in range(start, start + n)]


async def all_pages(index: OrgOrder, org: str, unread_only: bool, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        refs, more = await index.page(org, unread_only=unread_only, after=after, limit=limit)
        out += [r.entry_id for r in refs]
        if not more:
            return out
        after = (refs[-1].created_ts, refs[-1].entry_id)


@pytest.fixture
def index(mongo_client: AsyncMongoClient[dict[str, Any]]) -> OrgOrder:
    return OrgOrder(mongo_client[unique("inbox").replace("-", "_")]["inbox_order"])


async def test_pages_run_newest_first_across_chunks_each_entry_once(index: OrgOrder) -> None:
    total = CHUNK * 2 + 50
    for batch_start in range(0, total, 70):  # batches as the consumer hands them over
        await index.add("karlstad", entries(min(70, total - batch_start), batch_start))
    await index.add("hammaro", entries(3))
    expected = [f"e{i:05d}" for i in reversed(range(total))]
    assert await all_pages(index, "karlstad", False, 20) == expected
    assert await all_pages(index, "karlstad", False, 1000) == expected
    assert await all_pages(index, "hammaro", False, 20) == ["e00002", "e00001", "e00000"]
    assert await all_pages(index, "nobody", False, 20) == []
    chunks = await index.collection.count_documents({})
    # karlstad's three chunks and head, hammaro's one and head, the list of organisations
    assert chunks == 3 + 1 + 1 + 1 + 1


async def test_a_replayed_entry_is_referenced_once_and_a_lost_reference_is_restored(
    index: OrgOrder,
) -> None:
    await index.add("karlstad", entries(CHUNK + 10))
    await index.add("karlstad", entries(5))  # replays of entries now in the first chunk
    await index.add("karlstad", entries(5, CHUNK + 5))  # and in the last one
    listed = await all_pages(index, "karlstad", False, 50)
    assert len(listed) == CHUNK + 10 == len(set(listed))

    # A crash between an entry's write and its reference's: the entry is handled again.
    first = await index.collection.find_one({"_id": "karlstad|0000000"})
    assert first is not None
    first["refs"] = [r for r in first["refs"] if r["i"] != "e00007"]
    await index.collection.replace_one({"_id": first["_id"]}, first)
    assert "e00007" not in await all_pages(index, "karlstad", False, 50)
    await index.add("karlstad", [("e00007", T0 + timedelta(seconds=7))])
    listed = await all_pages(index, "karlstad", False, 50)
    assert listed == [f"e{i:05d}" for i in reversed(range(CHUNK + 10))]  # back in its place


async def test_unread_pages_skip_what_was_read(index: OrgOrder) -> None:
    added = entries(CHUNK + 30)
    await index.add("karlstad", added)
    read = {entry_id for entry_id, _ in added[::3]}
    for entry_id, created_at in added[::3]:
        await index.mark_read("karlstad", entry_id, created_at)
    await index.mark_read("karlstad", "e00000", T0)  # twice is once
    unread = await all_pages(index, "karlstad", True, 20)
    assert unread == [e for e, _ in reversed(added) if e not in read]
    page, more = await index.page("karlstad", unread_only=False, after=None, limit=3)
    assert [(r.entry_id, r.read) for r in page] == [
        (added[-1][0], added[-1][0] in read),
        (added[-2][0], added[-2][0] in read),
        (added[-3][0], added[-3][0] in read),
    ]
    assert more


async def test_pruning_drops_old_read_entries_only_and_keeps_the_filling_chunk(
    index: OrgOrder,
) -> None:
    added = entries(CHUNK * 2 + 10)
    await index.add("karlstad", added)
    await index.add("hammaro", entries(5))
    for entry_id, created_at in added[::2]:  # every other entry read
        await index.mark_read("karlstad", entry_id, created_at)
    await index.mark_read("hammaro", "e00001", T0 + timedelta(seconds=1))
    cutoff = T0 + timedelta(seconds=CHUNK + 50)  # inside the second chunk
    dropped = await index.prune(cutoff)
    expected = {e for e, at in added[::2] if at < cutoff}
    assert set(dropped) == expected  # hammaro's only chunk is still filling: kept whole
    listed = await all_pages(index, "karlstad", False, 100)
    assert set(listed) == {e for e, _ in added} - expected
    assert listed == sorted(listed, reverse=True)
    assert await index.prune(cutoff) == []  # nothing twice
    assert len(await all_pages(index, "hammaro", False, 10)) == 5


async def test_entries_of_one_time_on_both_sides_of_a_chunk_start_page_once_in_order(
    index: OrgOrder,
) -> None:
    same = T0 + timedelta(seconds=CHUNK)  # newer than all before
    await index.add("karlstad", entries(CHUNK - 3))  # the first chunk nearly full
    # One batch handled at one instant, then another at the same millisecond whose ids sort
    # before the first one's: both cross into the second chunk.
    await index.add("karlstad", [(f"m{i:03d}", same) for i in range(10, 20)])
    await index.add("karlstad", [(f"m{i:03d}", same) for i in range(0, 10)])
    everything = await all_pages(index, "karlstad", False, 1000)
    for limit in (1, 2, 3, 7):
        assert await all_pages(index, "karlstad", False, limit) == everything
    assert len(everything) == len(set(everything)) == CHUNK - 3 + 20
    assert everything[:20] == [f"m{i:03d}" for i in reversed(range(20))]


async def test_entries_written_before_the_order_are_referenced_once_with_their_read_state(
    index: OrgOrder,
) -> None:
    inbox = index.collection.database["inbox"]
    await inbox.insert_many(
        [
            {"_id": e, "buyer_org": "karlstad", "created_at": at, "read": n % 2 == 0}
            for n, (e, at) in enumerate(entries(30))
        ]
    )
    for _ in range(2):  # a second start finds the marker and adds nothing
        await index.fill_once(lambda: inbox.find({}), org="buyer_org", read="read")
    assert len(await all_pages(index, "karlstad", False, 7)) == 30
    unread = await all_pages(index, "karlstad", True, 7)
    assert unread == [f"e{i:05d}" for i in reversed(range(30)) if i % 2 == 1]


class CountingReads:
    """The real collection, counting the documents read by `_id` (what a page costs)."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.reads: list[str] = []

    async def find_one(self, query: dict[str, Any], *args: Any, **kw: Any) -> Any:
        self.reads.append(str(query.get("_id")))
        return await self._collection.find_one(query, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


async def test_an_unread_page_reads_only_the_chunks_that_hold_unread_entries(
    index: OrgOrder,
) -> None:
    added = entries(CHUNK * 5)
    # Everything read but two entries of the oldest chunk and one of the newest (one read
    # by mark_read, the others referenced as read, as a backfill does).
    keep_unread = {added[3][0], added[7][0], added[-1][0]}
    await index.add("karlstad", added, read={e for e, _ in added[:-2] if e not in keep_unread})
    await index.mark_read("karlstad", *added[-2])
    counting = CountingReads(index.collection)
    unread = await all_pages(OrgOrder(counting), "karlstad", True, 20)  # type: ignore[arg-type]
    assert unread == [added[-1][0], added[7][0], added[3][0]]
    chunks_read = {r for r in counting.reads if not r.endswith("|head")}
    assert chunks_read == {"karlstad|0000000", "karlstad|0000004"}


async def test_a_head_written_before_unread_counts_gets_them_at_its_next_write(
    index: OrgOrder,
) -> None:
    added = entries(CHUNK + 20)
    await index.add("karlstad", added, read={e for e, _ in added[:CHUNK]})
    # As an older version of the code left it: no counts in the head.
    await index.collection.update_one({"_id": "karlstad|head"}, {"$unset": {"unread": ""}})
    assert len(await all_pages(index, "karlstad", True, 20)) == 20  # walks every chunk
    await index.add("karlstad", entries(1, CHUNK + 20))
    head = await index.collection.find_one({"_id": "karlstad|head"})
    assert head is not None and head["unread"] == [0, 21]
    assert len(await all_pages(index, "karlstad", True, 20)) == 21


def card(entry_id: str, **fields: Any) -> dict[str, Any]:
    return {"_id": entry_id, "title": f"Lösning för {entry_id}", **fields}


@pytest.fixture
def carded(mongo_client: AsyncMongoClient[dict[str, Any]]) -> OrgOrder:
    db = mongo_client[unique("carded").replace("-", "_")]
    return OrgOrder(db["inbox_order"], cards=True)


async def test_a_card_order_pages_its_cards_and_keeps_the_newest_of_each(
    carded: OrgOrder,
) -> None:
    added = entries(CARD_CHUNK * 3 + 4)
    await carded.add("karlstad", added, cards={e: card(e, score=0.1) for e, _ in added})
    first = added[0]
    # A re-ranked match (in the oldest chunk) and a read (in the newest) renew their cards.
    await carded.add("karlstad", [first], cards={first[0]: card(first[0], score=0.9)})
    newest = added[-1]
    await carded.mark_read("karlstad", *newest, card=card(newest[0], score=0.1, read=True))
    pages: list[Any] = []
    after = None
    while True:
        refs, more = await carded.page("karlstad", unread_only=False, after=after, limit=20)
        pages += refs
        if not more:
            break
        after = (refs[-1].created_ts, refs[-1].entry_id)
    assert [r.entry_id for r in pages] == [e for e, _ in reversed(added)]
    by_id = {r.entry_id: r.card for r in pages}
    assert by_id[first[0]] == card(first[0], score=0.9)
    assert by_id[newest[0]] == card(newest[0], score=0.1, read=True)
    assert by_id[added[5][0]] == card(added[5][0], score=0.1)
    chunks = await carded.collection.count_documents({"refs": {"$exists": True}})
    assert chunks == 4  # CARD_CHUNK references each, the last holding four


async def test_a_page_of_cards_reads_no_entries_and_an_older_reference_reads_its_own(
    carded: OrgOrder,
) -> None:
    inbox = CountingReads(carded.collection.database["inbox"])
    stored = [card(e, created_at=at) for e, at in entries(3)]
    await inbox.insert_many(stored)
    older = entries(1, 3)  # referenced before cards were kept
    await inbox.insert_many([card(older[0][0], created_at=older[0][1])])
    await carded.add("karlstad", older)
    await carded.add(
        "karlstad", [(d["_id"], d["created_at"]) for d in stored], cards=cards_of(stored)
    )
    refs, _ = await carded.page("karlstad", unread_only=False, after=None, limit=20)
    docs = await entries_of(inbox, refs)  # type: ignore[arg-type]
    assert [d["_id"] for d in docs] == ["e00003", "e00002", "e00001", "e00000"]
    assert inbox.reads == ["e00003"]


async def test_an_order_filled_without_cards_is_made_again_with_them_once(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("refill").replace("-", "_")]
    inbox = db["inbox"]
    docs = [
        {**card(e), "buyer_org": "karlstad", "created_at": at, "read": n == 0}
        for n, (e, at) in enumerate(entries(CARD_CHUNK * 5))
    ]
    await inbox.insert_many(docs)
    plain = OrgOrder(db["inbox_order"])
    assert await plain.fill_once(lambda: inbox.find({}), org="buyer_org", read="read") == len(docs)
    carded = OrgOrder(db["inbox_order"], cards=True)
    filled = await carded.fill_once(lambda: inbox.find({}), org="buyer_org", read="read", version=2)
    assert filled == len(docs)
    assert (
        await carded.fill_once(lambda: inbox.find({}), org="buyer_org", read="read", version=2) == 0
    )
    refs, _ = await carded.page("karlstad", unread_only=False, after=None, limit=1000)
    assert [r.entry_id for r in refs] == [d["_id"] for d in reversed(docs)]
    assert [r.card["title"] if r.card else None for r in refs] == [
        d["title"] for d in reversed(docs)
    ]
    unread, _ = await carded.page("karlstad", unread_only=True, after=None, limit=1000)
    assert len(unread) == len(docs) - 1
    assert await db["inbox_order"].count_documents({"refs": {"$exists": True}}) == 5


async def test_an_order_an_older_release_marked_filled_is_left_or_made_again_by_version(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("legacy").replace("-", "_")]
    inbox = db["inbox"]
    docs = [
        {**card(e), "buyer_org": "karlstad", "created_at": at, "read": False}
        for e, at in entries(3)
    ]
    await inbox.insert_many(docs)
    # An older release filled it at version 2 and kept its marker in the order itself.
    carded = OrgOrder(db["inbox_order"], cards=True)
    await carded.add("karlstad", [(d["_id"], d["created_at"]) for d in docs[:1]])
    await carded.collection.insert_one({"_id": "|filled", "version": 2})
    filled = await carded.fill_once(lambda: inbox.find({}), org="buyer_org", version=2)
    assert filled == 0
    refs, _ = await carded.page("karlstad", unread_only=False, after=None, limit=20)
    assert [r.entry_id for r in refs] == ["e00000"]  # left as it was
    # One marked filled at the first version (no cards) is made again from the entries.
    other = OrgOrder(db["other_order"], cards=True)
    await other.add("karlstad", [(d["_id"], d["created_at"]) for d in docs[:1]])
    await other.collection.insert_one({"_id": "|filled"})
    assert await other.fill_once(lambda: inbox.find({}), org="buyer_org", version=2) == 3
    refs, _ = await other.page("karlstad", unread_only=False, after=None, limit=20)
    assert [(r.entry_id, r.card is not None) for r in refs] == [
        ("e00002", True),
        ("e00001", True),
        ("e00000", True),
    ]


async def first_page(order: OrgOrder, org: str, *, unread_only: bool = False) -> list[Any]:
    refs, _ = await order.page(org, unread_only=unread_only, after=None, limit=20)
    return refs


async def test_a_first_page_is_the_head_alone_however_many_chunks_the_order_holds(
    carded: OrgOrder,
) -> None:
    # From one entry to a dozen chunks, with the last chunk anywhere from nearly empty to
    # full: the page read most never reads a chunk, and the pages after it continue it.
    for n, org in ((1, "a"), (CARD_CHUNK + 3, "b"), (CARD_CHUNK * 4 - 1, "c"), (300, "d")):
        added = entries(n)
        for batch in (added[i : i + 7] for i in range(0, n, 7)):  # as events arrive
            await carded.add(org, batch, cards={e: card(e) for e, _ in batch})
        counting = CountingReads(carded.collection)
        refs = await first_page(OrgOrder(counting, cards=True), org)  # type: ignore[arg-type]
        assert [r.entry_id for r in refs] == [e for e, _ in reversed(added)][:20]
        assert [r.card for r in refs] == [card(r.entry_id) for r in refs]
        assert counting.reads == [f"{org}|head"]
        assert await all_pages(carded, org, False, 20) == [e for e, _ in reversed(added)]


async def test_the_heads_copies_follow_reads_new_cards_and_pruning(carded: OrgOrder) -> None:
    added = entries(CARD_CHUNK * 2 + 10)  # the newest 25: 10 in the last chunk, 15 before
    await carded.add("karlstad", added, cards={e: card(e) for e, _ in added})
    newest, in_chunk_before = added[-1], added[-12]
    await carded.mark_read("karlstad", *newest, card=card(newest[0], read=True))
    await carded.mark_read("karlstad", *in_chunk_before)
    assert await carded.renew_card("karlstad", added[-2][0], added[-2][1], card("x", score=1))
    refs = await first_page(carded, "karlstad")
    assert refs[0].read and refs[0].card == card(newest[0], read=True)
    assert refs[1].card == card("x", score=1)
    unread = await first_page(carded, "karlstad", unread_only=True)
    assert [r.entry_id for r in unread] == [
        e for e, _ in reversed(added) if e not in {newest[0], in_chunk_before[0]}
    ][:20]
    # Read entries older than the cutoff go, from the chunks and from the head's copies.
    dropped = await carded.prune(in_chunk_before[1] + timedelta(seconds=1))
    assert dropped == [in_chunk_before[0]]
    assert in_chunk_before[0] not in [r.entry_id for r in await first_page(carded, "karlstad")]
    remaining = [e for e, _ in reversed(added) if e != in_chunk_before[0]]
    assert await all_pages(carded, "karlstad", False, 20) == remaining
    # Short after the pruning, the copies are read again from the chunks at the next write.
    await carded.add("karlstad", entries(1, len(added)), cards={"e00060": card("e00060")})
    head = await carded.collection.find_one({"_id": "karlstad|head"})
    assert head is not None
    assert [r["i"] for r in head["recent"]] == ["e00060", *remaining][:RECENT]


async def test_a_head_written_before_copies_were_kept_pages_by_its_chunks_and_gets_them(
    carded: OrgOrder,
) -> None:
    added = entries(CARD_CHUNK * 3 + 2)
    await carded.add("karlstad", added, cards={e: card(e) for e, _ in added})
    # As an older version of the code left it: no copies in the head.
    await carded.collection.update_one(
        {"_id": "karlstad|head"}, {"$unset": {"recent": "", "recent_all": ""}}
    )
    expected = [e for e, _ in reversed(added)]
    assert [r.entry_id for r in await first_page(carded, "karlstad")] == expected[:20]
    await carded.add("karlstad", entries(1, len(added)), cards={"e00077": card("e00077")})
    counting = CountingReads(carded.collection)
    refs = await first_page(OrgOrder(counting, cards=True), "karlstad")  # type: ignore[arg-type]
    assert [r.entry_id for r in refs] == ["e00077", *expected][:20]
    assert counting.reads == ["karlstad|head"]


def arriving_about_in_order() -> list[dict[str, Any]]:
    """Inbox entries of four organisations as a collection returns them: in the order they
    were written, but for every 17th of three of them, which arrives last (written later,
    dated earlier); Kil's arrive in order."""
    sizes = {"karlstad": CARD_CHUNK * 4 + 3, "hammaro": 1, "arvika": CARD_CHUNK + 1}
    docs = [
        {**card(f"{org}-{n:03d}"), "buyer_org": org, "created_at": T0 + timedelta(seconds=n)}
        | {"read": n % 3 == 0}
        for org, size in sizes.items()
        for n in range(size)
    ]
    docs.sort(key=lambda d: d["created_at"])
    kil = [
        {
            **card(f"kil-{n:03d}"),
            "buyer_org": "kil",
            "created_at": T0 + timedelta(days=1, seconds=n),
        }
        | {"read": n % 2 == 0}
        for n in range(CARD_CHUNK + 5)
    ]
    in_order = [d for n, d in enumerate(docs) if n % 17]
    return in_order + kil + [d for n, d in enumerate(docs) if not n % 17]


async def order_as_read(order: OrgOrder, org: str) -> dict[str, Any]:
    counting = CountingReads(order.collection)
    first = await first_page(OrgOrder(counting, cards=True), org)  # type: ignore[arg-type]
    return {
        "all": await all_pages(order, org, False, 7),
        "unread": await all_pages(order, org, True, 20),
        "first": [(r.entry_id, r.read, r.card) for r in first],
        "first page reads": counting.reads,
    }


@pytest.mark.parametrize("late_limit", [LATE_LIMIT, 3], ids=["late-set-aside", "late-overflow"])
async def test_an_empty_order_is_filled_as_adding_each_entry_would_leave_it(
    mongo_client: AsyncMongoClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    late_limit: int,
) -> None:
    # An empty order is built in memory a chunk at a time; one that holds anything already
    # is filled by `add`. Both must read the same, late entries (and too many) included.
    monkeypatch.setattr(org_order, "LATE_LIMIT", late_limit)
    db = mongo_client[unique("fill").replace("-", "_")]
    docs = arriving_about_in_order()
    await db["inbox"].insert_many(docs)
    built = OrgOrder(db["built"], cards=True)
    added = OrgOrder(db["added"], cards=True)
    await added.collection.insert_one({"_id": "|orgs", "orgs": []})  # not empty: by `add`
    for order in (built, added):
        filled = await order.fill_once(
            lambda: db["inbox"].find({}), org="buyer_org", read="read", version=1
        )
        assert filled == len(docs)
    for org in ("karlstad", "hammaro", "arvika", "kil"):
        by_time = sorted((d for d in docs if d["buyer_org"] == org), key=lambda d: d["created_at"])
        read_as_built = await order_as_read(built, org)
        assert read_as_built == await order_as_read(added, org)
        assert read_as_built["all"] == [d["_id"] for d in reversed(by_time)]
        assert read_as_built["unread"] == [d["_id"] for d in reversed(by_time) if not d["read"]]
        assert read_as_built["first page reads"] == [f"{org}|head"]
    registry = await built.collection.find_one({"_id": "|orgs"})
    assert registry is not None and sorted(registry["orgs"]) == [
        "arvika",
        "hammaro",
        "karlstad",
        "kil",
    ]
