"""Kafka subscribers of matching: the work, split across the consumer group."""

from __future__ import annotations

from marketplace_contracts import events as ev
from marketplace_platform.runtime import ServiceRuntime, subscribe, subscribe_batch

from ..service.engine import MatchingEngine


def register(runtime: ServiceRuntime, engine: MatchingEngine) -> None:
    # Matching's outputs carry deterministic event ids and its "once" promises (one alert
    # per subscription and need, opportunities only when the count grew) live in its own
    # store, so a redelivered event has no second effect without a processed-events record.
    needs = runtime.dispatcher("matching.needs", record_processed=False)
    for payload in (
        ev.NeedPublished,
        ev.NeedUpdated,
        ev.NeedPhaseChanged,
        ev.NeedCosigned,
        ev.NeedWithdrawn,
    ):
        needs.on(payload, engine.on_need)
    # Needs are the heavy stream: taken in batches, with one set of sends, one write
    # per collection and one offset commit per batch.
    subscribe_batch(
        runtime,
        "needs",
        needs,
        engine.on_need_batch,
        description="Rank solutions for published and updated needs (match.found) and "
        "evaluate subscriptions (alert.raised). Partitioned across instances.",
    )

    solutions = runtime.dispatcher("matching.solutions", record_processed=False)
    for solution_type in (ev.SolutionPublished, ev.SolutionUpdated, ev.SolutionRetired):
        solutions.on(solution_type, engine.on_solution)
    subscribe(
        runtime,
        "solutions",
        solutions,
        description="Rank open needs for new and updated solutions; new pairs only.",
    )

    subscriptions = runtime.dispatcher("matching.subscriptions", record_processed=False)
    for subscription_type in (ev.SubscriptionUpserted, ev.SubscriptionDeleted):
        subscriptions.on(subscription_type, engine.on_subscription)
    subscribe(
        runtime,
        "subscriptions",
        subscriptions,
        description="Evaluate a new or changed subscription against open needs.",
    )

    adoptions = runtime.dispatcher("matching.adoptions", record_processed=False)
    adoptions.on(ev.AdoptionRecorded, engine.on_adoption)
    subscribe(
        runtime,
        "adoptions",
        adoptions,
        description="Tell other buyers with similar needs that a solution scales "
        "(scaling.opportunity), with its adoption count.",
    )

    runtime.declare_publication("matches", "match.found: a solution fits a need, with reasons")
    runtime.declare_publication("alerts", "alert.raised: a need fits a supplier's subscription")
    runtime.declare_publication(
        "scaling", "scaling.opportunity: a solution implemented elsewhere fits a buyer's need"
    )
