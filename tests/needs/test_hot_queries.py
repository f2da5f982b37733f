"""Every read the needs service makes on its hot paths is answered from an index.

FerretDB 1.x answers from an index only a filter on `_id` alone; any other filter decodes
the whole collection, which at national volumes takes seconds. So the read paths (a need,
a page of needs, a buyer's own needs, the inbox all and unread, a need's matches) are run
against the real database with every command recorded, and the database's own `explain`
is asked about each `find` they sent: a scan fails the test and names the query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from marketplace_contracts.events import MatchFound, MatchReason, deterministic_id
from needs.adapters.repository import InboxRepository, NeedsRepository
from needs.domain.model import Need
from tests.support.explain import scans
from tests.support.infra import setting, unique

pytestmark = pytest.mark.infra

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Finds(monitoring.CommandListener):
    """The `find` commands sent while recording (collection, filter and the rest)."""

    def __init__(self) -> None:
        self.recording = False
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording and event.command_name == "find":
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def draft(org: str, i: int) -> Need:
    return Need.draft(
        buyer_org=org,
        by="anna",
        now=NOW + timedelta(minutes=i),
        title=f"Träning för vårdpersonal {i}",
        problem="Personalen behöver öva bemötande vid demens.",
        cpv_codes=["80500000-9"],
        municipality_code="1780",
    )


def match(need: Need, solution: str) -> MatchFound:
    return MatchFound(
        match_id=deterministic_id(need.id, solution),
        need_id=need.id,
        need_version=1,
        need_title=need.title,
        buyer_org=need.buyer_org,
        solution_id=solution,
        solution_version=1,
        solution_name=f"Lösning {solution}",
        supplier_org="acme",
        score=0.5,
        reasons=[MatchReason(component="cpv", score=0.5, detail="same group 805")],
    )


async def test_the_read_paths_send_only_finds_that_the_database_answers_from_an_index() -> None:
    finds = Finds()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        setting("MONGODB_URL"), event_listeners=[finds], tz_aware=True
    )
    try:
        db = client[unique("hot").replace("-", "_")]
        needs, inbox = NeedsRepository(db, "/tests"), InboxRepository(db)
        await needs.ensure_indexes()
        await inbox.ensure_indexes()
        drafts = [draft("karlstad", i) for i in range(30)]
        for need in drafts:
            await needs.save(need, None)
        for need in drafts[:5]:
            await inbox.upsert_matches([match(need, f"sol-{i}") for i in range(10)], NOW)
        entry = (await inbox.entries("karlstad", unread_only=False, after=None, limit=1))[0][0]
        await inbox.mark_read("karlstad", entry["_id"], NOW)

        finds.recording = True
        await needs.get(drafts[0].id)
        await needs.get_many([n.id for n in drafts[:20]])
        refs, more = await needs.own_refs("karlstad", after=None, limit=20)
        assert len(refs) == 20 and more
        last = refs[-1]
        assert await needs.own_refs("karlstad", after=(-last.created_ts, last.entry_id), limit=20)
        for unread_only in (False, True):
            docs, more = await inbox.entries(
                "karlstad", unread_only=unread_only, after=None, limit=20
            )
            assert docs and more
            after = (docs[-1]["created_at"].timestamp(), docs[-1]["_id"])
            await inbox.entries("karlstad", unread_only=unread_only, after=after, limit=20)
        assert len(await inbox.matches_of(drafts[0].id)) == 10
        finds.recording = False

        assert len(finds.commands) > 20  # the paths above did read, and were recorded
        scanned = await scans(db, finds.commands)
        assert not scanned, f"queries that read a whole collection: {scanned}"
    finally:
        await client.close()
