"""Sending the outbox: claim a batch in one short transaction, talk SMTP with no transaction open,
record what happened in another short one.

On SQLite a write transaction holds the whole database's lock, and on PostgreSQL a row lock held
through an SMTP conversation would stall everyone else, so nothing slow happens inside either.
A claim moves the rows' next_attempt_at a lease ahead, so no other sender takes them meanwhile; on
PostgreSQL the claim also skips rows another sender is claiming at that instant (FOR UPDATE SKIP
LOCKED), so several workers share the outbox and never send one row twice. Only the holder of a
claim records it (the rows' next_attempt_at still equal to its lease's end), and a sender starts no
message it could not finish within its lease. A sender that dies between the SMTP server's "250 OK"
and recording it leaves the rows to be claimed again when the lease runs out: they are sent again
(at least once, never lost), with the same Message-ID. A sender told to stop finishes the message in
flight, records what was sent and releases the rest (due at once, no attempt charged).
"""

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import ColumnElement, select, update
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
    """A notification this sender holds until `lease_ends` (its next_attempt_at while claimed)."""

    id: uuid.UUID
    email: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    created_at: datetime
    attempts: int
    lease_ends: datetime


@dataclass
class Outcome:
    """What one batch came to. Every claimed row not named here was not tried: it is released, due
    at once with no attempt charged (a stop, the lease running short, the relay out of reach)."""

    sent: list[uuid.UUID] = field(default_factory=list)
    # An attempt charged: due again after the backoff, `failed` after the last attempt.
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    # Refused for good (a message that cannot be built, a 5xx answer): `failed` at once.
    refused: dict[uuid.UUID, str] = field(default_factory=dict)
    # Why the relay could not be used at all (not reached, STARTTLS, login, our sender refused).
    unreachable: str | None = None

    def decided(self) -> set[uuid.UUID]:
        return {*self.sent, *self.failed, *self.refused}


async def claim(database: Database, settings: Settings, limit: int) -> list[Claimed]:
    """Take up to `limit` due notifications for one lease, in one short transaction."""
    async with database.session(write=True) as session:
        return await take(session, settings, limit)


async def take(session: AsyncSession, settings: Settings, limit: int) -> list[Claimed]:
    """The claim inside the caller's transaction: the due rows, soonest first, moved a lease ahead.
    On PostgreSQL the rows are locked and rows another claim holds are skipped, never waited for;
    SQLite's write lock (BEGIN IMMEDIATE) already lets one claim run at a time."""
    now = clock.now()
    lease_ends = now + timedelta(seconds=settings.notification_lease_seconds)
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
    claimed = [Claimed(*found, lease_ends=lease_ends) for found in await session.execute(statement)]
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


async def _build_ahead(batch: list[Claimed], built: "asyncio.Queue[bytes | Exception]") -> None:
    """The batch's messages, one at a time, built in the pauses while the relay answers (building one
    costs about as much as the relay's turn; done in line, it added to every message's time). A
    message that cannot be built is handed on as its error, so the sender never waits for it."""
    for notification in batch:
        try:
            await built.put(build(notification))
        except Exception as exc:
            await built.put(exc)
        await asyncio.sleep(0)


def _refused_for_good(exc: aiosmtplib.SMTPException) -> bool:
    """A 5xx answer about this message (a 4xx is worth another attempt)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= r.code < 600 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600


async def deliver(settings: Settings, batch: list[Claimed], stop: asyncio.Event | None = None) -> Outcome:
    """Send the batch over one SMTP connection (see `deliver_into`)."""
    outcome = Outcome()
    await deliver_into(settings, batch, outcome, stop)
    return outcome


async def deliver_into(
    settings: Settings, batch: list[Claimed], outcome: Outcome, stop: asyncio.Event | None = None
) -> None:
    """Send the batch over one SMTP connection, noting each result in `outcome` as it comes (so that
    a cancelled send still leaves what was sent on record). No message starts after `stop` is set or
    once the lease could run out before the relay answers; those are left untried."""
    if not batch:
        return
    # A message started later than this might still be in flight when the lease runs out.
    last_start = batch[0].lease_ends - timedelta(seconds=settings.smtp_timeout_seconds)
    built: asyncio.Queue[bytes | Exception] = asyncio.Queue()
    building = asyncio.create_task(_build_ahead(batch, built))
    smtp = smtp_client(settings)
    try:
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:  # not reached (or STARTTLS, or login)
            outcome.unreachable = describe(exc)
            return
        for notification in batch:
            if (stop is not None and stop.is_set()) or clock.now() > last_start:
                return
            if not await _send_one(smtp, notification, await built.get(), outcome):
                return
    finally:
        building.cancel()
        await _close(smtp)


async def _send_one(
    smtp: aiosmtplib.SMTP, notification: Claimed, message: bytes | Exception, outcome: Outcome
) -> bool:
    """Send one message and note how it went; False when the connection cannot go on (the rest of
    the batch is left untried, and charged nothing)."""
    if isinstance(message, Exception):  # it cannot be built: it never will be
        outcome.refused[notification.id] = f"not sent: {describe(message)}"
        return True
    try:
        await smtp.sendmail(emails.envelope_sender(), [notification.email], message)
    except aiosmtplib.SMTPSenderRefused as exc:  # the relay will not send as us: not this message's fault
        outcome.unreachable = describe(exc)
        return False
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
        outcome.failed[notification.id] = describe(exc)
        return False
    except aiosmtplib.SMTPException as exc:  # refused: this message only
        (outcome.refused if _refused_for_good(exc) else outcome.failed)[notification.id] = describe(exc)
        return True
    except Exception as exc:  # unforeseen: this message's failure; the connection is not trusted after it
        outcome.failed[notification.id] = describe(exc)
        return False
    outcome.sent.append(notification.id)
    return True


async def _close(smtp: aiosmtplib.SMTP) -> None:
    if smtp.is_connected:
        try:
            await asyncio.wait_for(smtp.quit(), timeout=5)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: doubling from the first, up to the maximum."""
    seconds = settings.notification_backoff_seconds * 2 ** min(attempts - 1, 40)
    return timedelta(seconds=min(seconds, settings.notification_backoff_max_seconds))


async def record(database: Database, settings: Settings, batch: list[Claimed], outcome: Outcome) -> None:
    """Store what the batch came to, in one short transaction: sent ones with their time; failed ones
    with their error, due again after the backoff, or `failed` after the last attempt (or at once,
    when refused for good); untried ones due again now, their attempts unchanged. Only rows this claim
    still holds change, so recording twice, or after the lease passed to another sender, does nothing."""
    if not batch:
        return
    now = clock.now()
    attempts = {c.id: c.attempts + 1 for c in batch}
    last = settings.notification_max_attempts
    charged = [(i, e, attempts[i] >= last) for i, e in outcome.failed.items()]
    charged += [(i, e, True) for i, e in outcome.refused.items()]
    async with database.session(write=True) as session:
        held = Notification.next_attempt_at == batch[0].lease_ends
        for chunk in chunks(outcome.sent):
            await _update(session, chunk, held, status=SENT, sent_at=now, attempts=Notification.attempts + 1)
        alike: dict[tuple[int, str, bool], list[uuid.UUID]] = defaultdict(list)
        for notification_id, error, final in charged:
            alike[(attempts[notification_id], error, final)].append(notification_id)
        for (tried, error, final), ids in alike.items():
            for chunk in chunks(ids):
                await _update(
                    session, chunk, held, status=FAILED if final else PENDING, attempts=tried,
                    last_error=error, next_attempt_at=now + backoff(settings, tried),
                )  # fmt: skip
        released = [c.id for c in batch if c.id not in outcome.decided()]
        why = {"last_error": outcome.unreachable} if outcome.unreachable else {}
        for chunk in chunks(released):
            await _update(session, chunk, held, next_attempt_at=now, **why)
    for notification_id, error, final in charged:
        if final:
            logger.warning("notification %s failed for good: %s", notification_id, error)


async def _update(
    session: AsyncSession, ids: Sequence[uuid.UUID], held: ColumnElement[bool], **values: object
) -> None:
    # Only rows still pending and still this claim's: an admin's retry, or the record of a sender
    # that took them after this lease ran out, never goes backwards.
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.status == PENDING, held)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


RECORD_TRIES = 3
RECORD_PAUSE_SECONDS = 0.5


async def record_surely(
    database: Database, settings: Settings, batch: list[Claimed], outcome: Outcome
) -> None:
    """`record`, tried again after a failure (it is idempotent): a batch the relay accepted but whose
    record is lost would be sent again when the lease runs out."""
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            await record(database, settings, batch, outcome)
            return
        except Exception as exc:
            if attempt == RECORD_TRIES:
                raise
            logger.warning("recording a batch failed (trying again): %s", describe(exc))
            await asyncio.sleep(RECORD_PAUSE_SECONDS * attempt)


async def _record_even_if_cancelled(
    database: Database, settings: Settings, batch: list[Claimed], outcome: Outcome
) -> None:
    """Record the batch, shielded: a cancellation (serve's shutdown) arriving meanwhile waits for the
    record to finish and then goes on, so what the relay accepted is never sent again."""
    recording = asyncio.ensure_future(record_surely(database, settings, batch, outcome))
    try:
        await asyncio.shield(recording)
    except asyncio.CancelledError:
        await recording
        raise


@dataclass(frozen=True)
class Drained:
    """What a drain came to: how many were sent, and why the relay could not be used, if it could not."""

    sent: int
    unreachable: str | None = None


async def drain(database: Database, settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Send what is due (see `send_due`); returns how many were sent."""
    return (await send_due(database, settings, stop)).sent


async def send_due(database: Database, settings: Settings, stop: asyncio.Event | None = None) -> Drained:
    """Send what is due, batch after batch, until nothing is due, `stop` is set, or the relay cannot
    be used (the caller waits before trying again). Each batch's results are recorded even when the
    send is cancelled (the record is shielded from the cancellation)."""
    sent = 0
    while stop is None or not stop.is_set():
        batch = await claim(database, settings, settings.notification_batch_size)
        if not batch:
            break
        outcome = Outcome()
        try:
            await deliver_into(settings, batch, outcome, stop)
        finally:
            await _record_even_if_cancelled(database, settings, batch, outcome)
        sent += len(outcome.sent)
        if outcome.unreachable is not None:
            return Drained(sent, outcome.unreachable)
        if not outcome.decided():  # nothing tried (stopped, or the lease too short to start one)
            break
    return Drained(sent)
