"""The sender: takes each queued message when it is due, sends it over SMTP and records
the outcome.

At least once, and once in all but one case: a message is marked sent right after the
server took it, so a redelivered event, a restart or a crash between two messages sends
nothing twice. A crash in the milliseconds between the server's acceptance and that mark
sends that one message again after the restart, under the same Message-ID; no SMTP
client can do better, since the server's acceptance and our record cannot be one write.

A temporary refusal (4xx) is retried with a doubling backoff; a permanent one (5xx)
marks the message failed and the address failing, which the organisation sees on its
contact. A server that cannot be reached is waited for (doubling, capped), and the
messages keep their place.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from ..adapters.repository import DONE, ContactBook, Document, MailStore
from ..adapters.smtp import Connection, SmtpServer
from ..domain import contacts as rules
from ..domain.links import Unsubscribe, unsubscribe_token
from . import compose

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SenderOptions:
    mail_from: str
    portal_url: str
    public_url: str
    secret: str
    batch: int = 50
    interval_s: float = 1.0
    retry_base_s: float = 2.0
    retry_cap_s: float = 300.0
    reconnect_cap_s: float = 4.0
    rescan_s: float = 300.0


class Sender:
    def __init__(
        self,
        mails: MailStore,
        contacts: ContactBook,
        smtp: SmtpServer,
        clock: Clock,
        options: SenderOptions,
    ) -> None:
        self.mails = mails
        self.contacts = contacts
        self.smtp = smtp
        self.clock = clock
        self.options = options
        self._due: list[tuple[datetime, str]] = []
        self._queued: set[str] = set()
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.counts: Counter[str] = Counter()
        self.unreachable_since: datetime | None = None

    # --- the queue in memory -----------------------------------------------------------

    def wake(self, mail_id: str, due_at: datetime) -> None:
        if mail_id not in self._queued:
            self._queued.add(mail_id)
            heapq.heappush(self._due, (due_at, mail_id))
        self._woken.set()

    async def load(self) -> None:
        """Everything not done, from the queue collection: at start, and now and then in
        case a write reached the database but not this process's memory."""
        for due_at, mail_id in await self.mails.open_queue():
            self.wake(mail_id, due_at)

    def _take_due(self, now: datetime) -> list[str]:
        taken: list[str] = []
        while self._due and self._due[0][0] <= now and len(taken) < self.options.batch:
            _, mail_id = heapq.heappop(self._due)
            self._queued.discard(mail_id)
            taken.append(mail_id)
        return taken

    def _seconds_to_next(self, now: datetime) -> float:
        if not self._due:
            return self.options.interval_s
        return max(0.0, min((self._due[0][0] - now).total_seconds(), self.options.interval_s))

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        reconnect_wait = 0.5
        last_scan = self.clock()
        while True:
            now = self.clock()
            if (now - last_scan).total_seconds() >= self.options.rescan_s:
                with contextlib.suppress(Exception):
                    await self.load()
                last_scan = now
            batch = self._take_due(now)
            if not batch:
                self._woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), self._seconds_to_next(now))
                continue
            try:
                await self.send_batch(batch)
                reconnect_wait = 0.5
            except ConnectionError as exc:
                for mail_id in batch:
                    self.wake(mail_id, now)
                self.unreachable_since = self.unreachable_since or now
                log.warning("mail server unreachable, waiting %.1f s: %s", reconnect_wait, exc)
                await asyncio.sleep(reconnect_wait)
                reconnect_wait = min(reconnect_wait * 2, self.options.reconnect_cap_s)
            except Exception:
                log.exception("sending failed; the messages are tried again")
                for mail_id in batch:
                    self.wake(mail_id, self.clock() + timedelta(seconds=1))
                await asyncio.sleep(1)

    async def flush(self, at: datetime) -> dict[str, int | bool]:
        """Send now every message due at `at` (a digest run at a chosen time: development
        and tests). A mail server that is away leaves them queued, as the sender would."""
        before = self.counts["sent"]
        reachable = True
        while batch := self._take_due(at):
            try:
                await self.send_batch(batch)
            except ConnectionError:
                for mail_id in batch:
                    self.wake(mail_id, self.clock())
                reachable = False
                break
        return {"sent": self.counts["sent"] - before, "mail_server_reachable": reachable}

    async def send_batch(self, mail_ids: list[str]) -> None:
        """Send these messages over one connection; raises `ConnectionError` when the
        server cannot be reached before any was tried."""
        # Read at once, before connecting: each a lookup by `_id`, and the contacts of
        # each organisation once for the batch.
        mails = [
            m
            for m in await asyncio.gather(*(self.mails.get(i) for i in mail_ids))
            if m is not None and m["status"] not in DONE
        ]
        if not mails:
            return
        orgs = sorted({m["org"] for m in mails})
        books = dict(
            zip(orgs, await asyncio.gather(*(self.contacts.of(o) for o in orgs)), strict=True)
        )
        async with self.smtp.connect() as connection:
            self.unreachable_since = None
            for index, mail in enumerate(mails):
                contact = next(
                    (c for c in books[mail["org"]] if c["id"] == mail["contact_id"]), None
                )
                if not await self._send_one(connection, mail, contact):
                    # The connection dropped: the rest wait for the next one.
                    for rest in mails[index + 1 :]:
                        self.wake(rest["_id"], self.clock())
                    return

    async def _send_one(
        self, connection: Connection, mail: Document, contact: Document | None
    ) -> bool:
        """False when the connection is gone (the message waits for the next)."""
        mail_id = mail["_id"]
        now = self.clock()
        if contact is None:
            await self.mails.finish(mail_id, "cancelled", now, reason="contact removed")
            return True
        if mail["type"] != "verification" and not rules.reachable(contact):
            await self.mails.finish(mail_id, "cancelled", now, reason="address not reachable")
            return True
        if mail["type"] == "digest":
            # Closed to new items from here on; its items as they stand when closed.
            claimed = await self.mails.claim(mail)
            if claimed is None:
                return True
            mail = claimed
        try:
            message = self._compose(mail, contact, now)
        except Exception as exc:  # a message that cannot be written never will be
            log.exception("message %s cannot be composed", mail_id)
            await self.mails.finish(mail_id, "failed", now, last_error=f"not composed: {exc}")
            self.counts["failed"] += 1
            return True
        result = await connection.send(message)
        if result.outcome == "sent":
            sent_at = self.clock()
            await self.mails.finish(mail_id, "sent", sent_at, sent_at=sent_at)
            self.counts["sent"] += 1
            return True
        if result.outcome == "permanent":
            await self.mails.finish(mail_id, "failed", now, last_error=result.detail)
            await self._address_failing(mail["org"], contact["id"], result.detail, now)
            contact["address_status"] = "failing"  # the rest of this batch skips it too
            self.counts["failed"] += 1
            return True
        attempts = int(mail.get("attempts", 0)) + 1
        backoff = min(self.options.retry_base_s * 2 ** (attempts - 1), self.options.retry_cap_s)
        due = now + timedelta(seconds=backoff)
        await self.mails.retry(mail_id, due, result.detail)
        self.wake(mail_id, due)
        self.counts["retried"] += 1
        return result.outcome == "temporary"

    async def _address_failing(self, org: str, contact_id: str, detail: str, at: datetime) -> None:
        def mark(contacts: list[Document]) -> tuple[list[Document], None]:
            for contact in contacts:
                if contact["id"] == contact_id:
                    contact["address_status"] = "failing"
                    contact["failure"] = {"detail": detail, "at": at}
            return contacts, None

        await self.contacts.change(org, mark)

    def _compose(self, mail: Document, contact: Document, now: datetime) -> EmailMessage:
        o = self.options
        to = compose.Recipient(
            mail["org"], contact["id"], contact["name"], contact["email"], contact["language"]
        )
        if mail["type"] == "verification":
            url = f"{o.public_url}/v1/verify?token={mail['token']}"
            message = compose.verification(mail["_id"], to, url, o.portal_url, now)
        elif mail["type"] == "digest":
            stop = Unsubscribe(mail["org"], contact["id"], None, None)
            links = compose.Links(o.portal_url, self._unsubscribe_url(stop))
            message = compose.digest(
                mail["_id"],
                to,
                cadence=mail["cadence"],
                items=list(mail.get("items") or []),
                links=links,
                at=now,
            )
        else:
            item = mail["item"]
            scope = item["scope"] if item["kind"] in ("alerts", "scaling") else None
            stop = Unsubscribe(mail["org"], contact["id"], item["kind"], scope)
            links = compose.Links(o.portal_url, self._unsubscribe_url(stop))
            message = compose.immediate(mail["_id"], to, item, links, now)
        message["From"] = o.mail_from
        return message

    def _unsubscribe_url(self, stop: Unsubscribe) -> str:
        token = unsubscribe_token(self.options.secret, stop)
        return f"{self.options.public_url}/v1/unsubscribe?token={token}"

    def stats(self) -> dict[str, object]:
        return {
            **self.counts,
            "in_memory": len(self._due),
            "unreachable_since": self.unreachable_since.isoformat()
            if self.unreachable_since
            else None,
        }
