"""What matching remembers in its own database: which outputs it has already emitted.

The indexes themselves live in memory and are rebuilt from Kafka; the database only keeps
the "once" promises: one alert per subscription and need, scaling opportunities only when
the adoption count grew, match pairs already announced.

Several handlers may record the same output at once (a need and a subscription arriving
together both raise the alert), so markers are inserted if absent, never upserted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform.mongo import insert_absent, retry_upsert


class MatchingStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.matches = db["emitted_matches"]
        self.alerts = db["emitted_alerts"]
        self.scaling = db["scaling_notified"]

    async def match_emitted(self, match_id: str) -> bool:
        return await self.matches.find_one({"_id": match_id}, {"_id": 1}) is not None

    async def record_match(
        self, match_id: str, need_id: str, solution_id: str, score: float
    ) -> None:
        await self.record_matches([(match_id, need_id, solution_id, score)])

    async def alerts_emitted(self, alert_ids: list[str]) -> set[str]:
        """Which of these alerts were emitted already: one query for a need's alerts."""
        if not alert_ids:
            return set()
        cursor = self.alerts.find({"_id": {"$in": alert_ids}}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}

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

    async def record_alerts(self, alerts: list[tuple[str, str, str]]) -> None:
        at = datetime.now(UTC)
        await insert_absent(
            self.alerts,
            [
                {"_id": alert_id, "subscription_id": sub_id, "need_id": need_id, "at": at}
                for alert_id, sub_id, need_id in alerts
            ],
        )

    async def notified_count(self, buyer_org: str, solution_id: str) -> int:
        doc = await self.scaling.find_one({"_id": f"{buyer_org}/{solution_id}"})
        return int(doc["adoption_count"]) if doc else 0

    async def record_notified(self, buyer_org: str, solution_id: str, count: int) -> None:
        # $max: a late, smaller count (two adoptions handled out of order) never lowers it.
        await retry_upsert(
            lambda: self.scaling.update_one(
                {"_id": f"{buyer_org}/{solution_id}"},
                {"$max": {"adoption_count": count}, "$set": {"at": datetime.now(UTC)}},
                upsert=True,
            )
        )

    async def counts(self) -> dict[str, int]:
        return {
            "matches_emitted": await self.matches.count_documents({}),
            "alerts_emitted": await self.alerts.count_documents({}),
            "scaling_notifications": await self.scaling.count_documents({}),
        }
