"""Meeting checks: for each agenda item, which attendees must declare an interest and withdraw (the
codes of conduct: a conflicted trustee takes no part in the discussion), kept for the minutes."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.actor import Actor
from app.conflicts import matcher
from app.conflicts.models import MeetingCheck
from app.conflicts.schemas import MeetingCheckCreate, MeetingCheckRead
from app.core import clock
from app.core.db import Transactions
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.people.models import Person
from app.trust_settings import service as trust_settings

# One meeting check searches once per counterparty named: bounded, so one request cannot run for long.
COUNTERPARTIES_PER_MEETING = 500


async def find(session: AsyncSession, data: MeetingCheckCreate) -> tuple[list[dict[str, Any]], float]:
    """For each agenda item, which attendees have an interest open on the meeting's day in one of
    its counterparties: one entry per person (their strongest match), by name (reads only)."""
    named = sum(len(item.counterparties) for item in data.agenda_items)
    if named > COUNTERPARTIES_PER_MEETING:
        raise Unprocessable(
            f"the agenda names {named} counterparties; at most {COUNTERPARTIES_PER_MEETING} in one check",
            loc=("body", "agenda_items"),
        )
    attendees = list(dict.fromkeys(data.attendee_ids))
    known = set(await session.scalars(select(Person.id).where(Person.id.in_(attendees))))
    for index, person_id in enumerate(data.attendee_ids):
        if person_id not in known:
            raise Unprocessable(f"no person has the id {person_id}", loc=("body", "attendee_ids", index))
    threshold = (await trust_settings.current(session)).conflict_similarity_threshold
    items: list[dict[str, Any]] = []
    for item in data.agenda_items:
        best: dict[uuid.UUID, tuple[matcher.Found, str]] = {}
        for counterparty in item.counterparties:
            query = matcher.Query.of(counterparty)
            for found in await matcher.search(session, query, data.meeting_date, threshold, attendees):
                person_id = found.interest.person_id
                if person_id not in best or matcher.strength(found) < matcher.strength(best[person_id][0]):
                    best[person_id] = (found, counterparty)
        withdrawing = sorted(
            best.values(), key=lambda pair: (pair[0].person_name.casefold(), str(pair[0].interest.person_id))
        )
        must_withdraw = [
            {
                "person_id": str(f.interest.person_id),
                "person_name": f.person_name,
                "interest_id": str(f.interest.id),
                "organisation_name": f.interest.organisation_name,
                "counterparty": counterparty,
                "score": f.score,
                "reason": f.reason.value,
            }
            for f, counterparty in withdrawing
        ]
        items.append(
            {"title": item.title, "counterparties": list(item.counterparties), "must_withdraw": must_withdraw}
        )
    return items, threshold


async def store(
    session: AsyncSession,
    actor: Actor,
    data: MeetingCheckCreate,
    items: list[dict[str, Any]],
    threshold: float,
) -> MeetingCheck:
    now = clock.now()
    check = MeetingCheck(
        id=uuid.uuid4(), meeting_title=data.meeting_title, meeting_date=data.meeting_date,
        attendee_ids=[str(a) for a in dict.fromkeys(data.attendee_ids)], items=items,
        similarity_threshold=threshold, checked_by=actor.id, checked_at=now, created_at=now,
    )  # fmt: skip
    session.add(check)
    await session.flush()
    await audit_service.record(session, actor, "meeting_conflict_check.created", check)
    return check


async def create_meeting_check(
    transactions: Transactions, actor: Actor, data: MeetingCheckCreate
) -> MeetingCheckRead:
    """The searches in a read transaction, then one short write (never the write lock while searching)."""
    async with transactions.session(write=False) as session:
        items, threshold = await find(session, data)
    async with transactions.session(write=True) as session:
        return meeting_view(await store(session, actor, data, items, threshold))


def meeting_view(check: MeetingCheck) -> MeetingCheckRead:
    return MeetingCheckRead.model_validate(check, from_attributes=True)


async def get_meeting_check(session: AsyncSession, check_id: uuid.UUID) -> MeetingCheck:
    check = await session.get(MeetingCheck, check_id)
    if check is None:
        raise NotFound("meeting conflict check")
    return check


async def list_meeting_checks(
    session: AsyncSession, date_from: date | None, date_to: date | None, page: PageParams
) -> tuple[list[MeetingCheck], int]:
    statement = select(MeetingCheck)
    if date_from is not None:
        statement = statement.where(MeetingCheck.meeting_date >= date_from)
    if date_to is not None:
        statement = statement.where(MeetingCheck.meeting_date <= date_to)
    return await paginate(
        session,
        statement,
        page,
        MeetingCheck.meeting_date.desc(),
        MeetingCheck.checked_at.desc(),
        MeetingCheck.id,
    )
