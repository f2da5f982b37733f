"""Kafka subscribers: match.found and scaling.opportunity into the buyer inbox."""

from __future__ import annotations

from marketplace_contracts.events import MatchFound, ScalingOpportunity
from marketplace_platform.runtime import ServiceRuntime, subscribe_batch

from ..service.handlers import InboxService


def register(runtime: ServiceRuntime, inbox: InboxService) -> None:
    # Upserts by match id are idempotent by themselves: no processed-events record.
    matches = runtime.dispatcher(f"{runtime.consumer_name}.matches", record_processed=False)
    matches.on(MatchFound, inbox.on_match_found)
    subscribe_batch(
        runtime,
        "matches",
        matches,
        inbox.on_match_batch,
        description="match.found: a solution for one of the buyer's needs, into its inbox "
        "(by match_id: a replay gives one entry, a re-ranking updates it)",
    )
    # Batched too: one implementation tells every buyer with a similar need at once. Upserts
    # by opportunity id (derived from buyer, solution and adoption count) are idempotent.
    scaling = runtime.dispatcher(f"{runtime.consumer_name}.scaling", record_processed=False)
    scaling.on(ScalingOpportunity, inbox.on_scaling_opportunity)
    subscribe_batch(
        runtime,
        "scaling",
        scaling,
        inbox.on_scaling_batch,
        description="scaling.opportunity: a solution implemented elsewhere that fits one of "
        "the buyer's needs (upsert by opportunity_id)",
    )
