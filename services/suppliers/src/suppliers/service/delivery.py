"""The webhook delivery worker: sends queued deliveries, signed, with retries.

Deliveries are documents (``webhook_deliveries``) so that nothing is lost on a crash: a
delivery is claimed with a lease (`guarded_update`: a compare-and-set that FerretDB 1.x can
look up by `_id`), sent, and its attempt recorded in the same update that sets its next
state. Each send runs in its own asyncio task with a timeout, and each webhook has at most
`per_webhook` sends in flight, so a slow or dead receiver never delays the inbox (the
consumer only queues) nor other webhooks' deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from marketplace_platform.mongo import guarded_update

from ..adapters.repository import Collections, Document
from ..domain import inbox as inbox_rules
from ..domain import webhooks as rules
from ..domain.errors import RuleViolation
from .inbox import Inbox
from .webhooks import Webhooks

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        cols: Collections,
        webhooks: Webhooks,
        inbox: Inbox,
        *,
        timeout_s: float,
        base_delay_s: float,
        max_delay_s: float,
        poll_interval_s: float,
        per_webhook: int,
        lease_s: float,
    ) -> None:
        self.cols = cols
        self.webhooks = webhooks
        self.inbox = inbox
        self.timeout_s = timeout_s
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.poll_interval_s = poll_interval_s
        self.per_webhook = per_webhook
        self.lease_s = lease_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._per_hook: Counter[str] = Counter()
        self._client: httpx.AsyncClient | None = None
        self.sent = 0
        self.failed = 0

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=False,  # a redirect could point at a refused address
            headers={"User-Agent": "marketplace-webhooks/1"},
        )
        self._task = asyncio.create_task(self._run(), name="webhook-deliveries")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._in_flight.values()):
            task.cancel()
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.dispatch_due()
            except Exception as exc:  # the database may be down; try again later
                log.warning("webhook dispatch failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval_s)

    async def dispatch_due(self) -> int:
        now = datetime.now(UTC)
        due: list[Document] = []
        async for doc in self.cols.deliveries.find(
            {"status": "pending", "next_attempt_at": {"$lte": now}}
        ).limit(500):
            due.append(doc)
        async for doc in self.cols.deliveries.find(
            {"status": "sending", "lease_until": {"$lt": now}}
        ).limit(100):
            due.append(doc)  # a worker died while sending: try again
        due.sort(key=lambda d: d["next_attempt_at"])
        started = 0
        for doc in due:
            hook_id = doc["webhook_id"]
            if doc["_id"] in self._in_flight or self._per_hook[hook_id] >= self.per_webhook:
                continue
            claimed = await guarded_update(
                self.cols.deliveries,
                doc["_id"],
                {"status": doc["status"], "attempt_count": doc.get("attempt_count", 0)},
                {
                    "$set": {
                        "status": "sending",
                        "lease_until": now + timedelta(seconds=self.lease_s),
                    }
                },
            )
            if not claimed:
                continue  # another worker took it
            self._per_hook[hook_id] += 1
            task = asyncio.create_task(self._deliver(doc), name=f"delivery-{doc['_id']}")
            self._in_flight[doc["_id"]] = task
            task.add_done_callback(functools.partial(self._done, doc["_id"], hook_id))
            started += 1
        return started

    def _done(self, delivery_id: str, hook_id: str, _task: asyncio.Task[None]) -> None:
        self._in_flight.pop(delivery_id, None)
        self._per_hook[hook_id] -= 1
        if self._per_hook[hook_id] <= 0:
            del self._per_hook[hook_id]
        self.wake()  # a slot is free: the next delivery of that webhook may go

    async def _deliver(self, delivery: Document) -> None:
        try:
            await self._deliver_once(delivery)
        except Exception:
            log.exception("webhook delivery crashed", extra={"delivery": delivery["_id"]})
            # Back to pending: the lease expiry would also do it, this is just sooner.
            await guarded_update(
                self.cols.deliveries,
                delivery["_id"],
                {"status": "sending"},
                {"$set": {"status": "pending", "next_attempt_at": self._next_time(1)}},
            )

    def _next_time(self, attempt: int) -> datetime:
        delay = rules.backoff_delay(attempt, self.base_delay_s, self.max_delay_s)
        return datetime.now(UTC) + timedelta(seconds=delay)

    async def _deliver_once(self, delivery: Document) -> None:
        hook = await self.cols.webhooks.find_one({"_id": delivery["webhook_id"]})
        if hook is None:
            await self._finish(delivery, {"status": "cancelled"})
            return
        if hook["status"] != "active":
            await self._finish(delivery, {"status": "held"})
            return
        attempt_no = int(delivery.get("attempt_count", 0)) + 1
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            await self.webhooks.check_target(hook["url"])  # DNS may have changed since
            body = delivery["body"].encode("utf-8")
            timestamp = int(time.time())
            assert self._client is not None
            response = await self._client.post(
                hook["url"],
                content=body,
                headers={
                    "Content-Type": "application/json",
                    rules.EVENT_ID_HEADER: delivery["event_id"],
                    rules.SIGNATURE_HEADER: rules.signature_header(hook["secret"], timestamp, body),
                },
            )
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"the receiver answered {status_code}"
        except RuleViolation as exc:
            error = f"refused target: {exc.message}"
        except httpx.TimeoutException:
            error = f"no answer within {self.timeout_s:g}s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempt = {
            "attempt": attempt_no,
            "at": datetime.now(UTC),
            "status_code": status_code,
            "error": error,
            "duration_ms": round((time.monotonic() - started) * 1000),
        }
        if error is None:
            self.sent += 1
            await self._finish(
                delivery,
                {"status": "delivered", "delivered_at": attempt["at"]},
                attempt,
            )
            await self.cols.webhooks.update_one(
                {"_id": hook["_id"]},
                {"$set": {"consecutive_failures": 0, "last_success_at": attempt["at"]}},
            )
            return
        self.failed += 1
        limit = int(delivery.get("attempt_limit") or self.webhooks.max_attempts)
        await self.cols.webhooks.update_one(
            {"_id": hook["_id"]}, {"$inc": {"consecutive_failures": 1}}
        )
        if attempt_no < limit:
            await self._finish(
                delivery,
                {"status": "pending", "next_attempt_at": self._next_time(attempt_no)},
                attempt,
            )
            return
        await self._finish(delivery, {"status": "failed"}, attempt)
        await self._pause(hook, f"{attempt_no} failed attempts; last: {error}")

    async def _finish(
        self, delivery: Document, fields: dict[str, Any], attempt: dict[str, Any] | None = None
    ) -> None:
        update: Document = {"$set": fields, "$unset": {"lease_until": ""}}
        if attempt is not None:
            update["$push"] = {"attempts": attempt}
            update["$inc"] = {"attempt_count": 1}
        await guarded_update(self.cols.deliveries, delivery["_id"], {"status": "sending"}, update)

    async def _pause(self, hook: Document, reason: str) -> None:
        at = datetime.now(UTC)
        paused = await guarded_update(
            self.cols.webhooks,
            hook["_id"],
            {"status": "active"},
            {
                "$set": {"status": "paused", "paused_at": at, "pause_reason": reason},
                "$inc": {"pause_count": 1},
            },
        )
        if not paused:
            return  # already paused (another delivery got there first)
        await self.cols.deliveries.update_many(
            {"webhook_id": hook["_id"], "status": "pending"}, {"$set": {"status": "held"}}
        )
        pause_number = int(hook.get("pause_count", 0)) + 1
        log.warning("webhook paused", extra={"webhook": hook["_id"], "reason": reason})
        entry = inbox_rules.webhook_paused(
            hook["_id"], hook["supplier_org"], hook["url"], pause_number, reason, at
        )
        await self.inbox.store(entry, deliver=False)
