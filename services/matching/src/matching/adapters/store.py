"""What matching remembers in its own database: which outputs it has already emitted.

The indexes themselves live in memory and are rebuilt from Kafka; the database keeps the
"once" promises: one alert per subscription and need, scaling opportunities only when the
adoption count grew, match pairs already announced.

The promises are read on every event, so they are held in memory too: loaded once at
start, then kept by this instance's own records. Markers are written after the outputs
were acknowledged, one unordered insert per batch; several handlers may record the same
output at once (a need and a subscription arriving together raise the same alert), so
markers are inserted if absent, never upserted. Two instances that both emit an output
before either learns of the other's emit the same deterministic ids, which every consumer
ignores the second time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import insert_absent


class MatchingStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.matches = db["emitted_matches"]
        self.alerts = db["emitted_alerts"]
        self.scaling = db["scaling_notified"]
        self._matches: set[str] = set()
        self._alerts: set[str] = set()
        self._notified: dict[str, int] = {}

    async def load(self) -> None:
        """Read what was emitted before this start (one pass over each collection)."""
        self._matches = {d["_id"] async for d in self.matches.find({}, {"_id": 1})}
        self._alerts = {d["_id"] async for d in self.alerts.find({}, {"_id": 1})}
        self._notified = {}
        async for d in self.scaling.find({}, {"key": 1, "adoption_count": 1}):
            # Markers made before they were insert-only have their key as `_id`.
            key = str(d.get("key", d["_id"]))
            self._notified[key] = max(int(d["adoption_count"]), self._notified.get(key, 0))

    async def match_emitted(self, match_id: str) -> bool:
        return match_id in self._matches

    async def record_match(
        self, match_id: str, need_id: str, solution_id: str, score: float
    ) -> None:
        await self.record_matches([(match_id, need_id, solution_id, score)])

    async def alerts_emitted(self, alert_ids: list[str]) -> set[str]:
        """Which of these alerts were emitted already."""
        return {a for a in alert_ids if a in self._alerts}

    async def record_matches(self, matches: list[tuple[str, str, str, float]]) -> None:
        """Remember many announced pairs in one round trip (the first announcement stays)."""
        at = datetime.now(UTC)
        await insert_absent(
            self.matches,
            [
                {
                    "_id": match_id,
                    "need_id": need_id,
                    "solution_id": solution_id,
                    "score": score,
                    "at": at,
                }
                for match_id, need_id, solution_id, score in matches
            ],
        )
        self._matches.update(m[0] for m in matches)

    async def record_alerts(self, alerts: list[tuple[str, str, str]]) -> None:
        at = datetime.now(UTC)
        await insert_absent(
            self.alerts,
            [
                {"_id": alert_id, "subscription_id": sub_id, "need_id": need_id, "at": at}
                for alert_id, sub_id, need_id in alerts
            ],
        )
        self._alerts.update(a[0] for a in alerts)

    async def notified_count(self, buyer_org: str, solution_id: str) -> int:
        return self._notified.get(f"{buyer_org}/{solution_id}", 0)

    async def record_notified_many(
        self, solution_id: str, buyer_orgs: list[str], count: int
    ) -> None:
        """Remember that these buyers were told of the solution at this adoption count, in
        one round trip: a marker per buyer and count, inserted if absent (an implementation
        tells hundreds of buyers at once). The highest count is what holds, so a late,
        smaller count (two adoptions handled out of order) never lowers it."""
        at = datetime.now(UTC)
        keys = [f"{org}/{solution_id}" for org in buyer_orgs]
        await insert_absent(
            self.scaling,
            [{"_id": f"{k}/{count}", "key": k, "adoption_count": count, "at": at} for k in keys],
        )
        for k in keys:
            self._notified[k] = max(count, self._notified.get(k, 0))

    async def counts(self) -> dict[str, int]:
        return {
            "matches_emitted": len(self._matches),
            "alerts_emitted": len(self._alerts),
            "scaling_notifications": len(self._notified),
        }
