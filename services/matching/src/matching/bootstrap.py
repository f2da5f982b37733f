"""Wires the matching service: settings, runtime, read model rebuild, work, HTTP API."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import FastAPI

from marketplace_platform.http import create_app
from marketplace_platform.runtime import ServiceRuntime
from marketplace_platform.state_reader import KafkaStateReader

from .adapters.store import MatchingStore
from .entrypoints import consumers
from .entrypoints.http import build_router
from .service.engine import MatchingEngine
from .settings import MatchingSettings

TITLE = "Marketplace matching service"
DESCRIPTION = (
    "Explainable need-solution matching, subscription alerts and scaling opportunities. "
    "Each instance rebuilds its index from Kafka; needs are split across instances."
)


def build(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    runtime = ServiceRuntime(settings)
    store = MatchingStore(runtime.db)
    topics = runtime.topics
    physical = {
        "needs": topics.needs,
        "solutions": topics.solutions,
        "subscriptions": topics.subscriptions,
        "adoptions": topics.adoptions,
    }

    async def catch_up_with(logical: Collection[str]) -> None:
        await reader.catch_up_with({physical[name] for name in logical})

    engine = MatchingEngine(
        settings.weights(),
        runtime.publisher,
        store,
        source=settings.source,
        top_k=settings.top_k,
        scaling_threshold=settings.scaling_threshold,
        catch_up_with=catch_up_with,
    )
    reader = KafkaStateReader(
        settings.kafka_bootstrap_servers, list(physical.values()), engine.apply
    )
    consumers.register(runtime, engine)
    # The work subscribers start only once the read model has caught up with Kafka and
    # the record of what was emitted before is loaded.
    runtime.before_consuming.append(store.load)
    runtime.before_consuming.append(reader.start)

    async def warm_up() -> None:
        # Builds the lookup rows of common words now, not during the first needs.
        engine.solutions.warm_up()

    runtime.before_consuming.append(warm_up)

    async def stats() -> dict[str, Any]:
        return {
            "instance": settings.instance_id,
            "index": engine.sizes(),
            "fingerprints": engine.fingerprints(),
            "handled": dict(engine.stats.handled),
            "emitted": dict(engine.stats.emitted),
            "rank_ms_mean": round(engine.stats.rank_ms_total / engine.stats.ranks, 3)
            if engine.stats.ranks
            else None,
            "read_model": {
                "records": reader.records,
                "skipped": reader.skipped,
                "caught_up": reader.caught_up.is_set(),
                "lag": await reader.lag(),
            },
            "dead_letters": runtime.dead_letters.count,
            "store": await store.counts(),
        }

    app = create_app(
        runtime,
        title=TITLE,
        description=DESCRIPTION,
        routers=[build_router(engine, stats)],
        on_stop=[reader.stop],
    )
    app.state.engine = engine
    app.state.reader = reader
    return app
