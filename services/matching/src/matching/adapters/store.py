"""What matching remembers in its own database: which outputs it has already emitted.

The indexes themselves live in memory and are rebuilt from Kafka; the database only keeps
the "once" promises: one alert per subscription and need, scaling opportunities only when
the adoption count grew, match pairs already announced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase


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
        await self.matches.update_one(
            {"_id": match_id},
            {
                "$set": {
                    "need_id": need_id,
                    "solution_id": solution_id,
                    "score": score,
                    "at": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    async def alerts_emitted(self, alert_ids: list[str]) -> set[str]:
        """Which of these alerts were emitted already: one query for a need's alerts."""
        if not alert_ids:
            return set()
        cursor = self.alerts.find({"_id": {"$in": alert_ids}}, {"_id": 1})
        return {doc["_id"] async for doc in cursor}

    async def record_matches(self, matches: list[tuple[str, str, str, float]]) -> None:
        """Upsert many matches in one round trip (unordered bulk write)."""
        if not matches:
            return
        at = datetime.now(UTC)
        await self.matches.bulk_write(
            [
                UpdateOne(
                    {"_id": match_id},
                    {
                        "$set": {
                            "need_id": need_id,
                            "solution_id": solution_id,
                            "score": score,
                            "at": at,
                        }
                    },
                    upsert=True,
                )
                for match_id, need_id, solution_id, score in matches
            ],
            ordered=False,
        )

    async def record_alerts(self, alerts: list[tuple[str, str, str]]) -> None:
        if not alerts:
            return
        at = datetime.now(UTC)
        await self.alerts.bulk_write(
            [
                UpdateOne(
                    {"_id": alert_id},
                    {"$set": {"subscription_id": sub_id, "need_id": need_id, "at": at}},
                    upsert=True,
                )
                for alert_id, sub_id, need_id in alerts
            ],
            ordered=False,
        )

    async def notified_count(self, buyer_org: str, solution_id: str) -> int:
        doc = await self.scaling.find_one({"_id": f"{buyer_org}/{solution_id}"})
        return int(doc["adoption_count"]) if doc else 0

    async def record_notified(self, buyer_org: str, solution_id: str, count: int) -> None:
        await self.scaling.update_one(
            {"_id": f"{buyer_org}/{solution_id}"},
            {"$set": {"adoption_count": count, "at": datetime.now(UTC)}},
            upsert=True,
        )

    async def counts(self) -> dict[str, int]:
        return {
            "matches_emitted": await self.matches.count_documents({}),
            "alerts_emitted": await self.alerts.count_documents({}),
            "scaling_notifications": await self.scaling.count_documents({}),
        }
