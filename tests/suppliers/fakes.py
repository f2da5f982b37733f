"""In-memory fakes of the suppliers' repository interfaces (`suppliers.adapters.repository`),
for fast tests of the service layer. They keep the contracts that the handlers rely on:
revision-guarded saves, the events written with the state, equality search on stored CPV
prefixes and regions, ownership left to the caller."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from marketplace_platform.outbox import ConcurrentModification
from suppliers.adapters.events import OutboxItem
from suppliers.adapters.repository import StoredSolution, StoredSubscription
from suppliers.domain import catalogue
from suppliers.domain.catalogue import Deployment, Solution
from suppliers.domain.search import SolutionQuery, cpv_prefixes
from suppliers.domain.subscriptions import Subscription

Document = dict[str, Any]


@dataclass
class FakeRelay:
    published: list[tuple[str, Any]] = field(default_factory=list)

    async def publish_pending(self, collection: str, doc_id: Any) -> int:
        self.published.append((collection, doc_id))
        return 0


class FakeProfiles:
    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def put(self, org: str, fields: Document, at: datetime) -> None:
        created_at = self.docs.get(org, {}).get("created_at", at)
        self.docs[org] = {**self.docs.get(org, {}), **fields, "_id": org, "updated_at": at}
        self.docs[org]["created_at"] = created_at

    async def get(self, org: str) -> Document | None:
        return copy.deepcopy(self.docs.get(org))


def _check_rev(current_rev: int | None, previous_rev: int | None, key: str) -> None:
    """As `outbox.save`: an insert of a new id, or an update guarded by the revision read."""
    if previous_rev is None and current_rev is not None:
        raise AssertionError(f"{key} exists already")  # uuids do not collide
    if previous_rev is not None and current_rev != previous_rev:
        raise ConcurrentModification(f"{key} changed concurrently")


def _rev(stored: StoredSolution | StoredSubscription | None) -> int | None:
    return None if stored is None else stored.rev


class FakeSolutions:
    def __init__(self) -> None:
        self.stored: dict[str, StoredSolution] = {}
        self.prefixes: dict[str, list[str]] = {}  # the stored `cpv_prefixes` field
        self.events: list[OutboxItem] = []
        self.searches: list[SolutionQuery] = []

    async def get(self, solution_id: str) -> StoredSolution | None:
        return self.stored.get(solution_id)

    async def save(
        self,
        solution: Solution,
        events: list[OutboxItem],
        *,
        previous: StoredSolution | None,
        at: datetime,
    ) -> None:
        key = solution.solution_id
        current = self.stored.get(key)
        _check_rev(_rev(current), _rev(previous), key)
        rev = 1 if previous is None else previous.rev + 1
        created_at = at if previous is None else previous.created_at
        self.stored[key] = StoredSolution(solution, rev, created_at, at)
        self.prefixes[key] = cpv_prefixes(solution.cpv_codes)
        self.events.extend(events)

    async def add_deployment(
        self,
        previous: StoredSolution,
        deployment: Deployment,
        event: OutboxItem | None,
        at: datetime,
    ) -> bool:
        key = previous.solution.solution_id
        if self.stored[key].rev != previous.rev:
            return False
        changed = catalogue.add_deployment(previous.solution, deployment)
        self.stored[key] = replace(previous, solution=changed, rev=previous.rev + 1, updated_at=at)
        if event is not None:
            self.events.append(event)
        return True

    async def search(self, query: SolutionQuery) -> list[StoredSolution]:
        self.searches.append(query)

        def fits(stored: StoredSolution) -> bool:
            solution = stored.solution
            return (
                (not query.supplier_org or solution.supplier_org == query.supplier_org)
                and (not query.published_only or solution.status == "published")
                and (
                    query.cpv_prefixes is None
                    or bool(set(query.cpv_prefixes) & set(self.prefixes[solution.solution_id]))
                )
                and (query.regions is None or bool(set(query.regions) & set(solution.regions)))
            )

        return [s for s in self.stored.values() if fits(s)]


class FakeSubscriptions:
    def __init__(self) -> None:
        self.stored: dict[str, StoredSubscription] = {}
        self.events: list[OutboxItem] = []
        self.conflicts_to_raise = 0  # the next saves that lose a race

    async def get(self, subscription_id: str) -> StoredSubscription | None:
        return self.stored.get(subscription_id)

    async def active_of(self, org: str) -> list[StoredSubscription]:
        mine = [
            s
            for s in self.stored.values()
            if s.subscription.supplier_org == org and s.subscription.status == "active"
        ]
        return sorted(mine, key=lambda s: (s.created_at, s.subscription.subscription_id))

    async def save(
        self,
        subscription: Subscription,
        events: list[OutboxItem],
        *,
        previous: StoredSubscription | None,
        at: datetime,
    ) -> None:
        key = subscription.subscription_id
        if self.conflicts_to_raise:
            self.conflicts_to_raise -= 1
            raise ConcurrentModification(f"{key} changed concurrently")
        current = self.stored.get(key)
        _check_rev(_rev(current), _rev(previous), key)
        rev = 1 if previous is None else previous.rev + 1
        created_at = at if previous is None else previous.created_at
        self.stored[key] = StoredSubscription(subscription, rev, created_at, at)
        self.events.extend(events)


class FakeInbox:
    def __init__(self) -> None:
        self.docs: dict[str, Document] = {}

    async def store_many(self, entries: list[Document], at: datetime) -> list[Document]:
        stored = []
        for entry in entries:
            kept = self.docs.get(entry["_id"], {"created_at": at, "read": False})
            self.docs[entry["_id"]] = {**kept, **entry, "updated_at": at}
            stored.append(copy.deepcopy(self.docs[entry["_id"]]))
        return stored

    async def page_for(self, org: str, *, unread: bool | None, limit: int) -> list[Document]:
        mine = [
            d
            for d in self.docs.values()
            if d["supplier_org"] == org and (unread is None or d["read"] is not unread)
        ]
        mine.sort(key=lambda d: (d["created_at"], d["_id"]), reverse=True)
        return copy.deepcopy(mine[:limit])

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        doc = self.docs.get(entry_id)
        if doc is None or doc["supplier_org"] != org:
            return None
        doc.update(read=True, read_at=at)
        return copy.deepcopy(doc)
