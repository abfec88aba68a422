"""The register of interests: a declarant keeps their own; the clerk may act for anyone."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import queue
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.auth.permissions import Permission
from app.core import clock
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.interests import normalise
from app.interests.models import Interest, InterestNameToken, interest_open_on
from app.interests.schemas import FINANCIAL_CATEGORIES, Holder, InterestCategory, InterestCreate
from app.people import service as people_service

# Run in the declaring transaction after an interest is stored: conflict screening registers one that
# finds the records waiting for a decision which the new interest conflicts (app.main registers it,
# so that this domain never imports the ones built on it).
DeclaredHook = Callable[[AsyncSession, Actor, Interest], Awaitable[None]]
declared_hooks: list[DeclaredHook] = []
# Likewise after an interest is ended (the records it made conflicted may be decided normally again).
ended_hooks: list[DeclaredHook] = []


def name_tokens(interest_id: uuid.UUID, key: str | None) -> list[InterestNameToken]:
    """The lookup rows that let the conflict-check matcher find an organisation key again."""
    if not key:
        return []
    return [InterestNameToken(token=t, interest_id=interest_id) for t in normalise.stored_tokens(key)]


def readable(actor: Actor) -> Select[Interest]:
    """Everyone's for the clerk, auditors and screeners; otherwise one's own, and a decider also sees
    the open interests of each person whose request waits for their decision now (to weigh the
    request against them, as the Decisions page shows them), and nobody else's."""
    statement = select(Interest)
    if actor.has(Permission.INTERESTS_READ_ALL):
        return statement
    own = Interest.person_id == actor.id
    waiting = queue.requesters(actor)
    if waiting is None:
        return statement.where(own)
    return statement.where(or_(own, Interest.person_id.in_(waiting) & interest_open_on(clock.today())))


async def create(session: AsyncSession, actor: Actor, data: InterestCreate) -> Interest:
    """Declare an interest; the audit event records who acted for whom."""
    person_id = await people_service.declarant_for(session, actor, data.person_id)
    now = clock.now()
    interest = Interest(
        id=uuid.uuid4(),
        person_id=person_id,
        category=data.category.value,
        holder=data.holder.value,
        holder_name=data.holder_name,
        relationship=data.relationship,
        financial=data.financial if data.financial is not None else data.category in FINANCIAL_CATEGORIES,
        direct=data.direct if data.direct is not None else data.holder is Holder.SELF,
        organisation_name=data.organisation_name,
        organisation_key=normalise.organisation_key(data.organisation_name)
        if data.organisation_name
        else None,
        company_number=data.company_number,
        charity_number=data.charity_number,
        description=data.description,
        private=data.private,
        start_date=data.start_date or clock.today(),
        end_date=None,
        created_by=actor.id,
        created_at=now,
        submitted_at=now,
        updated_at=now,
    )
    session.add(interest)
    await session.flush()
    session.add_all(name_tokens(interest.id, interest.organisation_key))
    await session.flush()
    await audit_service.record(session, actor, "interest.created", interest, owner=person_id)
    for hook in declared_hooks:
        await hook(session, actor, interest)
    return interest


async def get(session: AsyncSession, actor: Actor, interest_id: uuid.UUID) -> Interest:
    """An interest the caller may see; anyone else's is a 404."""
    interest = await session.scalar(readable(actor).where(Interest.id == interest_id))
    if interest is None:
        raise NotFound("interest")
    return interest


async def end(session: AsyncSession, actor: Actor, interest_id: uuid.UUID, end_date: date | None) -> Interest:
    """Interests are never deleted: ended with a date, not before the start, and only once."""
    interest = await get(session, actor, interest_id)
    if interest.person_id != actor.id and not actor.has(Permission.ACT_FOR_ANYONE):
        raise Forbidden("Only the declarant or the governance clerk may end an interest")
    return await close(session, actor, interest, end_date, loc=("body",))


async def close(
    session: AsyncSession,
    actor: Actor,
    interest: Interest,
    end_date: date | None,
    *,
    loc: tuple[str | int, ...],
) -> Interest:
    """End an interest the caller may end: not before its start (422 at `loc`), and only once (409)."""
    ends_on = end_date or clock.today()
    if ends_on < interest.start_date:
        raise Unprocessable("end_date is before the interest's start_date", loc=(*loc, "end_date"))
    before = interest.audit_view()
    ended = await session.execute(
        update(Interest)
        .where(Interest.id == interest.id, Interest.end_date.is_(None))
        .values(end_date=ends_on, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This interest has already ended")
    await session.refresh(interest)
    await audit_service.record(
        session, actor, "interest.ended", interest, before=before, owner=interest.person_id
    )
    for hook in ended_hooks:
        await hook(session, actor, interest)
    return interest


@dataclass(frozen=True)
class InterestFilter:
    person_id: uuid.UUID | None = None
    category: InterestCategory | None = None
    holder: Holder | None = None
    open_on: date | None = None
    ended: bool | None = None


async def list_interests(
    session: AsyncSession, actor: Actor, filters: InterestFilter, page: PageParams
) -> tuple[list[Interest], int]:
    statement = readable(actor)
    if filters.person_id is not None:
        statement = statement.where(Interest.person_id == filters.person_id)
    if filters.category is not None:
        statement = statement.where(Interest.category == filters.category.value)
    if filters.holder is not None:
        statement = statement.where(Interest.holder == filters.holder.value)
    if filters.open_on is not None:
        statement = statement.where(interest_open_on(filters.open_on))
    if filters.ended is not None:
        statement = statement.where(
            Interest.end_date.is_not(None) if filters.ended else Interest.end_date.is_(None)
        )
    return await paginate(
        session, statement, page, Interest.start_date.desc(), Interest.created_at.desc(), Interest.id
    )


async def open_interests_of(
    session: AsyncSession, actor: Actor, person_ids: set[uuid.UUID], day: date
) -> dict[uuid.UUID, list[Interest]]:
    """Each of these people's interests open on a day that the caller may see, in one query (the
    Decisions page reads every requester's at once): the same rule as `list_interests` (it starts
    from `readable`) and the same order, newest start first. Everyone asked for is in the answer, with
    an empty list when none is open or visible."""
    held: dict[uuid.UUID, list[Interest]] = {person_id: [] for person_id in person_ids}
    if not person_ids:
        return held
    rows = await session.scalars(
        readable(actor)
        .where(Interest.person_id.in_(person_ids), interest_open_on(day))
        .order_by(Interest.start_date.desc(), Interest.created_at.desc(), Interest.id)
    )
    for interest in rows:
        held[interest.person_id].append(interest)
    return held


async def open_interests(session: AsyncSession, person_id: uuid.UUID, day: date) -> list[Interest]:
    """A person's interests open on a day, oldest first."""
    rows = await session.scalars(
        select(Interest)
        .where(Interest.person_id == person_id, interest_open_on(day))
        .order_by(Interest.start_date, Interest.created_at)
    )
    return list(rows)
