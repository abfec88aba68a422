"""The approver's queue: everything the caller may decide now, of every kind, oldest first.

Each kind of record plugs in with a QueueSource (registered by app.main), so this module never
imports a record domain; who may decide what comes from the policy's own SQL (policy.decidable).
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    Select,
    String,
    cast,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.approvals import policy
from app.approvals.models import Submitted
from app.approvals.policy import Kind
from app.auth.actor import Actor
from app.core.schemas import PageParams
from app.people.models import Person


@dataclass(frozen=True)
class Waiting:
    """One row of the queue as read: what the summary is made from."""

    kind: Kind
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    submitted_at: datetime
    flags: list[str]
    label: str | None
    detail: str | None
    amount_pence: int | None
    on_date: date | None
    hours: Decimal | None


@dataclass(frozen=True)
class QueueSource:
    """How one kind of record appears in the queue: its table, the status that waits for a decision,
    and the columns its one-line summary is made of (any may be None); and, for the Decisions page,
    the record as the API reads it and the domain's own decision (approve: bool, note), so that the
    page decides through the same service as the API without importing the record's domain."""

    kind: Kind
    model: type[Submitted]
    pending: str
    columns: Callable[[], dict[str, Any]]  # label, detail, amount_pence, on_date, hours
    summary: Callable[[Waiting], str]
    view: Callable[[Any], BaseModel]
    decide: Callable[[AsyncSession, Actor, Any, bool, str | None], Awaitable[object]]


SOURCES: dict[Kind, QueueSource] = {}


def register(source: QueueSource) -> None:
    SOURCES[source.kind] = source


_SUMMARY_TYPES: dict[str, Any] = {
    "label": String(),
    "detail": String(),
    "amount_pence": Integer(),
    "on_date": Date(),
    "hours": Numeric(5, 2),
}


def _waiting(source: QueueSource, actor: Actor) -> Select[Any] | None:
    """The kind's records waiting for a decision the actor may take; None when they may take none."""
    model = source.model
    may = policy.decidable(source.kind, actor, Person, model.id)
    if may is None:
        return None
    given = source.columns()
    summary: list[ColumnElement[Any]] = [
        # A column keeps its type (SQLite's CAST(... AS DATE) would make a date the number 2026); a
        # missing one is a typed NULL (PostgreSQL types a bare NULL in a UNION as text).
        (type_coerce(given[name], kind) if name in given else cast(null(), kind)).label(name)
        for name, kind in _SUMMARY_TYPES.items()
    ]
    return (
        select(
            literal(source.kind.value, String()).label("kind"),
            model.id.label("id"),
            model.person_id.label("person_id"),
            Person.full_name.label("person_name"),
            model.submitted_at.label("submitted_at"),
            model.flags.label("flags"),
            *summary,
        )
        .join(Person, Person.id == model.person_id)
        .where(model.status == source.pending, may)
    )


def requesters(actor: Actor) -> Select[Any] | None:
    """The people with a record waiting for a decision the actor may take now (None: nobody)."""
    parts = [part for source in SOURCES.values() if (part := _waiting(source, actor)) is not None]
    if not parts:
        return None
    everything = union_all(*parts).subquery()
    return select(everything.c.person_id)


def statements(actor: Actor, page: PageParams) -> tuple[Select[Any], Select[Any]] | None:
    """The count and the page of the actor's queue (None when they may decide nothing)."""
    parts = [part for source in SOURCES.values() if (part := _waiting(source, actor)) is not None]
    if not parts:
        return None
    everything = union_all(*parts).subquery()
    oldest_first = select(everything).order_by(everything.c.submitted_at, everything.c.id)
    return select(func.count()).select_from(everything), oldest_first.limit(page.limit).offset(page.offset)


async def pending(session: AsyncSession, actor: Actor, page: PageParams) -> tuple[list[Waiting], int]:
    """Everything the caller may decide now, oldest submission first."""
    built = statements(actor, page)
    if built is None:
        return [], 0
    counting, listing = built
    total = await session.scalar(counting)
    return [_read(row) for row in await session.execute(listing)], int(total or 0)


def _read(row: Any) -> Waiting:
    return Waiting(
        kind=Kind(row.kind),
        id=_uuid(row.id),
        person_id=_uuid(row.person_id),
        person_name=row.person_name,
        submitted_at=row.submitted_at,
        flags=list(row.flags or []),
        label=row.label,
        detail=row.detail,
        amount_pence=row.amount_pence,
        on_date=row.on_date,
        hours=row.hours,
    )


def _uuid(value: Any) -> uuid.UUID:
    # Through a UNION the driver may hand back the stored text rather than a UUID.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def summary(item: Waiting) -> str:
    return SOURCES[item.kind].summary(item)
