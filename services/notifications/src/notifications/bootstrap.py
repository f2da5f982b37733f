"""Wires the notifications service: settings, runtime, contacts, the notifier fed by
Kafka, the SMTP sender, the HTTP API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from marketplace_platform.http import create_app
from marketplace_platform.runtime import ServiceRuntime

from .adapters.captured import CapturedMail
from .adapters.repository import ContactBook, MailStore
from .adapters.smtp import SmtpServer
from .entrypoints import consumers
from .entrypoints.http import build_router
from .service.contacts import Contacts
from .service.notify import Notifier
from .service.sender import Sender, SenderOptions
from .settings import NotificationsSettings

TITLE = "Marketplace notifications service"
DESCRIPTION = (
    "E-mail for organisations' contacts: matches, alerts and scaling opportunities at once "
    "or in daily and weekly digests, in Swedish or English, with verified addresses and "
    "one-click unsubscribe."
)


def build(
    settings: NotificationsSettings | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    settings = settings or NotificationsSettings()
    # Only one instance writes on FerretDB 1.x, whose updates are not atomic: the digests
    # and the queue are read-modify-write under this process's locks.
    runtime = ServiceRuntime(settings, single_writer=True)
    book = ContactBook(runtime.db)
    mails = MailStore(runtime.db)
    secret = settings.jwt_secret.get_secret_value()
    sender = Sender(
        mails,
        book,
        SmtpServer(settings),
        clock,
        SenderOptions(
            mail_from=settings.mail_from,
            portal_url=settings.portal_url.rstrip("/"),
            public_url=settings.public_url.rstrip("/"),
            secret=secret,
            batch=settings.send_batch,
            interval_s=settings.send_interval_s,
            retry_base_s=settings.retry_base_s,
            retry_cap_s=settings.retry_cap_s,
        ),
    )
    notifier = Notifier(
        book,
        mails,
        clock,
        digest_hour=settings.digest_hour,
        weekly_weekday=settings.weekly_digest_weekday,
        wake=sender.wake,
    )
    contacts = Contacts(
        book,
        mails,
        clock,
        secret=secret,
        auto_verify=settings.auto_verify and settings.environment != "production",
        default_time_zone=settings.default_time_zone,
        wake=sender.wake,
    )
    consumers.register(runtime, notifier)
    runtime.before_consuming.append(mails.ensure_indexes)
    runtime.before_consuming.append(sender.load)
    # Sending needs the writer lease and the queue, not Kafka: after a restart the backlog
    # goes out while the consumers are still joining their groups.
    runtime.before_consuming.append(_start(sender))

    async def prune_sent() -> int:
        return await mails.prune(clock() - timedelta(days=settings.sent_retention_days))

    runtime.prunes.append(prune_sent)
    development = settings.environment != "production"
    captured = (
        CapturedMail(settings.mail_capture_dir)
        if development and settings.mail_capture_dir
        else None
    )
    app = create_app(
        runtime,
        title=TITLE,
        description=DESCRIPTION,
        routers=[
            build_router(
                contacts,
                sender,
                portal_url=settings.portal_url.rstrip("/"),
                development=development,
                captured=captured,
            )
        ],
        on_stop=[sender.stop],
    )
    app.state.sender = sender
    app.state.notifier = notifier
    return app


def _start(sender: Sender) -> Callable[[], Awaitable[None]]:
    async def start() -> None:
        sender.start()

    return start
