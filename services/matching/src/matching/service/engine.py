"""The matching service layer: keeps the read model and turns events into outputs.

Two kinds of entry:

* `apply(event)`: the read model. Called by the state reader for every record of the
  needs, solutions, subscriptions and adoptions topics (every instance sees all of them)
  and again by the work handlers; updates are guarded by versions (and adoption ids), so
  applying an event twice changes nothing.
* `on_*` work handlers: called by the group subscribers, so each event is worked on by one
  instance. They emit `match.found`, `alert.raised` and `scaling.opportunity` with
  deterministic ids, publish them (acks=all) before the offset is committed, and remember
  what was emitted so that alerts go out once and opportunities only when the adoption
  count grew. A crash after a publish and before the record re-emits the same ids, which
  every consumer ignores: at least once on the wire, exactly once in every inbox.

Two instances may work a need and a solution that fit each other at the same moment; each
ranks against its read model, which tails Kafka a little behind. Before working an event,
a handler therefore waits until its model holds every record of the *other* topics written
before it started (`catch_up_with`): then whichever of the two works second sees the first,
and the pair is never missed by both.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from marketplace_contracts import events as ev
from marketplace_contracts.events import CloudEvent, deterministic_id, envelope
from marketplace_platform.kafka import EventPublisher
from marketplace_platform.observability import continued_trace
from marketplace_platform.runtime import BatchItem

from ..adapters.profiles import (
    need_profile,
    solution_profile,
    subscription_profile,
    with_cosigner,
    with_phase,
)
from ..adapters.store import MatchingStore
from ..domain.model import Match, NeedProfile, Reason, SolutionProfile, SubscriptionProfile
from ..domain.need_index import NeedIndex
from ..domain.scaling import find_scaling_opportunities
from ..domain.scoring import ScoringWeights
from ..domain.solution_index import SolutionIndex
from ..domain.subscriptions import SubscriptionIndex, matching_subscriptions

log = logging.getLogger(__name__)


CatchUp = Callable[[Collection[str]], Awaitable[None]]


async def already_current(_topics: Collection[str]) -> None:
    """For a model that is not fed by a tailing reader (unit tests): nothing to wait for."""


@dataclass
class Deployment:
    buyer_org: str
    municipality_code: str | None
    adoption_id: str


@dataclass
class EngineStats:
    handled: Counter[str] = field(default_factory=Counter)
    emitted: Counter[str] = field(default_factory=Counter)
    rank_ms_total: float = 0.0
    ranks: int = 0


def contract_reasons(reasons: Iterable[Reason]) -> list[ev.MatchReason]:
    return [
        ev.MatchReason(
            component=r.component,
            score=round(r.score, 4),
            detail=r.detail,
            code=r.code or None,
            params={k: list(v) if isinstance(v, tuple) else v for k, v in r.params},
        )
        for r in reasons
    ]


def build_match_found(need: NeedProfile, solution: SolutionProfile, match: Match) -> ev.MatchFound:
    return ev.MatchFound(
        match_id=deterministic_id(need.need_id, solution.solution_id),
        need_id=need.need_id,
        need_version=need.version,
        need_title=need.title,
        buyer_org=need.buyer_org,
        solution_id=solution.solution_id,
        solution_version=solution.version,
        solution_name=solution.name,
        supplier_org=solution.supplier_org,
        score=round(min(1.0, max(0.0, match.score)), 4),
        reasons=contract_reasons(match.reasons),
    )


def build_alert(
    need: NeedProfile, sub: SubscriptionProfile, reasons: Iterable[Reason]
) -> ev.AlertRaised:
    return ev.AlertRaised(
        alert_id=deterministic_id(sub.subscription_id, need.need_id),
        subscription_id=sub.subscription_id,
        supplier_org=sub.supplier_org,
        need_id=need.need_id,
        need_version=need.version,
        need_title=need.title,
        buyer_org=need.buyer_org,
        municipality_code=need.municipality_code,
        phase=need.phase,
        reasons=contract_reasons(reasons),
    )


class MatchingEngine:
    def __init__(
        self,
        weights: ScoringWeights,
        publisher: EventPublisher,
        store: MatchingStore,
        *,
        source: str,
        top_k: int = 10,
        scaling_threshold: float = 0.3,
        catch_up_with: CatchUp = already_current,
    ) -> None:
        self.weights = weights
        # Takes logical topic names (needs, solutions, subscriptions, adoptions).
        self.catch_up_with = catch_up_with
        self.publisher = publisher
        self.store = store
        self.source = source
        self.top_k = top_k
        self.scaling_threshold = scaling_threshold
        self.solutions = SolutionIndex(weights)
        self.needs = NeedIndex(weights, solutions=self.solutions)
        self.subscriptions = SubscriptionIndex()
        self._subscription_versions: dict[str, int] = {}
        self.deployments: dict[str, dict[str, Deployment]] = {}
        self._seen_adoptions: set[str] = set()
        self.stats = EngineStats()

    # -- read model ---------------------------------------------------------------------

    async def apply(self, event: CloudEvent) -> None:
        self.apply_payload(event.payload())

    def apply_payload(self, payload: ev.Payload) -> None:
        match payload:
            case ev.NeedPublished() | ev.NeedUpdated():
                self.needs.upsert(need_profile(payload))
            case ev.NeedPhaseChanged():
                held = self.needs.get(payload.need_id)
                if held is not None and payload.version > held.version:
                    self.needs.upsert(with_phase(held, payload.to_phase, payload.version))
            case ev.NeedCosigned():
                held = self.needs.get(payload.need_id)
                if held is not None and payload.version > held.version:
                    self.needs.upsert(with_cosigner(held, payload.cosigner_org, payload.version))
            case ev.NeedWithdrawn():
                self.needs.remove(payload.need_id, payload.version)
            case ev.SolutionPublished() | ev.SolutionUpdated():
                count = len(self.deployments.get(payload.solution_id, {}))
                self.solutions.upsert(solution_profile(payload, count))
            case ev.SolutionRetired():
                self.solutions.remove(payload.solution_id, payload.version)
            case ev.SubscriptionUpserted():
                if payload.version > self._subscription_versions.get(payload.subscription_id, 0):
                    self._subscription_versions[payload.subscription_id] = payload.version
                    self.subscriptions.upsert(subscription_profile(payload))
            case ev.SubscriptionDeleted():
                if payload.version > self._subscription_versions.get(payload.subscription_id, 0):
                    self._subscription_versions[payload.subscription_id] = payload.version
                    self.subscriptions.remove(payload.subscription_id)
            case ev.AdoptionRecorded():
                self._apply_adoption(payload)
            case _:
                pass  # outputs of matching itself are not part of its read model

    def _apply_adoption(self, adoption: ev.AdoptionRecorded) -> None:
        if adoption.adoption_id in self._seen_adoptions:
            return
        self._seen_adoptions.add(adoption.adoption_id)
        users = self.deployments.setdefault(adoption.solution_id, {})
        users.setdefault(
            adoption.buyer_org,
            Deployment(adoption.buyer_org, adoption.municipality_code, adoption.adoption_id),
        )
        self.solutions.set_adoption_count(adoption.solution_id, len(users))

    def adoption_count(self, solution_id: str) -> int:
        return len(self.deployments.get(solution_id, {}))

    # -- ranking ------------------------------------------------------------------------

    def rank(self, need: NeedProfile, k: int | None = None) -> list[Match]:
        started = time.perf_counter()
        matches = self.solutions.rank(need, k=k or self.top_k, threshold=self.weights.threshold)
        self.stats.rank_ms_total += (time.perf_counter() - started) * 1000
        self.stats.ranks += 1
        return matches

    # -- work ---------------------------------------------------------------------------

    async def _emit(self, logical_topic: str, payload: ev.Payload, event_id: str) -> None:
        await self.publisher.publish(
            logical_topic, envelope(payload, source=self.source, event_id=event_id)
        )
        self.stats.emitted[payload.event_type] += 1

    async def _emit_many(self, outputs: list[tuple[str, ev.Payload, str]]) -> None:
        """Publish several events in order and wait for all acknowledgements together
        (acks=all); if one fails, the handler fails and the redelivered event re-publishes
        the same ids."""
        pending = await self._enqueue(outputs)
        if pending:
            await asyncio.gather(*pending)

    async def _enqueue(self, outputs: list[tuple[str, ev.Payload, str]]) -> list[Any]:
        pending = await self.publisher.enqueue(
            [
                (topic, envelope(payload, source=self.source, event_id=eid))
                for topic, payload, eid in outputs
            ]
        )
        for _, payload, _ in outputs:
            self.stats.emitted[payload.event_type] += 1
        return pending

    async def on_need(self, payload: ev.Payload, event: CloudEvent) -> None:
        await self.on_need_batch([BatchItem(payload, event, {})])

    async def on_need_batch(self, items: list[BatchItem]) -> None:
        """Work a batch of need events in their order. What each causes is handed to the
        producer within that need's trace; all of it is acknowledged before it is
        recorded (one insert per collection) and before the offsets are committed."""
        await self.catch_up_with(("solutions", "subscriptions", "adoptions"))
        sent: set[str] = set()
        pending: list[Any] = []
        matches: list[tuple[str, str, str, float]] = []
        alerts: list[tuple[str, str, str]] = []
        for item in items:
            outputs: list[tuple[str, ev.Payload, str]] = []
            payload = item.payload
            self.apply_payload(payload)
            self.stats.handled[payload.event_type] += 1
            need_id = getattr(payload, "need_id", None)
            need = self.needs.get(need_id) if need_id else None
            if need is None or not need.is_open:
                continue
            if isinstance(payload, ev.NeedPublished | ev.NeedUpdated):
                for match in self.rank(need):
                    built = self._match_output(need, match)
                    if built is not None and built[2] not in sent:
                        outputs.append(built)
                        found = built[1]
                        assert isinstance(found, ev.MatchFound)
                        matches.append(
                            (found.match_id, need.need_id, found.solution_id, match.score)
                        )
            for output, record in await self._alert_outputs(
                need, self.subscriptions.candidates(need)
            ):
                # A need published and updated in one batch raises its alert once.
                if output[2] not in sent:
                    outputs.append(output)
                    alerts.append(record)
            sent.update(o[2] for o in outputs)
            with continued_trace(item.headers):
                pending += await self._enqueue(outputs)
        if pending:
            await asyncio.gather(*pending)
        await asyncio.gather(self.store.record_matches(matches), self.store.record_alerts(alerts))

    def _match_output(self, need: NeedProfile, match: Match) -> tuple[str, ev.Payload, str] | None:
        solution = self.solutions.get(match.solution_id)
        if solution is None:
            return None
        payload = build_match_found(need, solution, match)
        # The event id names the versions it was computed from: a re-rank after an update
        # is a new event about the same match id, a replay is the same event.
        event_id = deterministic_id(
            "match.found", payload.match_id, str(need.version), str(solution.version)
        )
        return "matches", payload, event_id

    async def _emit_match(self, need: NeedProfile, match: Match) -> None:
        built = self._match_output(need, match)
        if built is None:
            return
        await self._emit(*built[:2], built[2])
        found = built[1]
        assert isinstance(found, ev.MatchFound)
        await self.store.record_match(found.match_id, need.need_id, found.solution_id, match.score)

    async def _alert_outputs(
        self, need: NeedProfile, subscriptions: Iterable[SubscriptionProfile]
    ) -> list[tuple[tuple[str, ev.Payload, str], tuple[str, str, str]]]:
        """The alerts a need raises that were not raised before (one query for all)."""
        fitting = matching_subscriptions(need, list(subscriptions))
        if not fitting:
            return []
        ids = [deterministic_id(sub.subscription_id, need.need_id) for sub, _ in fitting]
        already = await self.store.alerts_emitted(ids)
        out: list[tuple[tuple[str, ev.Payload, str], tuple[str, str, str]]] = []
        for alert_id, (sub, reasons) in zip(ids, fitting, strict=True):
            if alert_id in already:
                continue
            payload = build_alert(need, sub, reasons)
            out.append(
                (
                    ("alerts", payload, deterministic_id("alert.raised", alert_id)),
                    (alert_id, sub.subscription_id, need.need_id),
                )
            )
        return out

    async def _alert_subscriptions(
        self, need: NeedProfile, subscriptions: Iterable[SubscriptionProfile]
    ) -> None:
        alerts = await self._alert_outputs(need, subscriptions)
        await self._emit_many([a[0] for a in alerts])
        await self.store.record_alerts([a[1] for a in alerts])

    async def on_solution(self, payload: ev.Payload, _event: CloudEvent) -> None:
        await self.catch_up_with(("needs", "adoptions"))
        self.apply_payload(payload)
        self.stats.handled[payload.event_type] += 1
        if not isinstance(payload, ev.SolutionPublished | ev.SolutionUpdated):
            return
        solution = self.solutions.get(payload.solution_id)
        if solution is None:
            return
        for match in self.needs.rank_needs_for(solution, k=1000, threshold=self.weights.threshold):
            need = self.needs.get(match.need_id)
            if need is None or not need.is_open:
                continue
            # New pairs only: a solution's update (an adoption, a new description) does not
            # re-announce every match it already had.
            if await self.store.match_emitted(deterministic_id(need.need_id, solution.solution_id)):
                continue
            await self._emit_match(need, match)

    async def on_subscription(self, payload: ev.Payload, _event: CloudEvent) -> None:
        await self.catch_up_with(("needs",))
        self.apply_payload(payload)
        self.stats.handled[payload.event_type] += 1
        if isinstance(payload, ev.SubscriptionUpserted):
            sub = self.subscriptions.get(payload.subscription_id)
            if sub is None:
                return
            for need in list(self.needs.needs()):
                if need.is_open:
                    await self._alert_subscriptions(need, [sub])

    async def on_adoption(self, payload: ev.Payload, _event: CloudEvent) -> None:
        assert isinstance(payload, ev.AdoptionRecorded)
        await self.catch_up_with(("needs", "solutions", "adoptions"))
        self.apply_payload(payload)
        self.stats.handled[payload.event_type] += 1
        solution = self.solutions.get(payload.solution_id)
        if solution is None:
            log.info(
                "adoption of a solution not (yet) in the index",
                extra={"solution_id": payload.solution_id},
            )
            return
        users = self.deployments.get(solution.solution_id, {})
        count = len(users)
        deployments = [
            ev.Deployment(buyer_org=d.buyer_org, municipality_code=d.municipality_code)
            for d in users.values()
        ]
        adopted_for = self.needs.get(payload.need_id) if payload.need_id else None
        outputs: list[tuple[str, ev.Payload, str]] = []
        told: list[str] = []
        for candidate in find_scaling_opportunities(
            solution,
            payload.buyer_org,
            self.needs,
            adopted_for=adopted_for,
            already_using=frozenset(users),
            threshold=self.scaling_threshold,
        ):
            need = self.needs.get(candidate.need_id)
            if need is None:
                continue
            if await self.store.notified_count(candidate.buyer_org, solution.solution_id) >= count:
                continue
            # One opportunity per buyer and solution, updated in place as the count grows
            # (the buyer's inbox shows the latest); each count is an event of its own.
            opportunity_id = deterministic_id(candidate.buyer_org, solution.solution_id)
            opportunity = ev.ScalingOpportunity(
                opportunity_id=opportunity_id,
                buyer_org=candidate.buyer_org,
                need_id=need.need_id,
                need_title=need.title,
                solution_id=solution.solution_id,
                solution_name=solution.name,
                supplier_org=solution.supplier_org,
                adoption_count=count,
                deployments=deployments,
                score=round(min(1.0, max(0.0, candidate.score)), 4),
                reasons=contract_reasons(candidate.reasons),
                triggered_by=payload.adoption_id,
            )
            event_id = deterministic_id("scaling.opportunity", opportunity_id, str(count))
            outputs.append(("scaling", opportunity, event_id))
            told.append(candidate.buyer_org)
        # All at once, acknowledged before they are recorded: an implementation can tell
        # hundreds of buyers, and one wait and one write serve them all.
        await self._emit_many(outputs)
        if told:
            await self.store.record_notified_many(solution.solution_id, told, count)

    def fingerprints(self) -> dict[str, str]:
        """Digests of what the read model holds, equal on instances that hold the same."""
        subscriptions = hashlib.sha256(
            "\n".join(f"{k}:{v}" for k, v in sorted(self._subscription_versions.items())).encode()
        ).hexdigest()
        adoptions = hashlib.sha256("\n".join(sorted(self._seen_adoptions)).encode()).hexdigest()
        return {
            "solutions": self.solutions.fingerprint(),
            "needs": self.needs.fingerprint(),
            "subscriptions": subscriptions,
            "adoptions": adoptions,
        }

    def sizes(self) -> dict[str, int]:
        return {
            "solutions": self.solutions.size,
            "needs": self.needs.size,
            "subscriptions": len(self.subscriptions),
            "adopted_solutions": len(self.deployments),
        }
