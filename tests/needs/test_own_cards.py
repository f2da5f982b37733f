"""A buyer's own needs come with their cards from the buyer's order, on the real database:
a page of them reads no need, a change renews the card once it is saved, and a database
whose order predates cards gets them once at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from marketplace_contracts.text.summary import summary_of
from needs.adapters.repository import NeedsRepository, need_to_doc
from needs.domain.model import Need
from tests.support.infra import unique

pytestmark = pytest.mark.infra

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PROBLEM = "Personalen inom hemtjänsten behöver öva bemötande vid demens, även nattetid."


def draft(i: int) -> Need:
    return Need.draft(
        buyer_org="karlstad",
        by="anna",
        now=NOW + timedelta(minutes=i),
        title=f"Träning för vårdpersonal {i}",
        problem=PROBLEM,
        cpv_codes=["80500000-9"],
        municipality_code="1780",
    )


async def test_a_change_renews_the_card_a_page_of_own_needs_shows(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("own").replace("-", "_")]
    needs = NeedsRepository(db, "/tests")
    await needs.ensure_indexes()
    drafts = [draft(i) for i in range(3)]
    for need in drafts:
        await needs.save(need, None)

    refs, _ = await needs.own_refs("karlstad", after=None, limit=10)
    cards = needs.cards_in(refs)
    assert [r.entry_id for r in refs] == [n.id for n in reversed(drafts)]
    assert set(cards) == {n.id for n in drafts}
    card = cards[drafts[0].id]
    assert (card.title, card.summary, card.status) == (
        "Träning för vårdpersonal 0",
        PROBLEM,
        "draft",
    )
    assert card.cpv_codes == ("80500000",) and card.municipality_code == "1780"

    changed, rev = drafts[0], 1
    changed.publish(org="karlstad", by="anna", now=NOW + timedelta(hours=1))
    await needs.save(changed, rev)
    refs, _ = await needs.own_refs("karlstad", after=None, limit=10)
    card = needs.cards_in(refs)[changed.id]
    assert (card.status, card.version) == ("published", changed.version)
    assert card.published_at == NOW + timedelta(hours=1)
    assert len(refs) == 3  # renewed in place, not referenced twice


async def test_an_order_that_predates_cards_gets_them_once_at_start(
    mongo_client: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo_client[unique("own").replace("-", "_")]
    long_problem = " ".join([PROBLEM] * 10)
    legacy = [draft(i) for i in range(4)]
    legacy[1].problem = long_problem
    # Needs as an earlier release stored them, with an order of references and no cards.
    await db["needs"].insert_many([{**need_to_doc(n), "rev": 1, "outbox": []} for n in legacy])
    await db["own_needs_order"].insert_many(
        [
            {"_id": "karlstad|head", "last": 0, "firsts": [NOW.timestamp()], "unread": [0]},
            {"_id": "karlstad|0000000", "refs": [{"i": legacy[0].id, "t": 0.0, "r": False}]},
        ]
    )
    await db["_one_off_jobs"].insert_one({"_id": "own_needs_order.filled", "done": True})

    needs = NeedsRepository(db, "/tests")
    await needs.ensure_indexes()
    refs, more = await needs.own_refs("karlstad", after=None, limit=10)
    cards = needs.cards_in(refs)
    assert not more and [r.entry_id for r in refs] == [n.id for n in reversed(legacy)]
    assert set(cards) == {n.id for n in legacy}
    assert cards[legacy[1].id].summary == summary_of(long_problem) != long_problem

    await NeedsRepository(db, "/tests").ensure_indexes()  # once: a second start adds nothing
    again, _ = await needs.own_refs("karlstad", after=None, limit=10)
    assert [r.entry_id for r in again] == [r.entry_id for r in refs]
