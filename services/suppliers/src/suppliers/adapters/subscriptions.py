"""Mongo repository of subscriptions (with their outbox), and each supplier's active ones
in order of creation (`owned.OwnedIds`, one document per supplier read by `_id`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from marketplace_platform import outbox

from ..domain.subscriptions import Subscription
from .events import OutboxItem
from .owned import OwnedIds
from .repository import SUBSCRIPTIONS, Document, Key, StoredSubscription

log = logging.getLogger(__name__)
SUBSCRIPTIONS_OF = "subscriptions_of"


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
        self.owned = OwnedIds(db[SUBSCRIPTIONS_OF])

    async def backfill(self) -> int:
        """Once, for a database whose subscriptions predate the per-supplier documents (or
        their cards: version 2): one read of every subscription (run before the service
        answers). Returns how many active subscriptions it referenced."""
        referenced = await self.owned.fill_once(
            lambda: self.collection.find({"status": "active"}, {"outbox": 0, "rev": 0}),
            cards=True,
            version=2,
        )
        if referenced:
            log.info("referenced subscriptions per supplier", extra={"subscriptions": referenced})
        return referenced

    async def get(self, subscription_id: str) -> StoredSubscription | None:
        doc = await self.collection.find_one({"_id": subscription_id}, {"outbox": 0})
        return None if doc is None else stored_subscription(doc)

    async def count_of(self, org: str) -> int:
        return await self.owned.count(org)

    async def page_of(
        self, org: str, *, after: Key | None, limit: int
    ) -> tuple[list[StoredSubscription], Key | None]:
        shown, next_key = await self.owned.page(org, after=after, limit=limit)
        uncarded = [i for i, card in shown if card is None]
        read = dict(
            zip(uncarded, await asyncio.gather(*(self.get(i) for i in uncarded)), strict=True)
        )
        found = [stored_subscription(card) if card else read[i] for i, card in shown]
        return [s for s in found if s is not None and s.subscription.status == "active"], next_key

    async def save(
        self,
        subscription: Subscription,
        events: list[OutboxItem],
        *,
        previous: StoredSubscription | None,
        at: datetime,
    ) -> None:
        """A new subscription is referenced in its supplier's document first (a crash in
        between leaves a reference to nothing, which the list skips); a deleted one is
        dropped from it after its state is saved."""
        created_at = at if previous is None else previous.created_at
        org, subscription_id = subscription.supplier_org, subscription.subscription_id
        state = subscription_state(subscription, created_at=created_at, updated_at=at)
        if previous is None:
            await self.owned.add(org, [(subscription_id, created_at)], {subscription_id: state})
        await outbox.save(
            self.collection, state, events, None if previous is None else previous.rev
        )
        if subscription.status != "active":
            await self.owned.remove(org, subscription_id)
        elif previous is not None:  # once saved: a refused change must not show
            await self.owned.renew_card(org, subscription_id, state)
