"""The matching engine (`MatchingEngine`) on a fake store and a publisher that captures what
it sends: what it emits for each kind of event, and its "once" promises (no Kafka, no
database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from marketplace_contracts import events as ev
from marketplace_contracts.events import CloudEvent, deterministic_id, envelope
from marketplace_platform.runtime import BatchItem
from matching.domain.scoring import ScoringWeights
from matching.service.engine import MatchingEngine

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class FakeStore:
    """`MatchingStore`'s promises in memory: markers inserted if absent, counts only rise."""

    def __init__(self) -> None:
        self.matches: dict[str, tuple[str, str, float]] = {}
        self.alerts: dict[str, tuple[str, str]] = {}
        self.notified: dict[str, int] = {}

    async def match_emitted(self, match_id: str) -> bool:
        return match_id in self.matches

    async def record_match(
        self, match_id: str, need_id: str, solution_id: str, score: float
    ) -> None:
        await self.record_matches([(match_id, need_id, solution_id, score)])

    async def record_matches(self, matches: list[tuple[str, str, str, float]]) -> None:
        for match_id, need_id, solution_id, score in matches:
            self.matches.setdefault(match_id, (need_id, solution_id, score))

    async def alerts_emitted(self, alert_ids: list[str]) -> set[str]:
        return {a for a in alert_ids if a in self.alerts}

    async def record_alerts(self, alerts: list[tuple[str, str, str]]) -> None:
        for alert_id, subscription_id, need_id in alerts:
            self.alerts.setdefault(alert_id, (subscription_id, need_id))

    async def notified_count(self, buyer_org: str, solution_id: str) -> int:
        return self.notified.get(f"{buyer_org}/{solution_id}", 0)

    async def record_notified_many(
        self, solution_id: str, buyer_orgs: list[str], count: int
    ) -> None:
        for org in buyer_orgs:
            key = f"{org}/{solution_id}"
            self.notified[key] = max(count, self.notified.get(key, 0))


class CapturingPublisher:
    """`EventPublisher`: every event sent, acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, CloudEvent]] = []

    async def publish(self, logical_topic: str, event: CloudEvent) -> None:
        self.sent.append((logical_topic, event))

    async def enqueue(self, events: list[tuple[str, CloudEvent]]) -> list[Any]:
        acks = []
        for topic, event in events:
            self.sent.append((topic, event))
            ack = asyncio.get_running_loop().create_future()
            ack.set_result(None)
            acks.append(ack)
        return acks

    def take(self) -> list[tuple[str, CloudEvent]]:
        sent, self.sent = self.sent, []
        return sent


@pytest.fixture
def publisher() -> CapturingPublisher:
    return CapturingPublisher()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def engine(publisher: CapturingPublisher, store: FakeStore) -> MatchingEngine:
    return MatchingEngine(ScoringWeights(), publisher, store, source="/matching")  # type: ignore[arg-type]


def need(need_id: str, buyer: str, municipality: str, version: int = 1, **kw: Any) -> ev.Payload:
    cls = ev.NeedPublished if version == 1 else ev.NeedUpdated
    fields: dict[str, Any] = {
        "need_id": need_id,
        "version": version,
        "buyer_org": buyer,
        "title": "VR-utbildning för vårdpersonal",
        "problem": "Vårdpersonalen behöver träna bemötande av personer med demens i VR.",
        "cpv_codes": ["80500000"],
        "municipality_code": municipality,
        "phase": "validation",
        "published_at": NOW,
    }
    return cls(**{**fields, **kw})


def solution(version: int = 1) -> ev.Payload:
    cls = ev.SolutionPublished if version == 1 else ev.SolutionUpdated
    return cls(
        solution_id="s-virotea",
        version=version,
        supplier_org="virotea",
        name="ViroteaED",
        description="VR-utbildning för vårdpersonal: träna bemötande vid demens i VR.",
        cpv_codes=["80500000"],
        regions=["SE"],
        maturity="market-ready",
    )


def adoption(adoption_id: str, buyer: str, municipality: str, need_id: str) -> ev.Payload:
    return ev.AdoptionRecorded(
        adoption_id=adoption_id,
        solution_id="s-virotea",
        buyer_org=buyer,
        municipality_code=municipality,
        need_id=need_id,
        kind="implementation",
        recorded_at=NOW,
    )


async def deliver(engine: MatchingEngine, payload: ev.Payload) -> None:
    """As the subscribers do: the read model sees the record, then the work handler."""
    event = envelope(payload, source="/test")
    await engine.apply(event)
    if isinstance(payload, ev.NeedState):
        await engine.on_need_batch([BatchItem(payload, event, {})])
    elif isinstance(payload, ev.SolutionState):
        await engine.on_solution(payload, event)
    elif isinstance(payload, ev.SubscriptionUpserted):
        await engine.on_subscription(payload, event)
    elif isinstance(payload, ev.AdoptionRecorded):
        await engine.on_adoption(payload, event)


def of_type(sent: list[tuple[str, CloudEvent]], type_: str) -> list[tuple[str, CloudEvent]]:
    return [(t, e) for t, e in sent if e.type == type_]


def opportunities(sent: list[tuple[str, CloudEvent]]) -> dict[str, ev.ScalingOpportunity]:
    """The scaling opportunities sent (on their topic), by the buyer told."""
    out: dict[str, ev.ScalingOpportunity] = {}
    for topic, event in of_type(sent, "scaling.opportunity.v1"):
        payload = event.payload()
        assert topic == "scaling" and isinstance(payload, ev.ScalingOpportunity)
        assert event.id == deterministic_id(
            "scaling.opportunity", payload.opportunity_id, str(payload.adoption_count)
        )
        out[payload.buyer_org] = payload
    return out


async def test_a_need_after_a_fitting_solution_yields_one_match_with_deterministic_ids(
    engine: MatchingEngine, publisher: CapturingPublisher, store: FakeStore
) -> None:
    await deliver(engine, solution())
    assert publisher.take() == []  # no needs yet

    await deliver(engine, need("n-karlstad", "karlstad", "1780"))
    sent = publisher.take()
    assert [(t, e.type) for t, e in sent] == [("matches", "match.found.v1")]
    found = sent[0][1].payload()
    assert isinstance(found, ev.MatchFound)
    match_id = deterministic_id("n-karlstad", "s-virotea")
    assert (found.match_id, found.buyer_org, found.supplier_org) == (
        match_id,
        "karlstad",
        "virotea",
    )
    assert sent[0][1].id == deterministic_id("match.found", match_id, "1", "1")
    assert found.reasons and 0 < found.score <= 1
    assert set(store.matches) == {match_id}

    await deliver(engine, need("n-karlstad", "karlstad", "1780"))  # a redelivery
    assert [e.id for _, e in publisher.take()] == [sent[0][1].id]  # the same event again


async def test_a_solution_after_the_need_is_announced_once_not_on_its_updates(
    engine: MatchingEngine, publisher: CapturingPublisher
) -> None:
    await deliver(engine, need("n-karlstad", "karlstad", "1780"))
    assert publisher.take() == []

    await deliver(engine, solution())
    sent = publisher.take()
    assert [e.type for _, e in sent] == ["match.found.v1"]
    found = sent[0][1].payload()
    assert isinstance(found, ev.MatchFound) and found.need_id == "n-karlstad"

    await deliver(engine, solution(version=2))  # new pairs only
    assert publisher.take() == []


async def test_an_alert_is_raised_once_per_subscription_and_need(
    engine: MatchingEngine, publisher: CapturingPublisher
) -> None:
    subscription = ev.SubscriptionUpserted(
        subscription_id="sub-1", version=1, supplier_org="virotea", cpv_prefixes=["805"]
    )
    await deliver(engine, subscription)
    await deliver(engine, need("n-karlstad", "karlstad", "1780"))
    alerts = of_type(publisher.take(), "alert.raised.v1")
    assert len(alerts) == 1
    topic, event = alerts[0]
    alert = event.payload()
    alert_id = deterministic_id("sub-1", "n-karlstad")
    assert isinstance(alert, ev.AlertRaised)
    assert (topic, alert.alert_id, alert.supplier_org) == ("alerts", alert_id, "virotea")
    assert event.id == deterministic_id("alert.raised", alert_id)

    await deliver(engine, need("n-karlstad", "karlstad", "1780", version=2, title="VR i vården"))
    await deliver(engine, subscription.model_copy(update={"version": 2, "keywords": []}))
    assert of_type(publisher.take(), "alert.raised.v1") == []

    await deliver(engine, need("n-arvika", "arvika", "1784"))  # another need: its own alert
    assert len(of_type(publisher.take(), "alert.raised.v1")) == 1


async def test_a_scaling_opportunity_goes_out_only_when_the_adoption_count_grew(
    engine: MatchingEngine, publisher: CapturingPublisher
) -> None:
    await deliver(engine, solution())
    for need_id, buyer, municipality in (
        ("n-karlstad", "karlstad", "1780"),
        ("n-arvika", "arvika", "1784"),
        ("n-hammaro", "hammaro", "1761"),
    ):
        await deliver(engine, need(need_id, buyer, municipality))
    publisher.take()

    await deliver(engine, adoption("a-1", "karlstad", "1780", "n-karlstad"))
    first = opportunities(publisher.take())
    assert set(first) == {"arvika", "hammaro"}  # not the adopting buyer
    assert (first["arvika"].adoption_count, first["arvika"].triggered_by) == (1, "a-1")
    assert first["arvika"].opportunity_id == deterministic_id("arvika", "s-virotea")

    await deliver(engine, adoption("a-1", "karlstad", "1780", "n-karlstad"))  # redelivered
    await deliver(engine, adoption("a-1b", "karlstad", "1780", "n-karlstad"))  # same buyer
    assert opportunities(publisher.take()) == {}

    await deliver(engine, adoption("a-2", "hammaro", "1761", "n-hammaro"))
    grown = opportunities(publisher.take())
    assert set(grown) == {"arvika"}  # hammaro now uses it itself
    assert grown["arvika"].adoption_count == 2
    # The same opportunity, told again with the grown count: it is updated in place.
    assert grown["arvika"].opportunity_id == first["arvika"].opportunity_id
