"""Mongo repository of subscriptions (with their outbox)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform import outbox

from ..domain.subscriptions import Subscription
from .events import OutboxItem
from .repository import SUBSCRIPTIONS, Document, StoredSubscription


def subscription_from_doc(doc: Document) -> Subscription:
    return Subscription(
        subscription_id=doc["_id"],
        supplier_org=doc["supplier_org"],
        cpv_prefixes=list(doc.get("cpv_prefixes") or []),
        regions=list(doc.get("regions") or []),
        keywords=list(doc.get("keywords") or []),
        phases=list(doc.get("phases") or []),
        version=int(doc["version"]),
        status=doc.get("status", "active"),
    )


def stored_subscription(doc: Document) -> StoredSubscription:
    return StoredSubscription(
        subscription=subscription_from_doc(doc),
        rev=int(doc.get("rev") or 0),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )


def subscription_state(
    subscription: Subscription, *, created_at: datetime, updated_at: datetime
) -> Document:
    state = subscription.public_state()
    state.pop("subscription_id")
    return {
        "_id": subscription.subscription_id,
        **state,
        "status": subscription.status,
        "created_at": created_at,
        "updated_at": updated_at,
    }


class MongoSubscriptions:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[SUBSCRIPTIONS]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("supplier_org", ASCENDING)])

    async def get(self, subscription_id: str) -> StoredSubscription | None:
        doc = await self.collection.find_one({"_id": subscription_id}, {"outbox": 0})
        return None if doc is None else stored_subscription(doc)

    async def active_of(self, org: str) -> list[StoredSubscription]:
        cursor = self.collection.find(
            {"supplier_org": org, "status": "active"}, {"outbox": 0}
        ).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [stored_subscription(doc) async for doc in cursor]

    async def save(
        self,
        subscription: Subscription,
        events: list[OutboxItem],
        *,
        previous: StoredSubscription | None,
        at: datetime,
    ) -> None:
        created_at = at if previous is None else previous.created_at
        state = subscription_state(subscription, created_at=created_at, updated_at=at)
        await outbox.save(
            self.collection, state, events, None if previous is None else previous.rev
        )
