"""The suppliers' service layer on in-memory fakes of its repositories (no Kafka, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from marketplace_contracts.events import AdoptionRecorded
from marketplace_platform.http import Conflict, Forbidden, Invalid, NotFound
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.outbox import ConcurrentModification
from suppliers.adapters.catalogue import solution_state
from suppliers.domain import catalogue as rules
from suppliers.domain import inbox as inbox_rules
from suppliers.domain.errors import RuleViolation
from suppliers.domain.search import SolutionQuery
from suppliers.service.catalogue import Catalogue, solution_query
from suppliers.service.inbox import Inbox
from suppliers.service.subscriptions import RETRIES, Subscriptions
from tests.suppliers.fakes import (
    FakeInbox,
    FakeProfiles,
    FakeRelay,
    FakeSolutions,
    FakeSubscriptions,
)
from tests.suppliers.support import event_of

SOLUTION: dict[str, Any] = {
    "name": "ViroteaED",
    "description": "VR-utbildning för vårdpersonal",
    "cpv_codes": ["80500000-9"],
    "regions": ["17"],
    "maturity": "market-ready",
    "tags": ["digital-inclusion"],
}


@pytest.fixture
def solutions() -> FakeSolutions:
    return FakeSolutions()


@pytest.fixture
def relay() -> FakeRelay:
    return FakeRelay()


@pytest.fixture
def catalogue(solutions: FakeSolutions, relay: FakeRelay) -> Catalogue:
    return Catalogue(FakeProfiles(), solutions, relay, "/suppliers")


async def publish(catalogue: Catalogue, org: str = "acme", **changes: Any) -> dict[str, Any]:
    return await catalogue.publish(org, {**SOLUTION, **changes})


# --- catalogue search ------------------------------------------------------------------------


@pytest.fixture
async def three(catalogue: Catalogue) -> None:
    await publish(catalogue, name="Örnen", regions=["SE"])
    await publish(catalogue, name="Ärlan", cpv_codes=["72000000"], regions=["1780"])
    await publish(catalogue, name="Zebra", regions=["1283"], description="sensorer")
    await publish(catalogue, "other", name="Annan", cpv_codes=["72000000"], regions=["20"])


async def names(catalogue: Catalogue, **filters: Any) -> list[str]:
    return [s["name"] for s in (await catalogue.search(supplier="acme", **filters)).items]


@pytest.mark.usefixtures("three")
async def test_search_filters_and_sorts(catalogue: Catalogue) -> None:
    assert await names(catalogue) == ["Zebra", "Ärlan", "Örnen"]  # Swedish order
    assert await names(catalogue, cpv="805") == ["Zebra", "Örnen"]
    assert await names(catalogue, cpv="80500000-9") == ["Zebra", "Örnen"]
    assert await names(catalogue, cpv="7") == ["Ärlan"]  # one digit: its ten divisions
    assert await names(catalogue, region="1780") == ["Ärlan", "Örnen"]
    assert await names(catalogue, region="17") == ["Ärlan", "Örnen"]  # a municipality in it
    assert await names(catalogue, region="12") == ["Zebra", "Örnen"]
    assert await names(catalogue, region="SE") == ["Zebra", "Ärlan", "Örnen"]
    assert await names(catalogue, q="SENSORER") == ["Zebra"]
    # Zebra serves 1283 but its description lacks "vård"; Örnen serves the whole country
    assert await names(catalogue, q="vård inclusion", cpv="805", region="1283") == ["Örnen"]
    everyone = [s["name"] for s in (await catalogue.search(cpv="72")).items]
    assert everyone == ["Annan", "Ärlan"]
    assert [s["name"] for s in (await catalogue.search(region="SE31")).items] == [
        "Annan",  # Dalarna (20) is in SE31
        "Ärlan",
        "Örnen",
    ]


def test_search_asks_the_listing_by_equality() -> None:
    query = solution_query(cpv="80500000", region="1780", q="vr", supplier="acme")
    assert query == SolutionQuery(
        supplier_org="acme",
        published_only=True,
        cpv_prefixes=("805",),
        regions=("SE", "1780", "17"),
        term_groups=(("vr",),),
    )
    query = solution_query(supplier="", include_retired=True, region="SE")
    assert query == SolutionQuery(supplier_org=None, published_only=False)


async def test_search_lists_retired_only_when_asked(catalogue: Catalogue) -> None:
    sid = (await publish(catalogue))["id"]
    await catalogue.retire("acme", sid)
    assert await names(catalogue) == []
    assert await names(catalogue, include_retired=True) == ["ViroteaED"]


async def test_search_refuses_bad_filters_naming_the_field(catalogue: Catalogue) -> None:
    with pytest.raises(Invalid) as cpv:
        await catalogue.search(cpv="80x")
    assert cpv.value.field == "cpv"
    with pytest.raises(Invalid) as region:
        await catalogue.search(region="99")
    assert region.value.field == "region"


def test_every_saved_solution_stores_its_cpv_prefixes() -> None:
    at = datetime.now(UTC)
    solution = rules.publish("s1", "acme", {**SOLUTION, "cpv_codes": ["80500000", "72000000"]})
    state = solution_state(solution, created_at=at, updated_at=at)
    assert "805" in state["cpv_prefixes"] and "72" in state["cpv_prefixes"]
    assert "7200" in state["cpv_prefixes"] and "806" not in state["cpv_prefixes"]


# --- solution commands -----------------------------------------------------------------------


async def test_lifecycle_writes_versioned_events_with_the_state(
    catalogue: Catalogue, solutions: FakeSolutions, relay: FakeRelay
) -> None:
    created = await publish(catalogue)
    sid = created["id"]
    assert created["version"] == 1 and created["cpv_codes"] == ["80500000"]
    updated = await catalogue.update("acme", sid, {"maturity": "pilot"})
    assert updated["version"] == 2 and updated["created_at"] == created["created_at"]
    with pytest.raises(Forbidden):
        await catalogue.update("other", sid, {"maturity": "pilot"})
    await catalogue.retire("acme", sid)
    with pytest.raises(Conflict):
        await catalogue.update("acme", sid, {"name": "x"})
    with pytest.raises(NotFound):
        await catalogue.get("missing")
    assert [(e.type, e.data["version"]) for _, e in solutions.events] == [
        ("solution.published.v1", 1),
        ("solution.updated.v1", 2),
        ("solution.retired.v1", 3),
    ]
    assert relay.published == [("solutions", sid)] * 3


def adoption(solution_id: str, adoption_id: str = "a1") -> AdoptionRecorded:
    return AdoptionRecorded(
        adoption_id=adoption_id,
        solution_id=solution_id,
        buyer_org="karlstad",
        municipality_code="1780",
        need_id="n1",
        recorded_at=datetime.now(UTC),
        kind="adoption",
    )


async def test_an_adoption_is_recorded_once(catalogue: Catalogue, solutions: FakeSolutions) -> None:
    sid = (await publish(catalogue))["id"]
    first = adoption(sid)
    assert await catalogue.record_adoption(first, event_of(first))
    assert not await catalogue.record_adoption(first, event_of(first))  # a replay
    shown = await catalogue.get(sid)
    assert shown["adoption_count"] == 1 and shown["version"] == 2
    assert [e.type for _, e in solutions.events][-1] == "solution.updated.v1"
    with pytest.raises(LookupError):
        await catalogue.record_adoption(adoption("unknown"), event_of(first))


async def test_a_retired_solution_records_the_deployment_silently(
    catalogue: Catalogue, solutions: FakeSolutions
) -> None:
    sid = (await publish(catalogue))["id"]
    await catalogue.retire("acme", sid)
    events_before = len(solutions.events)
    assert await catalogue.record_adoption(adoption(sid), event_of(adoption(sid)))
    assert (await catalogue.get(sid))["adoption_count"] == 1
    assert len(solutions.events) == events_before  # no solution.updated for matching


# --- subscriptions ---------------------------------------------------------------------------


@pytest.fixture
def subscription_store() -> FakeSubscriptions:
    return FakeSubscriptions()


@pytest.fixture
def subscriptions(subscription_store: FakeSubscriptions, relay: FakeRelay) -> Subscriptions:
    return Subscriptions(subscription_store, relay, "/suppliers")


async def test_a_subscription_is_created_normalised_with_its_event(
    subscriptions: Subscriptions, subscription_store: FakeSubscriptions, relay: FakeRelay
) -> None:
    created = await subscriptions.create(
        "acme", {"cpv_prefixes": ["80500000-9", "805"], "regions": ["SE311"], "keywords": None}
    )
    assert created["cpv_prefixes"] == ["805"] and created["regions"] == ["17"]
    assert created["keywords"] == [] and created["version"] == 1
    [(topic, event)] = subscription_store.events
    assert topic == "subscriptions" and event.type == "subscription.upserted.v1"
    assert relay.published == [("subscriptions", created["id"])]


async def test_a_subscription_needs_a_criterion(subscriptions: Subscriptions) -> None:
    with pytest.raises(RuleViolation) as refused:
        await subscriptions.create("acme", {"cpv_prefixes": [], "regions": None})
    assert refused.value.field == "cpv_prefixes"
    with pytest.raises(RuleViolation) as bad_prefix:
        await subscriptions.create("acme", {"cpv_prefixes": ["8"]})
    assert bad_prefix.value.field == "cpv_prefixes.0"


async def test_subscriptions_are_their_suppliers_own(subscriptions: Subscriptions) -> None:
    first = await subscriptions.create("acme", {"keywords": ["vr"]})
    second = await subscriptions.create("acme", {"phases": ["validation"]})
    theirs = await subscriptions.create("other", {"keywords": ["vr"]})
    assert [s["id"] for s in (await subscriptions.list_for("acme")).items] == [
        first["id"],
        second["id"],
    ]
    with pytest.raises(NotFound):
        await subscriptions.get("acme", theirs["id"])  # existence does not leak
    with pytest.raises(NotFound):
        await subscriptions.delete("acme", theirs["id"])
    await subscriptions.delete("acme", first["id"])
    assert [s["id"] for s in (await subscriptions.list_for("acme")).items] == [second["id"]]
    with pytest.raises(NotFound):
        await subscriptions.get("acme", first["id"])
    with pytest.raises(NotFound):
        await subscriptions.delete("acme", first["id"])


async def test_deleting_emits_the_next_version_and_retries_a_lost_race(
    subscriptions: Subscriptions, subscription_store: FakeSubscriptions
) -> None:
    created = await subscriptions.create("acme", {"keywords": ["vr"]})
    subscription_store.conflicts_to_raise = RETRIES - 1
    await subscriptions.delete("acme", created["id"])
    deleted = subscription_store.events[-1][1]
    assert deleted.type == "subscription.deleted.v1" and deleted.data["version"] == 2

    again = await subscriptions.create("acme", {"keywords": ["vr"]})
    subscription_store.conflicts_to_raise = RETRIES
    with pytest.raises(ConcurrentModification):
        await subscriptions.delete("acme", again["id"])
    assert [s["id"] for s in (await subscriptions.list_for("acme")).items] == [again["id"]]


# --- inbox -----------------------------------------------------------------------------------


async def test_inbox_keeps_read_state_when_an_entry_is_rewritten() -> None:
    inbox = Inbox(FakeInbox(), InboxBroadcaster())
    entry = inbox_rules.webhook_paused(
        "w1", "acme", "https://x.example", 1, "500", datetime.now(UTC)
    )
    stored = await inbox.store(entry, deliver=False)
    assert [e["id"] for e in (await inbox.list_for("acme", unread=True, limit=10)).items] == [
        stored["id"]
    ]
    with pytest.raises(NotFound):
        await inbox.mark_read("other", stored["id"])
    assert (await inbox.mark_read("acme", stored["id"]))["read"] is True
    await inbox.store(entry, deliver=False)  # a replay
    assert (await inbox.list_for("acme", unread=True, limit=10)).items == []
    assert [e["read"] for e in (await inbox.list_for("acme", unread=None, limit=10)).items] == [
        True
    ]
