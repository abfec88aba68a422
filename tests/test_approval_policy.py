"""The approval policy as a table of cases, without HTTP: who may decide whose gift, hospitality and
paid work. Each case is checked twice, through the Python check that guards a decision and through
the SQL that fills the approver's queue, which must agree (the rules are written once, as data)."""

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.approvals.policy import Kind
from app.auth.actor import Actor
from app.auth.permissions import Role, permissions_of
from app.core.errors import Forbidden
from app.people.models import Person
from tests.factories import make_person, make_school

HILLSIDE, VALLEY, CENTRAL = "hillside", "valley", None


@dataclass(frozen=True)
class Someone:
    """A person in the case: their role (None: no extra role) and school."""

    role: Role | None
    school: str | None = HILLSIDE


TEACHER = Someone(None)
CENTRAL_STAFF = Someone(None, CENTRAL)
HEAD = Someone(Role.HEADTEACHER)
OTHER_HEAD = Someone(Role.HEADTEACHER, VALLEY)
CEO, COO, CHAIR = Someone(Role.CEO, CENTRAL), Someone(Role.COO, CENTRAL), Someone(Role.CHAIR, CENTRAL)
VICE = Someone(Role.VICE_CHAIR, CENTRAL)
HR, FINANCE = Someone(Role.HR_DIRECTOR, CENTRAL), Someone(Role.FINANCE_DIRECTOR, CENTRAL)
CLERK, AUDITOR = Someone(Role.GOVERNANCE_ADMIN, CENTRAL), Someone(Role.AUDITOR, CENTRAL)
EVERY_DECIDER = (CEO, COO, CHAIR, VICE, HR, FINANCE, HEAD, OTHER_HEAD, CLERK, AUDITOR, TEACHER)

# (kind, requester, the deciders who may; every other in EVERY_DECIDER may not)
CASES: list[tuple[Kind, Someone, set[Someone]]] = [
    (Kind.HOSPITALITY, TEACHER, {CEO, COO, CHAIR}),
    (Kind.HOSPITALITY, HEAD, {CEO, COO, CHAIR}),
    (Kind.HOSPITALITY, HR, {CEO, COO, CHAIR}),
    (Kind.HOSPITALITY, CEO, {CHAIR}),  # the CEO's own only by the Chair
    (Kind.HOSPITALITY, CHAIR, {CEO, COO}),  # the Chair's by the CEO or the COO
    (Kind.HOSPITALITY, COO, {CEO, CHAIR}),  # never oneself
    (Kind.GIFT, TEACHER, {HR, FINANCE}),
    (Kind.GIFT, CEO, {HR, FINANCE}),
    (Kind.GIFT, HR, {FINANCE}),
    (Kind.GIFT, FINANCE, {HR}),
    (Kind.PAID_WORK, TEACHER, {HEAD}),  # the headteacher of the requester's school, no other
    (Kind.PAID_WORK, CENTRAL_STAFF, {COO}),
    (Kind.PAID_WORK, HEAD, {COO}),  # headteachers' to the COO
    (Kind.PAID_WORK, OTHER_HEAD, {COO}),
    (Kind.PAID_WORK, HR, {COO}),
    (Kind.PAID_WORK, COO, {CEO}),
    (Kind.PAID_WORK, CEO, {CHAIR}),
]


@dataclass(frozen=True)
class Request:
    id: uuid.UUID
    person_id: uuid.UUID


class Trust:
    """Everyone of EVERY_DECIDER (and the requester) as people in the test's database."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.schools: dict[str | None, uuid.UUID | None] = {CENTRAL: None}
        self.actors: dict[Someone, Actor] = {}

    async def person(self, who: Someone) -> Actor:
        if who not in self.actors:
            if who.school not in self.schools:
                self.schools[who.school] = (await make_school(self.session)).id
            made = await make_person(
                self.session, *([who.role] if who.role else []), school_id=self.schools[who.school]
            )
            roles = frozenset(made.roles)
            self.actors[who] = Actor(made.id, made.email, made.full_name, made.school_id, roles,
                                     frozenset(), permissions_of(roles))  # fmt: skip
        return self.actors[who]


async def python_allows(session: AsyncSession, decider: Actor, kind: Kind, asking: Actor) -> bool:
    try:
        await policy.ensure_may_decide(session, decider, kind, Request(uuid.uuid4(), asking.id))
    except Forbidden:
        return False
    return True


async def sql_allows(session: AsyncSession, decider: Actor, kind: Kind, asking: Actor) -> bool:
    condition = policy.decidable(kind, decider, Person)
    if condition is None:
        return False
    return await session.scalar(select(Person.id).where(Person.id == asking.id, condition)) is not None


@pytest.mark.parametrize(
    ("kind", "requester", "allowed"), CASES, ids=lambda v: getattr(v, "value", None) or ""
)
async def test_who_may_decide(
    session: AsyncSession, kind: Kind, requester: Someone, allowed: set[Someone]
) -> None:
    trust = Trust(session)
    asking = await trust.person(requester)
    everyone = [await trust.person(who) for who in EVERY_DECIDER]
    for who, decider in zip(EVERY_DECIDER, everyone, strict=True):
        expected = who in allowed and who != requester
        assert await python_allows(session, decider, kind, asking) is expected, (kind, requester, who)
        assert await sql_allows(session, decider, kind, asking) is expected, ("SQL", kind, requester, who)


@pytest.mark.parametrize("kind", list(Kind))
async def test_nobody_decides_their_own(session: AsyncSession, kind: Kind) -> None:
    trust = Trust(session)
    for who in (CEO, COO, CHAIR, HR, FINANCE, HEAD):
        actor = await trust.person(who)
        assert not await python_allows(session, actor, kind, actor)
        assert not await sql_allows(session, actor, kind, actor)


async def test_the_vice_chair_decides_the_ceos_hospitality_only_when_no_chair_may(
    session: AsyncSession,
) -> None:
    trust = Trust(session)
    ceo, vice = await trust.person(CEO), await trust.person(VICE)

    async def vice_may() -> bool:
        by_python = await python_allows(session, vice, Kind.HOSPITALITY, ceo)
        assert await sql_allows(session, vice, Kind.HOSPITALITY, ceo) is by_python
        return by_python

    assert await vice_may(), "no Chair in the trust: the Vice Chair decides"
    chair = await trust.person(CHAIR)
    assert not await vice_may(), "a Chair who may: only the Chair decides"
    assert await python_allows(session, chair, Kind.HOSPITALITY, ceo)
    person = await session.get(Person, chair.id)
    assert person is not None
    person.active = False
    await session.flush()
    assert await vice_may(), "the Chair has left: the Vice Chair decides again"


async def test_the_reason_is_given(session: AsyncSession) -> None:
    trust = Trust(session)
    ceo, coo = await trust.person(CEO), await trust.person(COO)
    await trust.person(CHAIR)
    with pytest.raises(Forbidden, match="Only the Chair of Trustees decides this request"):
        await policy.ensure_may_decide(session, coo, Kind.HOSPITALITY, Request(uuid.uuid4(), ceo.id))
    with pytest.raises(Forbidden, match="Nobody decides their own request"):
        await policy.ensure_may_decide(session, coo, Kind.HOSPITALITY, Request(uuid.uuid4(), coo.id))


async def test_paid_work_at_a_school_with_no_headteacher_goes_to_the_coo(session: AsyncSession) -> None:
    trust = Trust(session)
    teacher, coo = await trust.person(Someone(None, VALLEY)), await trust.person(COO)

    async def coo_may() -> bool:
        by_python = await python_allows(session, coo, Kind.PAID_WORK, teacher)
        assert await sql_allows(session, coo, Kind.PAID_WORK, teacher) is by_python
        return by_python

    await trust.person(HEAD)  # Hillside's headteacher is no help to a Valley teacher
    assert await coo_may(), "no headteacher at the teacher's school: the COO decides"
    valley_head = await trust.person(OTHER_HEAD)
    assert not await coo_may(), "the school has a headteacher: only they decide"
    assert await python_allows(session, valley_head, Kind.PAID_WORK, teacher)


async def test_the_possible_deciders_of_paid_work_at_a_school_with_no_headteacher_include_the_coo(
    session: AsyncSession,
) -> None:
    trust = Trust(session)
    teacher, coo, head = (
        await trust.person(Someone(None, VALLEY)),
        await trust.person(COO),
        await trust.person(HEAD),
    )
    request = Request(uuid.uuid4(), teacher.id)
    # The fallback is of no school: only the decider role (the headteacher) is of the teacher's school.
    assert await policy.possible_deciders(session, Kind.PAID_WORK, request) == {coo.id}
    valley_head = await trust.person(OTHER_HEAD)
    assert await policy.possible_deciders(session, Kind.PAID_WORK, request) == {coo.id, valley_head.id}
    assert head.id not in await policy.possible_deciders(session, Kind.PAID_WORK, request)
