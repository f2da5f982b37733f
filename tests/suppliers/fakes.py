"""In-memory fakes of the suppliers' repository interfaces (`suppliers.adapters.repository`),
for fast tests of the service layer. They keep the contracts that the handlers rely on:
revision-guarded saves, the events written with the state, keyset pages (the key of a
page's last item to continue after), ownership left to the caller."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from marketplace_platform.outbox import ConcurrentModification
from suppliers.adapters.events import OutboxItem
from suppliers.adapters.repository import Key, StoredSolution, StoredSubscription
from suppliers.domain import catalogue
from suppliers.domain.catalogue import Deployment, Solution
from suppliers.domain.subscriptions import Subscription

Document = dict[str, Any]


def keyset_page(
    keyed: list[tuple[Key, Any]], after: Key | None, limit: int, *, newest_first: bool
) -> tuple[list[Any], Key | None]:
    """Items after `after` in the order of their (timestamp, id) keys: oldest first, or
    newest first and then id (as `OrgOrder`). The repositories' paging contract."""

    def rank(key: Key) -> Key:
        return (-key[0], key[1]) if newest_first else key

    ordered = sorted(keyed, key=lambda kv: rank(kv[0]))
    if after is not None:
        ordered = [kv for kv in ordered if rank(kv[0]) > rank(after)]
    if len(ordered) <= limit:
        return [v for _, v in ordered], None
    return [v for _, v in ordered[:limit]], ordered[limit - 1][0]


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
        self.events: list[OutboxItem] = []

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


class FakeSubscriptions:
    def __init__(self) -> None:
        self.stored: dict[str, StoredSubscription] = {}
        self.events: list[OutboxItem] = []
        self.conflicts_to_raise = 0  # the next saves that lose a race

    async def get(self, subscription_id: str) -> StoredSubscription | None:
        return self.stored.get(subscription_id)

    def _active_of(self, org: str) -> list[StoredSubscription]:
        return [
            s
            for s in self.stored.values()
            if s.subscription.supplier_org == org and s.subscription.status == "active"
        ]

    async def count_of(self, org: str) -> int:
        return len(self._active_of(org))

    async def page_of(
        self, org: str, *, after: Key | None, limit: int
    ) -> tuple[list[StoredSubscription], Key | None]:
        keyed = [
            ((s.created_at.timestamp(), s.subscription.subscription_id), s)
            for s in self._active_of(org)
        ]
        return keyset_page(keyed, after, limit, newest_first=False)

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

    async def page_for(
        self, org: str, *, unread: bool | None, after: Key | None, limit: int
    ) -> tuple[list[Document], Key | None]:
        keyed = [
            ((d["created_at"].timestamp(), d["_id"]), d)
            for d in self.docs.values()
            if d["supplier_org"] == org and (unread is None or d["read"] is not unread)
        ]
        docs, next_key = keyset_page(keyed, after, limit, newest_first=True)
        return copy.deepcopy(docs), next_key

    async def mark_read(self, org: str, entry_id: str, at: datetime) -> Document | None:
        doc = self.docs.get(entry_id)
        if doc is None or doc["supplier_org"] != org:
            return None
        doc.update(read=True, read_at=at)
        return copy.deepcopy(doc)

    async def prune_read(self, before: datetime) -> int:
        old = [i for i, d in self.docs.items() if d["read"] and d["created_at"] < before]
        for entry_id in old:
            del self.docs[entry_id]
        return len(old)
