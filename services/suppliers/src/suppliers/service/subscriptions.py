"""Handlers for subscriptions: create, list, read, delete (each emits subscription.*)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marketplace_platform import outbox
from marketplace_platform.http import NotFound
from marketplace_platform.outbox import ConcurrentModification, OutboxRelay

from ..adapters import events
from ..adapters.repository import (
    SUBSCRIPTIONS,
    Collections,
    Document,
    subscription_from_doc,
    subscription_state,
)
from ..domain import subscriptions as rules

MAX_PER_SUPPLIER = 100


def public_subscription(doc: Document) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "supplier_org": doc["supplier_org"],
        "cpv_prefixes": doc.get("cpv_prefixes", []),
        "regions": doc.get("regions", []),
        "keywords": doc.get("keywords", []),
        "phases": doc.get("phases", []),
        "version": doc["version"],
        "created_at": doc["created_at"].isoformat(),
        "updated_at": doc["updated_at"].isoformat(),
    }


class Subscriptions:
    def __init__(self, cols: Collections, relay: OutboxRelay, source: str) -> None:
        self.cols = cols
        self.relay = relay
        self.source = source

    async def create(self, org: str, criteria: dict[str, list[str] | None]) -> dict[str, Any]:
        subscription = rules.subscribe(str(uuid.uuid4()), org, **criteria)
        at = datetime.now(UTC)
        state = subscription_state(subscription, created_at=at, updated_at=at)
        item = events.subscription_upserted(subscription, self.source)
        await outbox.save(self.cols.subscriptions, state, [item], None)
        await self.relay.publish_pending(SUBSCRIPTIONS, subscription.subscription_id)
        return await self.get(org, subscription.subscription_id)

    async def list_for(self, org: str) -> list[dict[str, Any]]:
        docs = [
            d
            async for d in self.cols.subscriptions.find(
                {"supplier_org": org, "status": "active"}, {"outbox": 0}
            )
        ]
        docs.sort(key=lambda d: (d["created_at"], d["_id"]))
        return [public_subscription(d) for d in docs]

    async def _load_own(self, org: str, subscription_id: str) -> Document:
        doc = await self.cols.subscriptions.find_one(
            {"_id": subscription_id, "supplier_org": org, "status": "active"}
        )
        if doc is None:  # another supplier's subscription does not exist for this caller
            raise NotFound(f"no subscription {subscription_id}")
        return doc

    async def get(self, org: str, subscription_id: str) -> dict[str, Any]:
        return public_subscription(await self._load_own(org, subscription_id))

    async def delete(self, org: str, subscription_id: str) -> None:
        for _ in range(5):
            doc = await self._load_own(org, subscription_id)
            deleted = rules.delete(subscription_from_doc(doc))
            state = subscription_state(
                deleted, created_at=doc["created_at"], updated_at=datetime.now(UTC)
            )
            item = events.subscription_deleted(deleted, self.source)
            try:
                await outbox.save(self.cols.subscriptions, state, [item], doc["rev"])
                break
            except ConcurrentModification:
                continue
        await self.relay.publish_pending(SUBSCRIPTIONS, subscription_id)
