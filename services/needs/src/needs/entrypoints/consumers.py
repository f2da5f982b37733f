"""Kafka subscribers: match.found and scaling.opportunity into the buyer inbox; the
service's own OCDS releases into the open-data store."""

from __future__ import annotations

from marketplace_contracts.events import MatchFound, OcdsReleased, ScalingOpportunity
from marketplace_platform.runtime import ServiceRuntime, subscribe_batch

from ..service.handlers import InboxService
from ..service.open_data import OpenData


def register(runtime: ServiceRuntime, inbox: InboxService, open_data: OpenData) -> None:
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
    # Stored by release id: a redelivered release is stored once.
    releases = runtime.dispatcher(f"{runtime.consumer_name}.ocds", record_processed=False)
    releases.on(OcdsReleased, open_data.on_released)
    subscribe_batch(
        runtime,
        "ocds",
        releases,
        open_data.on_released_batch,
        description="ocds.released: this service's OCDS releases of published needs, kept "
        "for the open-data API (by release_id)",
    )
