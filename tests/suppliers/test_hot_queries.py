"""Every read the suppliers service makes on its hot paths is answered from an index.

FerretDB 1.x answers from an index only a filter on `_id` alone; any other filter, sort or
count decodes the whole collection, which at national volumes (50 000 solutions, 10 000
subscriptions, a million inbox entries) takes seconds. So the read paths (the catalogue
and its pages, a solution, the inbox all, unread and read with their pages, marking an
entry read, a supplier's subscriptions and webhooks, the webhooks of the suppliers an inbox
batch concerns, a webhook's deliveries and their pages) are run against the real database
with every command recorded, and the database's own `explain` is asked about each `find`
they sent: a scan fails the test and names the query, and so does any count or aggregate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from marketplace_contracts.events import SolutionRetired
from marketplace_platform.live import InboxBroadcaster
from suppliers.adapters.catalogue import MongoProfiles, MongoSolutions
from suppliers.adapters.inbox import MongoInbox
from suppliers.adapters.subscriptions import MongoSubscriptions
from suppliers.adapters.webhooks import MongoDeliveries, MongoWebhooks
from suppliers.service.catalogue import Catalogue
from suppliers.service.inbox import Inbox
from suppliers.service.subscriptions import Subscriptions
from suppliers.service.webhooks import Webhooks
from tests.suppliers.fakes import FakeRelay
from tests.support.explain import scans
from tests.support.infra import setting, unique

pytestmark = pytest.mark.infra

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SOLUTION: dict[str, Any] = {
    "description": "VR-utbildning för vårdpersonal",
    "cpv_codes": ["80500000"],
    "regions": ["17"],
    "maturity": "market-ready",
}
FILTERS = [
    {},
    {"cpv": "805", "region": "1780"},
    {"q": "vårdpersonal"},
    {"q": "vr", "supplier": "acme"},
    {"include_retired": True},
]


class Commands(monitoring.CommandListener):
    """The commands sent while recording (name and body)."""

    def __init__(self) -> None:
        self.recording = False
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording:
            self.sent.append({"name": event.command_name, **dict(event.command)})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def never(host: str, port: int) -> list[str]:
    raise AssertionError("no address is resolved on a read path")


async def test_the_read_paths_send_only_finds_that_the_database_answers_from_an_index() -> None:
    commands = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        setting("MONGODB_URL"), event_listeners=[commands], tz_aware=True
    )
    try:
        db = client[unique("suphot").replace("-", "_")]
        solutions, inbox_repo = MongoSolutions(db), MongoInbox(db)
        subscription_repo, webhook_repo = MongoSubscriptions(db), MongoWebhooks(db)
        deliveries = MongoDeliveries(db)
        for backfill in (
            subscription_repo.backfill,
            webhook_repo.backfill,
            inbox_repo.backfill,
            deliveries.backfill,
        ):
            await backfill()
        catalogue = Catalogue(MongoProfiles(db), solutions, FakeRelay(), "/tests")
        inbox = Inbox(inbox_repo, InboxBroadcaster())
        subscriptions = Subscriptions(subscription_repo, FakeRelay(), "/tests")
        webhooks = Webhooks(webhook_repo, deliveries, never, allow_loopback=True, max_attempts=3)

        created = [
            await catalogue.publish(
                f"org{i % 3}" if i % 5 else "acme", {**SOLUTION, "name": f"S{i}"}
            )
            for i in range(30)
        ]
        retired = await catalogue.retire("acme", created[0]["id"])
        for i in range(5):
            await subscriptions.create("acme", {"keywords": [f"ord{i}"]})
        hooks = []
        for i in range(3):
            hook = {
                "_id": str(uuid.uuid4()),
                "supplier_org": "acme",
                "url": f"https://hooks.example.se/{i}",
                "secret": "0123456789abcdef",
                "status": "active",
                "consecutive_failures": 0,
                "pause_count": 0,
                "created_at": NOW + timedelta(seconds=i),
            }
            await webhook_repo.add(hook)
            hooks.append(hook)
        entries = [
            {
                "_id": f"e{i:04d}",
                "supplier_org": "acme",
                "kind": "alert.raised",
                "title": f"Ett behov {i}",
                "event_id": f"ev{i:04d}",
            }
            for i in range(260)  # more than one chunk of the inbox order
        ]
        for start in range(0, len(entries), 50):
            batch = entries[start : start + 50]
            stored = await inbox.store_many(batch, deliver=False)
            await deliveries.add_absent(
                [
                    webhooks._delivery(hooks[0], entry, NOW + timedelta(minutes=start))
                    for entry in stored
                ]
            )
        for entry in entries[::3]:
            await inbox.mark_read("acme", entry["_id"])

        commands.recording = True
        for filters in FILTERS:
            page = await catalogue.search(limit=4, **filters)  # type: ignore[arg-type]
            if page.next:
                await catalogue.search(cursor=page.next, limit=4, **filters)  # type: ignore[arg-type]
        assert (await catalogue.search(limit=4)).next is not None
        await catalogue.get(created[1]["id"])
        await catalogue.apply_to_listing(
            SolutionRetired(solution_id=retired["id"], version=2, supplier_org="acme")
        )
        for unread in (None, True, False):
            first = await inbox.list_for("acme", unread=unread, limit=20)
            assert first.items and first.next
            await inbox.list_for("acme", unread=unread, cursor=first.next, limit=20)
        await inbox.mark_read("acme", entries[1]["_id"])
        listed = await subscriptions.list_for("acme", limit=3)
        assert len(listed.items) == 3 and listed.next
        assert len((await subscriptions.list_for("acme", cursor=listed.next)).items) == 2
        await subscriptions.get("acme", listed.items[0]["id"])
        assert len((await webhooks.list_for("acme")).items) == 3
        await webhook_repo.count_of("acme")
        assert len(await webhook_repo.of_orgs(["acme", "org1", "nobody"])) == 3
        sent = await webhooks.deliveries("acme", hooks[0]["_id"], limit=100)
        assert len(sent.items) == 100 and sent.next
        await webhooks.deliveries("acme", hooks[0]["_id"], cursor=sent.next, limit=100)
        commands.recording = False

        finds = [c for c in commands.sent if c["name"] == "find"]
        assert len(finds) > 100  # the paths above did read, and were recorded
        others = {c["name"] for c in commands.sent} - {"find", "update", "insert"}
        assert not others, f"counts, aggregates or others on a read path: {others}"
        scanned = await scans(db, finds)
        assert not scanned, f"queries that read a whole collection: {scanned}"
    finally:
        await client.close()
