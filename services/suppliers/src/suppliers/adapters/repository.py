"""The storage the service layer relies on, by domain names: one repository per aggregate.

The service layer sees only these interfaces; the Mongo implementations are
`catalogue.MongoProfiles` and `catalogue.MongoSolutions`, `subscriptions.MongoSubscriptions`,
`inbox.MongoInbox`, and `webhooks.MongoWebhooks` and `webhooks.MongoDeliveries` (their
collections: ``profiles``, ``solutions`` and ``subscriptions`` with an embedded outbox,
``inbox``, ``webhooks`` and ``webhook_deliveries``, the delivery queue; and the orders that
let every read go by `_id`: ``subscriptions_of`` and ``webhooks_of`` per supplier,
``inbox_order`` per supplier and ``delivery_order`` per webhook). The unit tests use
in-memory fakes of the same interfaces.

Aggregates come back as domain objects with their revision (for optimistic concurrency)
and timestamps; inbox entries, webhooks and deliveries as the plain documents they are.
Lists come a page at a time with the key to continue after (None on the last page): the
(created timestamp, id) of the page's last item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..domain.catalogue import Deployment, Solution
from ..domain.subscriptions import Subscription
from .events import OutboxItem

Document = dict[str, Any]
Key = tuple[float, str]  # where a page ends: (created timestamp, id) of its last item

SOLUTIONS = "solutions"
SUBSCRIPTIONS = "subscriptions"
OUTBOX_COLLECTIONS = (SOLUTIONS, SUBSCRIPTIONS)


@dataclass(frozen=True)
class StoredSolution:
    solution: Solution
    rev: int
    created_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class StoredSubscription:
    subscription: Subscription
    rev: int
    created_at: datetime
    updated_at: datetime


class Relay(Protocol):
    """Puts an aggregate's pending outbox events on Kafka (`OutboxRelay`)."""

    async def publish_pending(self, collection: str, doc_id: Any) -> int: ...


class ProfileRepository(Protocol):
    async def put(self, org: str, fields: Document, at: datetime) -> None:
        """Create or replace the organisation's profile (created_at kept)."""

    async def get(self, org: str) -> Document | None: ...


class SolutionRepository(Protocol):
    async def get(self, solution_id: str) -> StoredSolution | None: ...

    async def save(
        self,
        solution: Solution,
        events: list[OutboxItem],
        *,
        previous: StoredSolution | None,
        at: datetime,
    ) -> None:
        """State and events in one write: an insert without `previous`, otherwise guarded
        by its revision (raises ConcurrentModification when it changed)."""

    async def add_deployment(
        self,
        previous: StoredSolution,
        deployment: Deployment,
        event: OutboxItem | None,
        at: datetime,
    ) -> bool:
        """Append the deployment (adoption count, version and revision up by one, the event
        queued) if the solution is still at `previous.rev`; false if it changed."""


class SubscriptionRepository(Protocol):
    async def get(self, subscription_id: str) -> StoredSubscription | None: ...

    async def count_of(self, org: str) -> int:
        """How many active subscriptions the organisation holds."""

    async def page_of(
        self, org: str, *, after: Key | None, limit: int
    ) -> tuple[list[StoredSubscription], Key | None]:
        """The organisation's active subscriptions, oldest first, after `after`."""

    async def save(
        self,
        subscription: Subscription,
        events: list[OutboxItem],
        *,
        previous: StoredSubscription | None,
        at: datetime,
    ) -> None:
        """As `SolutionRepository.save`; a subscription saved deleted leaves its
        organisation's list."""


class InboxRepository(Protocol):
    async def store_many(self, entries: list[Document], at: datetime) -> list[Document]:
        """Write entries by `_id` (new ones unread, created at `at`; a rewritten one keeps
        its read state); returns them as stored."""

    async def page_for(
        self, org: str, *, unread: bool | None, after: Key | None, limit: int
    ) -> tuple[list[Document], Key | None]:
        """The organisation's newest entries first, after `after`; `unread` True or False
        keeps only those."""

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        """The entry, now read; None when the organisation has no such entry."""

    async def prune_read(self, before: datetime) -> int:
        """Delete the entries read and created before `before`; returns how many."""


class WebhookRepository(Protocol):
    async def count_of(self, org: str) -> int: ...

    async def add(self, webhook: Document) -> None: ...

    async def get(self, webhook_id: str) -> Document | None: ...

    async def of_org(self, org: str) -> list[Document]:
        """All of the organisation's webhooks (at most 10), oldest first."""

    async def of_orgs(self, orgs: list[str]) -> list[Document]:
        """Every webhook of these organisations, in no particular order."""

    async def delete(self, org: str, webhook_id: str) -> None: ...

    async def pause(self, webhook_id: str, reason: str, at: datetime) -> bool:
        """Active to paused (pause count up by one); false if it was not active."""

    async def resume(self, webhook_id: str, at: datetime) -> bool:
        """Paused to active with no failures counted; false if it was not paused."""

    async def record_success(self, webhook_id: str, at: datetime) -> None: ...

    async def record_failure(self, webhook_id: str) -> None: ...


class DeliveryRepository(Protocol):
    async def add_absent(self, deliveries: list[Document]) -> None:
        """Insert the deliveries whose `_id` is not queued yet."""

    async def of_webhook(
        self, webhook_id: str, *, after: Key | None, limit: int
    ) -> tuple[list[Document], Key | None]:
        """Newest first, after `after`."""

    async def due(self, now: datetime) -> list[Document]:
        """Pending deliveries whose time has come and sending ones whose lease expired (a
        worker died while sending), earliest first; a bounded number of each."""

    async def claim(self, delivery: Document, lease_until: datetime) -> bool:
        """Sending, leased until `lease_until`, if it is still as read; false if another
        worker took it."""

    async def finish(
        self, delivery: Document, fields: Document, attempt: Document | None = None
    ) -> None:
        """End the send in progress of `delivery` (as claimed): set `fields` (its next
        state), record the attempt."""

    async def release(self, delivery_id: str, next_attempt_at: datetime) -> None:
        """Back from sending to pending (the send crashed)."""

    async def hold_pending(self, webhook_id: str) -> None:
        """Pending deliveries of a paused webhook wait (held) until it is resumed."""

    async def cancel_open(self, webhook_id: str) -> None:
        """Pending, held and failed deliveries of a deleted webhook are cancelled: none of
        them will be sent."""

    async def reopen_stopped(self, webhook_id: str, at: datetime, more_attempts: int) -> None:
        """Held and failed deliveries are pending again at `at`, with `more_attempts`
        attempts beyond those made."""

    async def prune_done(self, before: datetime) -> int:
        """Delete the deliveries delivered or cancelled and queued before `before`; returns
        how many."""
