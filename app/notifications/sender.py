"""Sending the outbox: claim a batch in one short transaction, talk SMTP with no transaction open,
record what happened in another short one.

On SQLite a write transaction holds the whole database's lock, and on PostgreSQL a row lock held
through an SMTP conversation would stall everyone else, so nothing slow happens inside either.
A claim moves the rows' next_attempt_at a lease ahead, so no other sender takes them meanwhile; on
PostgreSQL the claim also skips rows another sender is claiming at that instant (FOR UPDATE SKIP
LOCKED), so several workers share the outbox and never send one row twice. A sender that dies
between the SMTP server's "250 OK" and recording it leaves the rows to be claimed again when the
lease runs out: they are sent again (at least once, never lost), with the same Message-ID.
"""

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.db import Database, chunks
from app.core.settings import Settings
from app.notifications import emails
from app.notifications.models import Notification
from app.notifications.schemas import NotificationStatus

logger = logging.getLogger("probity.notifications")
ERROR_MAX = 1000
PENDING, SENT, FAILED = (s.value for s in NotificationStatus)


@dataclass(frozen=True)
class Claimed:
    """A notification this sender holds for the length of its lease."""

    id: uuid.UUID
    email: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    created_at: datetime
    attempts: int


@dataclass
class Outcome:
    """What one batch came to: the ids sent, the errors of the others, whether the server answered."""

    sent: list[uuid.UUID]
    failed: dict[uuid.UUID, str]
    connected: bool


async def claim(database: Database, settings: Settings, limit: int) -> list[Claimed]:
    """Take up to `limit` due notifications for one lease, in one short transaction."""
    async with database.session(write=True) as session:
        return await take(session, settings, limit)


async def take(session: AsyncSession, settings: Settings, limit: int) -> list[Claimed]:
    """The claim inside the caller's transaction: the due rows, soonest first, moved a lease ahead.
    On PostgreSQL the rows are locked and rows another claim holds are skipped, never waited for;
    SQLite's write lock (BEGIN IMMEDIATE) already lets one claim run at a time."""
    now = clock.now()
    statement = (
        select(
            Notification.id, Notification.email, Notification.subject, Notification.text_body,
            Notification.html_body, Notification.message_id, Notification.created_at, Notification.attempts,
        )
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    claimed = [Claimed(*found) for found in await session.execute(statement)]
    lease_ends = now + timedelta(seconds=settings.notification_lease_seconds)
    for chunk in chunks([c.id for c in claimed]):
        await session.execute(
            update(Notification).where(Notification.id.in_(chunk)).values(next_attempt_at=lease_ends)
        )
    return claimed


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:ERROR_MAX]


def smtp_client(settings: Settings) -> aiosmtplib.SMTP:
    """A client for the configured relay: STARTTLS unless turned off, login when a username is set."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=password if settings.smtp_username else None,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )


def build(notification: Claimed) -> bytes:
    return emails.message(
        to=notification.email, subject=notification.subject, text=notification.text_body,
        html=notification.html_body, message_id=notification.message_id, created_at=notification.created_at,
    )  # fmt: skip


async def _build_ahead(batch: list[Claimed], built: "asyncio.Queue[bytes | ValueError]") -> None:
    """The batch's messages, one at a time, built in the pauses while the relay answers (building one
    costs about as much as the relay's turn; done in line, it added to every message's time)."""
    for notification in batch:
        try:
            await built.put(build(notification))
        except ValueError as exc:
            await built.put(exc)
        await asyncio.sleep(0)


async def deliver(settings: Settings, batch: list[Claimed]) -> Outcome:
    """Send the batch over one SMTP connection. A message the server refuses fails alone; a lost
    connection fails the message in flight and every one after it."""
    outcome = Outcome(sent=[], failed={}, connected=False)
    built: asyncio.Queue[bytes | ValueError] = asyncio.Queue()
    building = asyncio.create_task(_build_ahead(batch, built))
    smtp = smtp_client(settings)
    try:
        await smtp.connect()
        outcome.connected = True
        for index, notification in enumerate(batch):
            message = await built.get()
            try:
                if isinstance(message, ValueError):
                    raise aiosmtplib.SMTPException(f"not sent: {message}")
                await smtp.sendmail(emails.envelope_sender(), [notification.email], message)
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
                outcome.failed.update({c.id: describe(exc) for c in batch[index:]})
                break
            except aiosmtplib.SMTPException as exc:  # refused: this message only
                outcome.failed[notification.id] = describe(exc)
            else:
                outcome.sent.append(notification.id)
    except (aiosmtplib.SMTPException, OSError) as exc:  # could not connect (or STARTTLS, or log in)
        outcome.failed = {c.id: describe(exc) for c in batch}
    finally:
        building.cancel()
        if smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()
    return outcome


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: doubling from the first, up to the maximum."""
    seconds = settings.notification_backoff_seconds * 2 ** min(attempts - 1, 40)
    return timedelta(seconds=min(seconds, settings.notification_backoff_max_seconds))


async def record(database: Database, settings: Settings, batch: list[Claimed], outcome: Outcome) -> None:
    """Store what the batch came to, in one short transaction: sent ones with their time; failed ones
    with their error, due again after the backoff, or `failed` after the last attempt."""
    now = clock.now()
    attempts = {c.id: c.attempts + 1 for c in batch}
    async with database.session(write=True) as session:
        for chunk in chunks(outcome.sent):
            await _update(session, chunk, status=SENT, sent_at=now, attempts=Notification.attempts + 1)
        alike: dict[tuple[int, str], list[uuid.UUID]] = defaultdict(list)
        for notification_id, error in outcome.failed.items():
            alike[(attempts[notification_id], error)].append(notification_id)
        for (tried, error), ids in alike.items():
            last = tried >= settings.notification_max_attempts
            for chunk in chunks(ids):
                await _update(
                    session, chunk, status=FAILED if last else PENDING, attempts=tried, last_error=error,
                    next_attempt_at=now + backoff(settings, tried),
                )  # fmt: skip
    for notification_id, error in outcome.failed.items():
        if attempts[notification_id] >= settings.notification_max_attempts:
            logger.warning("notification %s failed after its last attempt: %s", notification_id, error)


async def _update(session: AsyncSession, ids: Sequence[uuid.UUID], **values: object) -> None:
    # Only rows still pending: an admin's retry or another sender's record never goes backwards.
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def drain(database: Database, settings: Settings) -> int:
    """Send what is due, batch after batch, until nothing is due (or the relay does not answer: the
    caller waits before trying again); returns how many were sent."""
    sent = 0
    while True:
        batch = await claim(database, settings, settings.notification_batch_size)
        if not batch:
            break
        outcome = await deliver(settings, batch)
        await record(database, settings, batch, outcome)
        sent += len(outcome.sent)
        if not outcome.connected:
            error = next(iter(outcome.failed.values()))
            logger.warning(
                "the SMTP relay %s:%s did not answer: %s", settings.smtp_host, settings.smtp_port, error
            )
            break
    return sent
