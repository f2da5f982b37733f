"""Mongo storage of the suppliers service: one collection per aggregate.

Collections: ``profiles`` (one per supplier org), ``solutions`` and ``subscriptions`` (with
an embedded outbox), ``webhooks``, ``inbox`` and ``webhook_deliveries`` (the delivery queue).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.catalogue import Deployment, Solution
from ..domain.subscriptions import Subscription

Document = dict[str, Any]

SOLUTIONS = "solutions"
SUBSCRIPTIONS = "subscriptions"
OUTBOX_COLLECTIONS = (SOLUTIONS, SUBSCRIPTIONS)


class Collections:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.profiles: AsyncCollection[Document] = db["profiles"]
        self.solutions: AsyncCollection[Document] = db[SOLUTIONS]
        self.subscriptions: AsyncCollection[Document] = db[SUBSCRIPTIONS]
        self.webhooks: AsyncCollection[Document] = db["webhooks"]
        self.inbox: AsyncCollection[Document] = db["inbox"]
        self.deliveries: AsyncCollection[Document] = db["webhook_deliveries"]

    async def ensure_indexes(self) -> None:
        await self.solutions.create_index([("supplier_org", ASCENDING)])
        await self.subscriptions.create_index([("supplier_org", ASCENDING)])
        await self.webhooks.create_index([("supplier_org", ASCENDING)])
        await self.inbox.create_index([("supplier_org", ASCENDING), ("created_at", ASCENDING)])
        await self.deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.deliveries.create_index([("webhook_id", ASCENDING)])


# --- solutions -----------------------------------------------------------------------------


def solution_from_doc(doc: Document) -> Solution:
    return Solution(
        solution_id=doc["_id"],
        supplier_org=doc["supplier_org"],
        name=doc["name"],
        description=doc["description"],
        cpv_codes=list(doc["cpv_codes"]),
        regions=list(doc["regions"]),
        maturity=doc["maturity"],
        tags=list(doc.get("tags") or []),
        price_model=doc.get("price_model"),
        languages=list(doc.get("languages") or []),
        version=int(doc["version"]),
        status=doc.get("status", "published"),
        adoption_count=int(doc.get("adoption_count", 0)),
        deployments=[
            Deployment(
                adoption_id=d["adoption_id"],
                buyer_org=d["buyer_org"],
                municipality_code=d.get("municipality_code"),
                need_id=d.get("need_id"),
                since=d["since"],
                kind=d.get("kind", "adoption"),
            )
            for d in doc.get("deployments") or []
        ],
    )


def solution_state(solution: Solution, *, created_at: datetime, updated_at: datetime) -> Document:
    """The stored fields (without rev and outbox)."""
    state = solution.public_state()
    state.pop("solution_id")
    return {
        "_id": solution.solution_id,
        **state,
        "status": solution.status,
        "deployments": [d.as_dict() for d in solution.deployments],
        "created_at": created_at,
        "updated_at": updated_at,
    }


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
