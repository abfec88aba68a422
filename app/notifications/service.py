"""The outbox: notifications are rows added in the caller's transaction (a rolled-back change sends
nothing; a committed one is never forgotten), and the admin's view of them."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.approvals.policy import Decidable, Kind
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.core import clock
from app.core.db import chunks
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.notifications import emails
from app.notifications.models import Notification
from app.notifications.schemas import NotificationKind, NotificationStatus
from app.people.models import Person
from app.trust_settings import service as trust_settings_service

# What each kind of record is called in an email, and what its requester did.
NOUNS = {Kind.GIFT: "gift", Kind.HOSPITALITY: "hospitality request", Kind.PAID_WORK: "paid work disclosure"}
ASKED = {
    Kind.GIFT: "has recorded a gift that waits for review",
    Kind.HOSPITALITY: "has asked for hospitality to be authorised",
    Kind.PAID_WORK: "has disclosed additional paid work for review",
}
# Where the person acts. The web interface for signed-in people is not built yet, so the links
# name the API's own paths for the queue and the records (docs/notifications.md says so).
# Links go to the web interface's pages, where the person acts (signing in first if they must).
RECORD_PATHS = {
    Kind.GIFT: "/gifts#record-{id}",
    Kind.HOSPITALITY: "/hospitality#record-{id}",
    Kind.PAID_WORK: "/paid-work#record-{id}",
}
QUEUE_PATH = "/approvals"
CYCLE_PATH = "/declarations/{id}"


@dataclass(frozen=True)
class Recipient:
    id: uuid.UUID
    full_name: str
    email: str


async def recipients(session: AsyncSession, people: Iterable[uuid.UUID]) -> list[Recipient]:
    """The active ones among these people, with their names and addresses, in name order."""
    found: list[Recipient] = []
    for chunk in chunks(sorted(set(people))):
        rows = await session.execute(
            select(Person.id, Person.full_name, Person.email).where(
                Person.id.in_(chunk), Person.active.is_(True)
            )
        )
        found.extend(Recipient(*row) for row in rows)
    return sorted(found, key=lambda r: (r.full_name, r.id))


def row(kind: NotificationKind, to: Recipient, email: emails.Email) -> dict[str, Any]:
    """One outbox row, ready to insert: pending, due now, with its fixed Message-ID."""
    now = clock.now()
    notification_id = uuid.uuid4()
    return {
        "id": notification_id, "kind": kind.value, "person_id": to.id, "email": to.email,
        "subject": email.subject, "text_body": email.text, "html_body": email.html,
        "message_id": emails.message_id(notification_id), "status": NotificationStatus.PENDING.value,
        "attempts": 0, "last_error": None, "next_attempt_at": now, "created_at": now, "sent_at": None,
        "cycle_id": None, "reminder_on": None,
    }  # fmt: skip


async def trust_name(session: AsyncSession) -> str:
    """The trust's name as set through its settings (PROBITY_TRUST_NAME's until it is)."""
    return trust_settings_service.trust_name_of(await trust_settings_service.current(session))


async def rows_for(
    session: AsyncSession,
    kind: NotificationKind,
    subject: str,
    people: Iterable[Recipient],
    reminder: dict[str, uuid.UUID | date] | None = None,
    **context: Any,
) -> list[dict[str, Any]]:
    """One email of this kind to each person, addressed to them by name, from the trust as named in
    the caller's transaction."""
    trust = await trust_name(session)
    rendered = (
        row(kind, to, emails.render(kind, subject, trust_name=trust, name=to.full_name, **context))
        for to in people
    )
    return [{**r, **(reminder or {})} for r in rendered]


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add the rows to the outbox in the caller's transaction."""
    for chunk in chunks(rows):
        await session.execute(insert(Notification), list(chunk))


async def _may_decide(session: AsyncSession, kind: Kind, record: Decidable, person_id: uuid.UUID) -> bool:
    """Whether the policy lets this person decide the record now: of the holders of a decider role
    (`possible_deciders`), not one with an interest in the other party, nor the route's fallback (the
    Vice Chair; the COO for a school with no headteacher) while someone the route names may decide."""
    held = await policy.requester(session, person_id)
    as_actor = Actor(held.id, "", "", held.school_id, held.roles, frozenset())
    try:
        await policy.ensure_may_decide(session, as_actor, kind, record)
    except Forbidden:
        return False
    return True


async def approval_requested(session: AsyncSession, kind: Kind, record: Decidable) -> int:
    """Each person who may decide the record under the approval policy (never the requester) is told
    who asked and of what kind, and nothing more; returns how many."""
    candidates = await policy.possible_deciders(session, kind, record)
    deciders = [
        p for p in candidates if p != record.person_id and await _may_decide(session, kind, record, p)
    ]
    requester = await session.scalar(select(Person.full_name).where(Person.id == record.person_id))
    subject = f"{requester}'s {NOUNS[kind]} waits for your decision"
    people = await recipients(session, deciders)
    link = emails.link(QUEUE_PATH)
    rows = await rows_for(
        session,
        NotificationKind.APPROVAL_REQUESTED,
        subject,
        people,
        requester=requester,
        asked=ASKED[kind],
        link=link,
    )
    await store(session, rows)
    return len(rows)


async def decision_made(session: AsyncSession, kind: Kind, record: Decidable) -> int:
    """The requester is told that their record was decided (not how: they sign in to see it)."""
    subject = f"A decision on your {NOUNS[kind]}"
    link = emails.link(RECORD_PATHS[kind].format(id=record.id))
    people = await recipients(session, [record.person_id])
    rows = await rows_for(
        session, NotificationKind.DECISION_MADE, subject, people, noun=NOUNS[kind], link=link
    )
    await store(session, rows)
    return len(rows)


async def cycle_opened(
    session: AsyncSession, cycle_id: uuid.UUID, cycle_name: str, due_on: date, people: Iterable[uuid.UUID]
) -> int:
    """Each person in the cycle's scope is told it is open and when it is due."""
    subject = f"Your declaration of interests is due by {clock.in_words(due_on)}"
    link = emails.link(CYCLE_PATH.format(id=cycle_id))
    rows = await rows_for(
        session,
        NotificationKind.CYCLE_OPENED,
        subject,
        await recipients(session, people),
        cycle_name=cycle_name,
        due_on=clock.in_words(due_on),
        link=link,
    )
    await store(session, rows)
    return len(rows)


# ---------------------------------------------------------------- the admin's view


@dataclass(frozen=True)
class NotificationFilter:
    status: NotificationStatus | None = None
    person_id: uuid.UUID | None = None
    kind: NotificationKind | None = None

    def apply(self, statement: Select[Notification]) -> Select[Notification]:
        if self.status is not None:
            statement = statement.where(Notification.status == self.status.value)
        if self.person_id is not None:
            statement = statement.where(Notification.person_id == self.person_id)
        if self.kind is not None:
            statement = statement.where(Notification.kind == self.kind.value)
        return statement


async def list_notifications(
    session: AsyncSession, filters: NotificationFilter, page: PageParams
) -> tuple[list[Notification], int]:
    """The outbox, newest first (the route admits only the clerk and auditors)."""
    newest_first = (Notification.created_at.desc(), Notification.id)
    return await paginate(session, filters.apply(select(Notification)), page, *newest_first)


async def retry(session: AsyncSession, actor: Actor, notification_id: uuid.UUID) -> Notification:
    """A failed notification goes back to pending, due now, with a fresh round of attempts; any
    other is a 409. Audited, with what it was before."""
    notification = await session.get(Notification, notification_id)
    if notification is None:
        raise NotFound("notification")
    before = notification.audit_view()
    moved = await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status == NotificationStatus.FAILED.value)
        .values(status=NotificationStatus.PENDING.value, attempts=0, next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"Only a failed notification can be retried; this one is {notification.status}")
    await session.refresh(notification)
    await audit_service.record(session, actor, "notification.retried", notification, before=before)
    return notification
