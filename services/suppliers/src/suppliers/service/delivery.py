"""The webhook delivery worker: sends queued deliveries, signed, with retries.

Deliveries are documents (``webhook_deliveries``) so that nothing is lost on a crash: a
delivery is claimed with a lease (a compare-and-set by `_id`, `DeliveryRepository.claim`),
sent, and its attempt recorded in the same update that sets its next state. Each send runs
in its own asyncio task with a timeout, and each webhook has at most `per_webhook` sends in
flight, so a slow or dead receiver never delays the inbox (the consumer only queues) nor
other webhooks' deliveries.
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

from ..adapters.repository import DeliveryRepository, Document, WebhookRepository
from ..domain import inbox as inbox_rules
from ..domain import webhooks as rules
from ..domain.errors import RuleViolation
from .inbox import Inbox
from .webhooks import Webhooks

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        deliveries: DeliveryRepository,
        webhook_repository: WebhookRepository,
        webhooks: Webhooks,
        inbox: Inbox,
        *,
        timeout_s: float,
        base_delay_s: float,
        max_delay_s: float,
        poll_interval_s: float,
        per_webhook: int,
        lease_s: float,
        wake: asyncio.Event | None = None,
    ) -> None:
        """`wake`: set by whoever queues deliveries (`Webhooks(wake=wake.set)`), so that
        the worker sends them at once instead of at its next poll."""
        self.deliveries = deliveries
        self.webhook_repository = webhook_repository
        self.webhooks = webhooks
        self.inbox = inbox
        self.timeout_s = timeout_s
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.poll_interval_s = poll_interval_s
        self.per_webhook = per_webhook
        self.lease_s = lease_s
        self._wake = wake if wake is not None else asyncio.Event()
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
        lease_until = now + timedelta(seconds=self.lease_s)
        started = 0
        for doc in await self.deliveries.due(now):
            hook_id = doc["webhook_id"]
            if doc["_id"] in self._in_flight or self._per_hook[hook_id] >= self.per_webhook:
                continue
            if not await self.deliveries.claim(doc, lease_until):
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
            await self.deliveries.release(delivery["_id"], self._next_time(1))

    def _next_time(self, attempt: int) -> datetime:
        delay = rules.backoff_delay(attempt, self.base_delay_s, self.max_delay_s)
        return datetime.now(UTC) + timedelta(seconds=delay)

    async def _deliver_once(self, delivery: Document) -> None:
        hook = await self.webhook_repository.get(delivery["webhook_id"])
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
        attempted_at = datetime.now(UTC)
        attempt = {
            "attempt": attempt_no,
            "at": attempted_at,
            "status_code": status_code,
            "error": error,
            "duration_ms": round((time.monotonic() - started) * 1000),
        }
        if error is None:
            self.sent += 1
            await self._finish(
                delivery,
                {"status": "delivered", "delivered_at": attempted_at},
                attempt,
            )
            await self.webhook_repository.record_success(hook["_id"], attempted_at)
            return
        self.failed += 1
        limit = int(delivery.get("attempt_limit") or self.webhooks.max_attempts)
        await self.webhook_repository.record_failure(hook["_id"])
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
        await self.deliveries.finish(delivery, fields, attempt)

    async def _pause(self, hook: Document, reason: str) -> None:
        at = datetime.now(UTC)
        if not await self.webhook_repository.pause(hook["_id"], reason, at):
            return  # already paused (another delivery got there first)
        await self.deliveries.hold_pending(hook["_id"])
        pause_number = int(hook.get("pause_count", 0)) + 1
        log.warning("webhook paused", extra={"webhook": hook["_id"], "reason": reason})
        entry = inbox_rules.webhook_paused(
            hook["_id"], hook["supplier_org"], hook["url"], pause_number, reason, at
        )
        await self.inbox.store(entry, deliver=False)
