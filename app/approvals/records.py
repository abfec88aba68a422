"""Reading the records people submit (gifts, hospitality requests, paid work), one way for all three:
every read starts from what the policy lets the caller see, and filters the same way."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.approvals.models import Submitted
from app.approvals.policy import Kind
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.core import clock
from app.core.errors import Forbidden, NotFound
from app.people.models import Person

R = TypeVar("R", bound=Submitted)


def readable(kind: Kind, model: type[R], actor: Actor) -> Select[R]:
    """The records of this kind the caller may see: their own, those they may decide, or all of them
    for the kind's readers, the governance clerk and auditors (the contract's "Who sees what")."""
    statement = select(model).join(Person, Person.id == model.person_id)
    condition = policy.visible(kind, actor, model.person_id, Person)
    return statement if condition is None else statement.where(condition)


async def add(session: AsyncSession, actor: Actor, record: R, action: str) -> R:
    """Stamp a record just submitted (who made it, when), store it and audit it; the trail says
    whom the actor acted for (the clerk may submit for someone)."""
    now = clock.now()
    record.created_by, record.created_at, record.submitted_at, record.updated_at = actor.id, now, now, now
    session.add(record)
    await session.flush()
    await audit_service.record(session, actor, action, record, owner=record.person_id)
    return record


async def get(session: AsyncSession, kind: Kind, model: type[R], actor: Actor, record_id: uuid.UUID) -> R:
    """One record the caller may see; anyone else's is a 404 (never revealed by a 403)."""
    found = await session.scalar(readable(kind, model, actor).where(model.id == record_id))
    if found is None:
        raise NotFound(kind.value.replace("_", " "))
    return found


async def to_decide(
    session: AsyncSession, kind: Kind, model: type[R], actor: Actor, record_id: uuid.UUID
) -> R:
    """A record the caller may see (else 404) and decide (else 403, saying why). Routes take it as a
    dependency, so that authorisation is settled before the body is judged (the contract); the
    decision itself checks the policy again, so no caller of the service can skip it."""
    record = await get(session, kind, model, actor, record_id)
    await policy.ensure_may_decide(session, actor, kind, record)
    return record


async def owned(
    session: AsyncSession, kind: Kind, model: type[R], actor: Actor, record_id: uuid.UUID, doing: str
) -> R:
    """A record the caller may see (else 404) and asked for themselves (else 403), as a dependency."""
    record = await get(session, kind, model, actor, record_id)
    ensure_owner(record, actor, doing)
    return record


def ensure_keeps_register(kind: Kind, actor: Actor, what: str) -> None:
    """The whole register of a kind (a CSV for the board pack) is for those who see all of it."""
    if not policy.reads_all(kind, actor):
        raise Forbidden(f"The {what} register is for those who keep or audit it")


def ensure_owner(record: Submitted, actor: Actor, doing: str) -> None:
    """Only the requester withdraws their request or records what happened (403 for a decider)."""
    if record.person_id != actor.id:
        raise Forbidden(f"Only the person who asked may {doing}")


@dataclass(frozen=True)
class RecordFilter:
    """The filters every list of submitted records takes; `date_from`/`date_to` bound the record's
    own date (a gift's offered_on, an event's date, paid work's start)."""

    status: str | None = None
    person_id: uuid.UUID | None = None
    school_id: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, statement: Select[R], model: type[R], day: Any) -> Select[R]:
        conditions: list[ColumnElement[bool]] = []
        if self.status is not None:
            conditions.append(model.status == self.status)
        if self.person_id is not None:
            conditions.append(model.person_id == self.person_id)
        if self.school_id is not None:
            conditions.append(Person.school_id == self.school_id)
        if self.date_from is not None:
            conditions.append(day >= self.date_from)
        if self.date_to is not None:
            conditions.append(day <= self.date_to)
        return statement.where(*conditions)
