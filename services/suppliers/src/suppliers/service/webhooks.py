"""Handlers for webhooks: register (URL checked), list, delete, deliveries, resume, and the
queueing of a delivery per inbox entry and webhook."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from marketplace_contracts.events import deterministic_id
from marketplace_platform.errors import Conflict, NotFound

from ..adapters.repository import DeliveryRepository, Document, WebhookRepository
from ..domain import webhooks as rules
from ..domain.webhooks import Target
from .paging import Page, after_cursor, next_cursor

Resolve = Callable[[str, int], Awaitable[list[str]]]
MAX_PER_SUPPLIER = 10


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def public_webhook(doc: Document) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "url": doc["url"],
        "status": doc["status"],
        "consecutive_failures": doc.get("consecutive_failures", 0),
        "created_at": _iso(doc.get("created_at")),
        "paused_at": _iso(doc.get("paused_at")),
        "pause_reason": doc.get("pause_reason"),
        "last_success_at": _iso(doc.get("last_success_at")),
    }


def public_delivery(doc: Document) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "webhook_id": doc["webhook_id"],
        "entry_id": doc["entry_id"],
        "event_id": doc["event_id"],
        "kind": doc.get("kind"),
        "status": doc["status"],
        "attempt_count": doc.get("attempt_count", 0),
        "next_attempt_at": _iso(doc.get("next_attempt_at")) if doc["status"] == "pending" else None,
        "created_at": _iso(doc.get("created_at")),
        "delivered_at": _iso(doc.get("delivered_at")),
        "attempts": [
            {
                "attempt": a["attempt"],
                "at": _iso(a["at"]),
                "status_code": a.get("status_code"),
                "error": a.get("error"),
                "duration_ms": a.get("duration_ms"),
            }
            for a in doc.get("attempts") or []
        ],
    }


class Webhooks:
    def __init__(
        self,
        webhooks: WebhookRepository,
        deliveries: DeliveryRepository,
        resolve: Resolve,
        *,
        allow_loopback: bool,
        max_attempts: int,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        """`wake` tells the delivery worker that deliveries are due now (the `set` of the
        event it waits on); without it, the worker finds them at its next poll."""
        self.webhooks = webhooks
        self.delivery_queue = deliveries
        self.resolve = resolve
        self.allow_loopback = allow_loopback
        self.max_attempts = max_attempts
        self.wake = wake

    async def check_target(self, url: str, field_name: str = "url") -> Target:
        """Syntax, then every resolved address (no private, loopback, link-local ...)."""
        target = rules.parse_url(url, field_name)
        addresses = await self.resolve(target.host, target.port)
        rules.check_addresses(
            target.host, addresses, allow_loopback=self.allow_loopback, field_name=field_name
        )
        return target

    async def register(self, org: str, url: str, secret: str) -> dict[str, Any]:
        rules.check_secret(secret)
        target = await self.check_target(url)
        if await self.webhooks.count_of(org) >= MAX_PER_SUPPLIER:
            raise Conflict(f"a supplier may register at most {MAX_PER_SUPPLIER} webhooks")
        doc = {
            "_id": str(uuid.uuid4()),
            "supplier_org": org,
            "url": target.url,
            "secret": secret,
            "status": "active",
            "consecutive_failures": 0,
            "pause_count": 0,
            "created_at": datetime.now(UTC),
        }
        await self.webhooks.add(doc)
        return public_webhook(doc)

    async def list_for(self, org: str) -> Page:
        """All of the supplier's webhooks (at most `MAX_PER_SUPPLIER`), oldest first: one
        page, whose `next` is always None."""
        return Page([public_webhook(d) for d in await self.webhooks.of_org(org)], None)

    async def _load_own(self, org: str, webhook_id: str) -> Document:
        doc = await self.webhooks.get(webhook_id)
        if doc is None or doc["supplier_org"] != org:  # another's does not exist for it
            raise NotFound(f"no webhook {webhook_id}")
        return doc

    async def get(self, org: str, webhook_id: str) -> dict[str, Any]:
        return public_webhook(await self._load_own(org, webhook_id))

    async def delete(self, org: str, webhook_id: str) -> None:
        await self._load_own(org, webhook_id)
        await self.webhooks.delete(org, webhook_id)
        await self.delivery_queue.cancel_open(webhook_id)

    async def deliveries(
        self, org: str, webhook_id: str, *, cursor: str | None = None, limit: int
    ) -> Page:
        """A page of the webhook's deliveries, newest first, from its delivery order."""
        await self._load_own(org, webhook_id)
        docs, next_key = await self.delivery_queue.of_webhook(
            webhook_id, after=after_cursor(cursor), limit=limit
        )
        return Page([public_delivery(d) for d in docs], next_cursor(next_key))

    async def prune_deliveries(self, retention: timedelta) -> int:
        """Delete the deliveries done (delivered or cancelled) and queued longer than
        `retention` ago."""
        return await self.delivery_queue.prune_done(datetime.now(UTC) - retention)

    async def resume(self, org: str, webhook_id: str) -> dict[str, Any]:
        """Un-pause: held deliveries and the ones that failed while pausing get new attempts."""
        doc = await self._load_own(org, webhook_id)
        if doc["status"] != "paused":
            raise Conflict("the webhook is not paused", field="status")
        await self.check_target(doc["url"], "url")
        await self.webhooks.resume(webhook_id, datetime.now(UTC))
        await self.delivery_queue.reopen_stopped(webhook_id, datetime.now(UTC), self.max_attempts)
        self.wake()
        return await self.get(org, webhook_id)

    async def enqueue_many(self, entries: list[dict[str, Any]]) -> int:
        """One delivery per webhook of each entry's supplier, idempotent by (webhook,
        event); one query for the webhooks and one insert for all deliveries."""
        orgs = sorted({e["supplier_org"] for e in entries})
        if not orgs:
            return 0
        hooks: dict[str, list[Document]] = {}
        for hook in await self.webhooks.of_orgs(orgs):
            hooks.setdefault(hook["supplier_org"], []).append(hook)
        at = datetime.now(UTC)
        deliveries = [
            self._delivery(hook, entry, at)
            for entry in entries
            for hook in hooks.get(entry["supplier_org"], [])
        ]
        await self.delivery_queue.add_absent(deliveries)
        if deliveries:
            self.wake()
        return len(deliveries)

    def _delivery(self, hook: Document, entry: dict[str, Any], at: datetime) -> Document:
        body = json.dumps(
            {"type": entry["kind"], "event_id": entry["event_id"], "entry": entry},
            separators=(",", ":"),
            sort_keys=True,
        )
        return {
            "_id": deterministic_id("delivery", hook["_id"], entry["event_id"]),
            "webhook_id": hook["_id"],
            "supplier_org": entry["supplier_org"],
            "entry_id": entry["id"],
            "event_id": entry["event_id"],
            "kind": entry["kind"],
            "body": body,
            "status": "pending" if hook["status"] == "active" else "held",
            "attempt_count": 0,
            "attempt_limit": self.max_attempts,
            "attempts": [],
            "next_attempt_at": at,
            "created_at": at,
        }
