"""The supplier inbox: entries from match.found and alert.raised (each once), read state,
live fan-out, and the webhook deliveries every new or changed entry causes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from marketplace_contracts.events import AlertRaised, CloudEvent, MatchFound
from marketplace_platform.errors import NotFound
from marketplace_platform.live import InboxBroadcaster
from marketplace_platform.runtime import BatchItem

from ..adapters.repository import Document, InboxRepository
from ..domain import inbox as rules
from .paging import Page, after_cursor, next_cursor

Enqueue = Callable[[list[dict[str, Any]]], Awaitable[int]]


class Inbox:
    def __init__(
        self,
        entries: InboxRepository,
        broadcaster: InboxBroadcaster,
        enqueue_deliveries: Enqueue | None = None,
    ) -> None:
        """`enqueue_deliveries` queues the webhook deliveries of new or changed entries
        (`Webhooks.enqueue_many`); without it, entries are stored and broadcast only."""
        self.entries = entries
        self.broadcaster = broadcaster
        self.enqueue_deliveries = enqueue_deliveries

    async def on_match(self, match: MatchFound, event: CloudEvent) -> None:
        await self.store(rules.from_match(match, event.id), deliver=True)

    async def on_alert(self, alert: AlertRaised, event: CloudEvent) -> None:
        await self.store(rules.from_alert(alert, event.id), deliver=True)

    async def on_batch(self, items: list[BatchItem]) -> None:
        """match.found and alert.raised in batches: one insert for the new entries, one
        for their webhook deliveries."""
        fields: list[Document] = []
        for item in items:
            if isinstance(item.payload, MatchFound):
                fields.append(rules.from_match(item.payload, item.event.id))
            elif isinstance(item.payload, AlertRaised):
                fields.append(rules.from_alert(item.payload, item.event.id))
        await self.store_many(fields, deliver=True)

    async def store(self, fields: Document, *, deliver: bool) -> dict[str, Any]:
        return (await self.store_many([fields], deliver=deliver))[0]

    async def store_many(self, fields: list[Document], *, deliver: bool) -> list[dict[str, Any]]:
        """Write entries by id (a replay rewrites the same entry), then fan out.

        A crash after the write and before the deliveries are queued is repaired by the
        redelivered event: both steps are idempotent (entry id, delivery id from event id).
        """
        stored = await self.entries.store_many(fields, datetime.now(UTC))
        entries = [rules.public(doc) for doc in stored]
        if deliver and self.enqueue_deliveries is not None:
            await self.enqueue_deliveries(entries)
        for entry in entries:
            self.broadcaster.publish(entry["supplier_org"], entry)
        return entries

    async def list_for(
        self, org: str, *, unread: bool | None, cursor: str | None = None, limit: int
    ) -> Page:
        """A page of the inbox, newest first, from the supplier's inbox order."""
        docs, next_key = await self.entries.page_for(
            org, unread=unread, after=after_cursor(cursor), limit=limit
        )
        return Page([rules.public(d) for d in docs], next_cursor(next_key))

    async def prune_read(self, retention: timedelta) -> int:
        """Delete the entries read and created longer than `retention` ago."""
        return await self.entries.prune_read(datetime.now(UTC) - retention)

    async def mark_read(self, org: str, entry_id: str) -> dict[str, Any]:
        doc = await self.entries.mark_read(org, entry_id, datetime.now(UTC))
        if doc is None:  # another organisation's entry does not exist for it
            raise NotFound(f"no inbox entry {entry_id}")
        return rules.public(doc)
