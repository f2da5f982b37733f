"""CloudEvents for the outbox, built from the domain's state."""

from __future__ import annotations

from marketplace_contracts.events import (
    CloudEvent,
    SolutionPublished,
    SolutionRetired,
    SolutionUpdated,
    SubscriptionDeleted,
    SubscriptionUpserted,
    envelope,
)

from ..domain.catalogue import Solution
from ..domain.subscriptions import Subscription

OutboxItem = tuple[str, CloudEvent]


def solution_published(solution: Solution, source: str) -> OutboxItem:
    return "solutions", envelope(SolutionPublished(**solution.public_state()), source=source)


def solution_updated(solution: Solution, source: str, event_id: str | None = None) -> OutboxItem:
    payload = SolutionUpdated(**solution.public_state())
    return "solutions", envelope(payload, source=source, event_id=event_id)


def solution_retired(solution: Solution, source: str) -> OutboxItem:
    payload = SolutionRetired(
        solution_id=solution.solution_id,
        version=solution.version,
        supplier_org=solution.supplier_org,
    )
    return "solutions", envelope(payload, source=source)


def subscription_upserted(subscription: Subscription, source: str) -> OutboxItem:
    payload = SubscriptionUpserted.model_validate(subscription.public_state())
    return "subscriptions", envelope(payload, source=source)


def subscription_deleted(subscription: Subscription, source: str) -> OutboxItem:
    payload = SubscriptionDeleted(
        subscription_id=subscription.subscription_id,
        version=subscription.version,
        supplier_org=subscription.supplier_org,
    )
    return "subscriptions", envelope(payload, source=source)
