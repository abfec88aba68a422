"""Annual declarations: the clerk opens a cycle; each person in scope confirms their interests once."""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    distinct,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.actor import Actor
from app.auth.permissions import Permission
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.declarations.models import Declaration, DeclarationCycle
from app.declarations.schemas import (
    CycleCreate,
    CycleStatusItem,
    DeclarationCreate,
    DeclarationState,
    InterestEnding,
)
from app.interests import service as interests_service
from app.interests.models import Interest
from app.interests.schemas import InterestSnapshot
from app.notifications import service as notifications_service
from app.people import service as people_service
from app.people.models import Appointment, Person, appointment_open_on

ALREADY_SUBMITTED = "A declaration has already been submitted in this cycle"

# ---------------------------------------------------------------- cycles


async def open_cycle(session: AsyncSession, actor: Actor, data: CycleCreate) -> DeclarationCycle:
    """A cycle covers everyone holding an open appointment in one of its governance roles."""
    cycle = DeclarationCycle(
        id=uuid.uuid4(),
        name=data.name,
        opens_on=data.opens_on or clock.today(),
        due_on=data.due_on,
        governance_roles=sorted({role.value for role in data.governance_roles}),
        created_by=actor.id,
        created_at=clock.now(),
    )
    if cycle.due_on < cycle.opens_on:
        raise Unprocessable("due_on is before opens_on", loc=("body", "due_on"))
    session.add(cycle)
    await session.flush()
    await audit_service.record(session, actor, "declaration_cycle.opened", cycle)
    people = await session.scalars(in_scope(cycle))
    await notifications_service.cycle_opened(session, cycle.id, cycle.name, cycle.due_on, people)
    return cycle


async def get_cycle(session: AsyncSession, cycle_id: uuid.UUID) -> DeclarationCycle:
    cycle = await session.get(DeclarationCycle, cycle_id)
    if cycle is None:
        raise NotFound("declaration cycle")
    return cycle


async def list_cycles(session: AsyncSession, page: PageParams) -> tuple[list[DeclarationCycle], int]:
    return await paginate(
        session,
        select(DeclarationCycle),
        page,
        DeclarationCycle.opens_on.desc(),
        DeclarationCycle.created_at.desc(),
        DeclarationCycle.id,
    )


def in_scope(cycle: DeclarationCycle) -> Select[uuid.UUID]:
    """Who holds, today, an open appointment in one of the cycle's governance roles."""
    return select(Appointment.person_id).where(
        Appointment.governance_role.in_(cycle.governance_roles), appointment_open_on(clock.today())
    )


async def undeclared(session: AsyncSession, cycle: DeclarationCycle) -> list[uuid.UUID]:
    """The active people in the cycle's scope who have not declared in it (outstanding or overdue)."""
    declared = select(Declaration.person_id).where(Declaration.cycle_id == cycle.id)
    return list(
        await session.scalars(
            select(Person.id).where(
                Person.active.is_(True), Person.id.in_(in_scope(cycle)), Person.id.not_in(declared)
            )
        )
    )


async def due_from(session: AsyncSession, person_id: uuid.UUID) -> list[DeclarationCycle]:
    """The open cycles this person is in scope of and has not declared in, soonest due first."""
    declared = select(Declaration.cycle_id).where(Declaration.person_id == person_id)
    cycles = await session.scalars(
        select(DeclarationCycle)
        .where(DeclarationCycle.opens_on <= clock.today(), DeclarationCycle.id.not_in(declared))
        .order_by(DeclarationCycle.due_on, DeclarationCycle.id)
    )
    held = set(
        await session.scalars(
            select(Appointment.governance_role).where(
                Appointment.person_id == person_id, appointment_open_on(clock.today())
            )
        )
    )
    return [cycle for cycle in cycles if held & set(cycle.governance_roles)]


async def status(
    session: AsyncSession, cycle_id: uuid.UUID, wanted: DeclarationState | None
) -> list[CycleStatusItem]:
    """Each active person in scope (and anyone who already declared): submitted, outstanding or overdue."""
    cycle = await get_cycle(session, cycle_id)
    rows = await session.execute(
        select(Person.id, Person.full_name, Person.email, Declaration.id, Declaration.submitted_at)
        .outerjoin(Declaration, (Declaration.person_id == Person.id) & (Declaration.cycle_id == cycle.id))
        .where(or_(Declaration.id.is_not(None), Person.active.is_(True) & Person.id.in_(in_scope(cycle))))
        .order_by(Person.full_name, Person.id)
    )
    late = clock.today() > cycle.due_on
    items = []
    for person_id, full_name, email, declaration_id, submitted_at in rows:
        state = (
            DeclarationState.SUBMITTED
            if declaration_id is not None
            else DeclarationState.OVERDUE
            if late
            else DeclarationState.OUTSTANDING
        )
        if wanted is None or state is wanted:
            items.append(
                CycleStatusItem(
                    person_id=person_id,
                    full_name=full_name,
                    email=email,
                    status=state,
                    declaration_id=declaration_id,
                    submitted_at=submitted_at,
                )
            )
    return items


async def counts(
    session: AsyncSession, cycles: list[DeclarationCycle]
) -> dict[uuid.UUID, dict[DeclarationState, int]]:
    """How many in each cycle are submitted, outstanding and overdue, as `status` finds them, for a
    page of cycles in one query: submitted are the cycle's declarations; the others are the active
    people in its scope today (`in_scope`) without one (`undeclared`), overdue once past its due date."""
    found = {cycle.id: dict.fromkeys(DeclarationState, 0) for cycle in cycles}
    if not cycles:
        return found
    ids = list(found)
    declared = (
        select(Declaration.cycle_id, true(), func.count())
        .where(Declaration.cycle_id.in_(ids))
        .group_by(Declaration.cycle_id)
    )
    waiting = (
        select(DeclarationCycle.id, false(), func.count(distinct(Person.id)))
        .join(Appointment, _holds_a_role_of(cycles))
        .join(Person, Person.id == Appointment.person_id)
        .where(
            DeclarationCycle.id.in_(ids),
            appointment_open_on(clock.today()),
            Person.active.is_(True),
            ~exists().where(Declaration.cycle_id == DeclarationCycle.id, Declaration.person_id == Person.id),
        )
        .group_by(DeclarationCycle.id)
    )
    due = {cycle.id: cycle.due_on for cycle in cycles}
    for cycle_id, submitted, number in await session.execute(union_all(declared, waiting)):
        late = clock.today() > due[cycle_id]
        state = (
            DeclarationState.SUBMITTED
            if submitted
            else DeclarationState.OVERDUE
            if late
            else DeclarationState.OUTSTANDING
        )
        found[cycle_id][state] = number
    return found


def _holds_a_role_of(cycles: list[DeclarationCycle]) -> ColumnElement[bool]:
    """An appointment in one of the governance roles of the cycle it is joined to. A cycle's roles
    are a JSON list, which each database reads its own way: the cycles of each role (five at most)
    are known here instead."""
    by_role: dict[str, list[uuid.UUID]] = defaultdict(list)
    for cycle in cycles:
        for role in cycle.governance_roles:
            by_role[role].append(cycle.id)
    return or_(
        false(),
        *(
            and_(Appointment.governance_role == role, DeclarationCycle.id.in_(ids))
            for role, ids in by_role.items()
        ),
    )


# ---------------------------------------------------------------- declarations


def readable(actor: Actor) -> Select[Declaration]:
    """One's own declarations; everyone's for the clerk and auditors."""
    statement = select(Declaration)
    if not actor.has(Permission.DECLARATIONS_READ_ALL):
        statement = statement.where(Declaration.person_id == actor.id)
    return statement


async def _check_scope(session: AsyncSession, cycle: DeclarationCycle, person_id: uuid.UUID) -> None:
    held = await session.scalar(in_scope(cycle).where(Appointment.person_id == person_id).limit(1))
    if held is None:
        roles = ", ".join(cycle.governance_roles)
        raise Unprocessable(
            f"This cycle is for people holding an appointment as {roles}", loc=("body", "cycle_id")
        )


async def submit(session: AsyncSession, actor: Actor, data: DeclarationCreate) -> Declaration:
    """The code of conduct accepted, no nil return with open interests, once per cycle, late accepted."""
    if not data.code_of_conduct_accepted:
        raise Unprocessable(
            "The code of conduct (the Seven Principles of Public Life) must be accepted",
            loc=("body", "code_of_conduct_accepted"),
        )
    person_id = await people_service.declarant_for(session, actor, data.person_id)
    cycle = await session.get(DeclarationCycle, data.cycle_id)
    if cycle is None:
        raise Unprocessable("No such declaration cycle", loc=("body", "cycle_id"))
    # Already declared is a 409 even for someone who has since left the cycle's scope.
    if await session.scalar(
        select(Declaration.id).where(Declaration.cycle_id == cycle.id, Declaration.person_id == person_id)
    ):
        raise Conflict(ALREADY_SUBMITTED)
    await _check_scope(session, cycle, person_id)
    await _end_interests(session, actor, person_id, data.ended_interests)
    open_now = await interests_service.open_interests(session, person_id, clock.today())
    if data.nil_return and open_now:
        raise Unprocessable(
            f"A nil return is only for someone with no open interests; {len(open_now)} are open",
            loc=("body", "nil_return"),
        )
    return await _store(session, actor, cycle, person_id, data, open_now)


async def _end_interests(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, endings: list[InterestEnding]
) -> None:
    """End the interests the declarant no longer holds; each must be their own and still open (422)."""
    for index, ending in enumerate(endings):
        loc = ("body", "ended_interests", index)
        # The same refusal for someone else's interest and a made-up id, so nothing is revealed.
        interest = await session.scalar(
            select(Interest).where(Interest.id == ending.interest_id, Interest.person_id == person_id)
        )
        if interest is None:
            raise Unprocessable("No such interest of the declarant's", loc=(*loc, "interest_id"))
        if interest.end_date is not None:
            raise Unprocessable("This interest has already ended", loc=(*loc, "interest_id"))
        await interests_service.close(session, actor, interest, ending.end_date, loc=loc)


async def _store(
    session: AsyncSession,
    actor: Actor,
    cycle: DeclarationCycle,
    person_id: uuid.UUID,
    data: DeclarationCreate,
    open_now: list[Interest],
) -> Declaration:
    now = clock.now()
    declaration = Declaration(
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        person_id=person_id,
        nil_return=data.nil_return,
        code_of_conduct_accepted=True,
        interests=[InterestSnapshot.model_validate(i).model_dump(mode="json") for i in open_now],
        submitted_by=actor.id,
        submitted_at=now,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(declaration)
    except IntegrityError as exc:  # a second submission racing this one
        raise Conflict(ALREADY_SUBMITTED) from exc
    await audit_service.record(session, actor, "declaration.submitted", declaration, owner=person_id)
    return declaration


async def get(session: AsyncSession, actor: Actor, declaration_id: uuid.UUID) -> Declaration:
    declaration = await session.scalar(readable(actor).where(Declaration.id == declaration_id))
    if declaration is None:
        raise NotFound("declaration")
    return declaration


@dataclass(frozen=True)
class DeclarationFilter:
    cycle_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None


async def list_declarations(
    session: AsyncSession, actor: Actor, filters: DeclarationFilter, page: PageParams
) -> tuple[list[Declaration], int]:
    statement = readable(actor)
    if filters.cycle_id is not None:
        statement = statement.where(Declaration.cycle_id == filters.cycle_id)
    if filters.person_id is not None:
        statement = statement.where(Declaration.person_id == filters.person_id)
    return await paginate(session, statement, page, Declaration.submitted_at.desc(), Declaration.id)
