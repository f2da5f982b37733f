"""From an event to the messages it causes: for each notice, each reachable contact of its
organisation whose preference for it is not "off" gets it at once or in its next digest.

Idempotent by event and contact: an immediate message's `_id` is derived from both, and a
digest takes an event's notice once (`keys`), so a redelivered or replayed event queues
nothing twice and needs no processed-event record. A scaling opportunity is keyed by the
opportunity (buyer and solution), not its event: told again as adoptions grow, it is
e-mailed once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from marketplace_contracts import events as ev
from marketplace_contracts.events import deterministic_id
from marketplace_platform.runtime import BatchItem

from ..adapters.repository import ContactBook, Document, MailStore
from ..domain import contacts as rules
from ..domain.notices import notices_of
from ..domain.preferences import cadence_for
from ..domain.schedule import DigestCadence, next_slot, zone

Clock = Callable[[], datetime]


class Notifier:
    def __init__(
        self,
        contacts: ContactBook,
        mails: MailStore,
        clock: Clock,
        *,
        digest_hour: int,
        weekly_weekday: int,
        wake: Callable[[str, datetime], None] = lambda _id, _at: None,
    ) -> None:
        """`wake(mail_id, due_at)` tells the sender of a message queued for then."""
        self.contacts = contacts
        self.mails = mails
        self.clock = clock
        self.digest_hour = digest_hour
        self.weekly_weekday = weekly_weekday
        self.wake = wake
        self.queued = 0

    async def on_event(self, payload: ev.Payload, event: ev.CloudEvent) -> None:
        await self.on_events([(payload, event)])

    async def on_batch(self, items: list[BatchItem]) -> None:
        await self.on_events([(i.payload, i.event) for i in items])

    async def on_events(self, events: list[tuple[ev.Payload, ev.CloudEvent]]) -> None:
        """The messages of a batch of events: the organisations' contacts read once, the
        immediate messages queued in one insert, each digest written once."""
        now = self.clock()
        notices = [n for payload, event in events for n in notices_of(payload, event.id, now)]
        orgs = sorted({n.org for n in notices})
        books = dict(
            zip(orgs, await asyncio.gather(*(self.contacts.of(o) for o in orgs)), strict=True)
        )
        immediate: list[Document] = []
        digests: dict[tuple[str, DigestCadence], list[Document]] = {}
        for notice in notices:
            for contact in books[notice.org]:
                if not rules.reachable(contact):
                    continue
                cadence = cadence_for(rules.rules_of(contact), notice.kind, notice.scope)
                if cadence == "off":
                    continue
                key = deterministic_id(notice.item["once_key"], notice.org)
                item = {**notice.item, "key": key, "kind": notice.kind, "scope": notice.scope}
                if cadence == "immediate":
                    immediate.append(self._immediate(notice.org, contact, item, now))
                else:
                    period: DigestCadence = "daily" if cadence == "daily" else "weekly"
                    digests.setdefault((contact["id"], period), []).append(
                        {"org": notice.org, "contact": contact, "item": item}
                    )
        for mail in await self.mails.add_absent(immediate):
            self.queued += 1
            self.wake(mail["_id"], mail["due_at"])
        for (_, period), entries in digests.items():
            contact, org = entries[0]["contact"], entries[0]["org"]
            await self._into_digest(org, contact, period, [e["item"] for e in entries], now)

    def _immediate(self, org: str, contact: Document, item: Document, now: datetime) -> Document:
        return {
            "_id": deterministic_id("mail", item["key"], contact["id"]),
            "type": "immediate",
            "org": org,
            "contact_id": contact["id"],
            "status": "pending",
            "due_at": now,
            "created_at": now,
            "attempts": 0,
            "item": item,
        }

    async def _into_digest(
        self,
        org: str,
        contact: Document,
        cadence: DigestCadence,
        items: list[Document],
        now: datetime,
    ) -> None:
        tz = zone(contact["time_zone"])
        after = now
        for _ in range(3):  # the digest being sent now: the next one takes the items
            slot = next_slot(after, cadence, tz, hour=self.digest_hour, weekday=self.weekly_weekday)
            digest: dict[str, Any] = {
                "_id": deterministic_id("digest", contact["id"], slot.key),
                "type": "digest",
                "cadence": cadence,
                "slot": slot.key,
                "org": org,
                "contact_id": contact["id"],
                "status": "collecting",
                "due_at": slot.due_at,
                "created_at": now,
                "attempts": 0,
            }
            outcome = await self.mails.append_to_digest(digest, items)
            if outcome != "closed":
                if outcome == "added":
                    self.wake(digest["_id"], slot.due_at)
                return
            after = slot.due_at
        raise RuntimeError(f"three digests of contact {contact['id']} closed at once")
