"""Handlers for subscriptions: create, list, read, delete (each emits subscription.*)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marketplace_platform.errors import Conflict, NotFound
from marketplace_platform.outbox import ConcurrentModification

from ..adapters import events
from ..adapters.repository import SUBSCRIPTIONS, Relay, StoredSubscription, SubscriptionRepository
from ..domain import subscriptions as rules
from .paging import Page, after_cursor, next_cursor

MAX_PER_SUPPLIER = 100  # active subscriptions: what one supplier's document holds
RETRIES = 5


def public_subscription(stored: StoredSubscription) -> dict[str, Any]:
    subscription = stored.subscription
    return {
        "id": subscription.subscription_id,
        "supplier_org": subscription.supplier_org,
        "cpv_prefixes": subscription.cpv_prefixes,
        "regions": subscription.regions,
        "keywords": subscription.keywords,
        "phases": subscription.phases,
        "version": subscription.version,
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
    }


class Subscriptions:
    def __init__(self, subscriptions: SubscriptionRepository, relay: Relay, source: str) -> None:
        self.subscriptions = subscriptions
        self.relay = relay
        self.source = source

    async def create(self, org: str, criteria: dict[str, list[str] | None]) -> dict[str, Any]:
        subscription = rules.subscribe(str(uuid.uuid4()), org, **criteria)
        if await self.subscriptions.count_of(org) >= MAX_PER_SUPPLIER:
            raise Conflict(
                f"a supplier may hold at most {MAX_PER_SUPPLIER} subscriptions; "
                "delete one to add another"
            )
        item = events.subscription_upserted(subscription, self.source)
        at = datetime.now(UTC)
        await self.subscriptions.save(subscription, [item], previous=None, at=at)
        await self.relay.publish_pending(SUBSCRIPTIONS, subscription.subscription_id)
        return await self.get(org, subscription.subscription_id)

    async def list_for(self, org: str, *, cursor: str | None = None, limit: int = 50) -> Page:
        """A page of the supplier's subscriptions, oldest first."""
        found, next_key = await self.subscriptions.page_of(
            org, after=after_cursor(cursor), limit=limit
        )
        return Page([public_subscription(s) for s in found], next_cursor(next_key))

    async def _load_own(self, org: str, subscription_id: str) -> StoredSubscription:
        stored = await self.subscriptions.get(subscription_id)
        if (
            stored is None
            or stored.subscription.supplier_org != org
            or stored.subscription.status != "active"
        ):  # another supplier's subscription, or a deleted one, does not exist for the caller
            raise NotFound(f"no subscription {subscription_id}")
        return stored

    async def get(self, org: str, subscription_id: str) -> dict[str, Any]:
        return public_subscription(await self._load_own(org, subscription_id))

    async def delete(self, org: str, subscription_id: str) -> None:
        for _ in range(RETRIES):
            stored = await self._load_own(org, subscription_id)
            deleted = rules.delete(stored.subscription)
            item = events.subscription_deleted(deleted, self.source)
            try:
                await self.subscriptions.save(
                    deleted, [item], previous=stored, at=datetime.now(UTC)
                )
                break
            except ConcurrentModification:
                continue
        else:
            raise ConcurrentModification(f"subscriptions/{subscription_id} keeps changing")
        await self.relay.publish_pending(SUBSCRIPTIONS, subscription_id)
