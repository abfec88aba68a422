"""Who may decide what: the one approval policy.

The rules are data (POLICIES below), read three ways, so that no rule is written twice:
- `decider_for()` / `ensure_may_decide()`: may this person decide this request (Python, with reasons);
- `visible()`: which requests a person may see (SQL, for every read of a record kind);
- `decidable()`: which requests a person may decide now (SQL, for the approver's queue).

Sources: The Learning Alliance code of conduct (hospitality authorised in advance by the Chief
Executive, the Chief Operating Officer or the Chair of Trustees; advice on gifts from the Director of
HR or of Finance and Governance; additional paid work disclosed to the headteacher), and the contract:
the CEO's own hospitality only by the Chair (the Vice Chair when the Chair may not), the Chair's by
the CEO or the COO; paid work of central staff and of headteachers to the COO, the COO's to the CEO,
the CEO's to the Chair. Nobody decides their own.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.auth.actor import Actor
from app.auth.permissions import Permission, Role
from app.core.errors import Forbidden
from app.people.models import Person, PersonRole, roles_held, split_held


class Kind(StrEnum):
    GIFT = "gift"
    HOSPITALITY = "hospitality"
    PAID_WORK = "paid_work"


@dataclass(frozen=True)
class Requester:
    """The person who asked, as the policy sees them."""

    id: uuid.UUID
    school_id: uuid.UUID | None
    roles: frozenset[Role]


# ---------------------------------------------------------------- conditions on the requester


class Condition(Protocol):
    def matches(self, requester: Requester) -> bool: ...

    def sql(self, person: type[Person]) -> ColumnElement[bool]: ...


@dataclass(frozen=True)
class Holds:
    """The requester holds one of these roles."""

    roles: frozenset[Role]

    def matches(self, requester: Requester) -> bool:
        return bool(self.roles & requester.roles)

    def sql(self, person: type[Person]) -> ColumnElement[bool]:
        return exists(
            select(PersonRole.person_id).where(
                PersonRole.person_id == person.id, PersonRole.role.in_([r.value for r in self.roles])
            )
        )


@dataclass(frozen=True)
class NoSchool:
    """Central staff: the requester belongs to no school."""

    def matches(self, requester: Requester) -> bool:
        return requester.school_id is None

    def sql(self, person: type[Person]) -> ColumnElement[bool]:
        return person.school_id.is_(None)


@dataclass(frozen=True)
class Either:
    conditions: tuple[Condition, ...]

    def matches(self, requester: Requester) -> bool:
        return any(c.matches(requester) for c in self.conditions)

    def sql(self, person: type[Person]) -> ColumnElement[bool]:
        return or_(*(c.sql(person) for c in self.conditions))


@dataclass(frozen=True)
class Anyone:
    def matches(self, requester: Requester) -> bool:
        return True

    def sql(self, person: type[Person]) -> ColumnElement[bool]:
        return true()


# ---------------------------------------------------------------- the rules, as data


@dataclass(frozen=True)
class Route:
    """Requests from requesters who match `when` (and no earlier route) are decided by a holder of
    one of `deciders` (of the requester's own school when `same_school`); by a holder of one of
    `fallback` when no active holder of a decider role may."""

    when: Condition
    deciders: frozenset[Role]
    same_school: bool = False
    fallback: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class KindPolicy:
    routes: tuple[Route, ...]
    # Roles that see every record of the kind (the contract's "Who sees what"), besides the
    # register's keepers and auditors, the requester, and whoever may decide it.
    readers: frozenset[Role] = field(default_factory=frozenset)


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


POLICIES: dict[Kind, KindPolicy] = {
    Kind.HOSPITALITY: KindPolicy(
        routes=(
            Route(Holds(_roles(Role.CEO)), deciders=_roles(Role.CHAIR), fallback=_roles(Role.VICE_CHAIR)),
            Route(Holds(_roles(Role.CHAIR)), deciders=_roles(Role.CEO, Role.COO)),
            Route(Anyone(), deciders=_roles(Role.CEO, Role.COO, Role.CHAIR)),
        ),
        readers=_roles(Role.CEO, Role.COO, Role.CHAIR, Role.VICE_CHAIR),
    ),
    Kind.GIFT: KindPolicy(
        routes=(Route(Anyone(), deciders=_roles(Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR)),),
        readers=_roles(Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR),
    ),
    Kind.PAID_WORK: KindPolicy(
        routes=(
            Route(Holds(_roles(Role.CEO)), deciders=_roles(Role.CHAIR)),
            Route(Holds(_roles(Role.COO)), deciders=_roles(Role.CEO)),
            Route(Either((Holds(_roles(Role.HEADTEACHER)), NoSchool())), deciders=_roles(Role.COO)),
            Route(Anyone(), deciders=_roles(Role.HEADTEACHER), same_school=True),
        ),
        readers=_roles(Role.COO),
    ),
}

ROLE_NAMES = {
    Role.CEO: "the Chief Executive",
    Role.COO: "the Chief Operating Officer",
    Role.CHAIR: "the Chair of Trustees",
    Role.VICE_CHAIR: "the Vice Chair",
    Role.HR_DIRECTOR: "the Director of HR",
    Role.FINANCE_DIRECTOR: "the Director of Finance and Governance",
    Role.HEADTEACHER: "the headteacher",
}


def route_for(kind: Kind, requester: Requester) -> Route:
    """The first route whose condition the requester meets (every kind ends with one for anyone)."""
    return next(route for route in POLICIES[kind].routes if route.when.matches(requester))


# ---------------------------------------------------------------- the conflict hook


class Decidable(Protocol):
    """What the policy needs of a record: whose it is (records plug in through this, so the policy
    never imports a record domain)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def person_id(self) -> uuid.UUID: ...


# A check that may forbid one decider one record, with the reason (the conflict-screening rule: an
# approver with an open interest in the provider may not decide). Registered by the domain that
# knows how to tell; none until then.
ConflictCheck = Callable[[AsyncSession, Kind, Decidable, uuid.UUID], Awaitable[str | None]]
conflict_checks: list[ConflictCheck] = []


async def _conflict(session: AsyncSession, kind: Kind, record: Decidable, decider: uuid.UUID) -> str | None:
    for check in conflict_checks:
        reason = await check(session, kind, record, decider)
        if reason is not None:
            return reason
    return None


# ---------------------------------------------------------------- deciding one record (Python)


async def requester(session: AsyncSession, person_id: uuid.UUID) -> Requester:
    """The requester's school and roles, as the rules read them."""
    row = (await session.execute(select(Person.school_id, roles_held()).where(Person.id == person_id))).one()
    return Requester(person_id, row[0], frozenset(Role(r) for r in split_held(row[1])))


def _names(roles: frozenset[Role]) -> str:
    names = sorted(ROLE_NAMES[role] for role in roles)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


async def _someone_else_may(session: AsyncSession, roles: frozenset[Role], requester: Requester) -> bool:
    """Whether an active holder of one of the roles, other than the requester, could decide."""
    holders = await session.scalars(
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            PersonRole.role.in_([r.value for r in roles]),
            Person.active.is_(True),
            Person.id != requester.id,
        )
        .distinct()
    )
    return bool(list(holders))


async def ensure_may_decide(session: AsyncSession, actor: Actor, kind: Kind, record: Decidable) -> None:
    """403, saying why, unless the actor may decide this record under the policy."""
    if record.person_id == actor.id:
        raise Forbidden("Nobody decides their own request")
    asking = await requester(session, record.person_id)
    route = route_for(kind, asking)
    if route.deciders & actor.roles:
        if route.same_school and (actor.school_id is None or actor.school_id != asking.school_id):
            raise Forbidden(f"Only {_names(route.deciders)} of the requester's school decides this request")
    elif route.fallback & actor.roles:
        if await _someone_else_may(session, route.deciders, asking):
            raise Forbidden(
                f"Only {_names(route.deciders)} decides this request; {_names(route.fallback)} only "
                f"when {_names(route.deciders)} may not"
            )
    else:
        raise Forbidden(f"Only {_names(route.deciders)} decides this request")
    reason = await _conflict(session, kind, record, actor.id)
    if reason is not None:
        raise Forbidden(reason)


async def deciders(session: AsyncSession, kind: Kind, record: Decidable) -> list[uuid.UUID]:
    """Everyone who may decide the record now (for telling them it waits), never the requester."""
    asking = await requester(session, record.person_id)
    route = route_for(kind, asking)
    roles = route.deciders if await _someone_else_may(session, route.deciders, asking) else route.fallback
    statement = (
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            PersonRole.role.in_([r.value for r in roles]),
            Person.active.is_(True),
            Person.id != asking.id,
        )
        .distinct()
    )
    if route.same_school:
        statement = statement.where(Person.school_id == asking.school_id)
    found = list(await session.scalars(statement))
    return [person for person in found if await _conflict(session, kind, record, person) is None]


# ---------------------------------------------------------------- many records (SQL)


def _may_decide(kind: Kind, actor: Actor, person: type[Person]) -> ColumnElement[bool] | None:
    """The records of `kind` whose requester (`person`, joined by the caller) the actor may decide:
    each route's condition, minus the earlier routes', with the decider's own conditions."""
    clauses: list[ColumnElement[bool]] = []
    earlier: list[ColumnElement[bool]] = []
    for route in POLICIES[kind].routes:
        applies = and_(route.when.sql(person), *(not_(e) for e in earlier))
        earlier.append(route.when.sql(person))
        if route.deciders & actor.roles:
            if route.same_school:
                if actor.school_id is None:
                    continue
                applies = and_(applies, person.school_id == actor.school_id)
            clauses.append(applies)
        elif route.fallback & actor.roles:
            clauses.append(and_(applies, not_(_another_holder(route.deciders, person))))
    if not clauses:
        return None  # the actor holds no role that decides this kind
    return and_(person.id != actor.id, or_(*clauses))


def _another_holder(roles: frozenset[Role], person: type[Person]) -> ColumnElement[bool]:
    """An active holder of one of the roles, other than the requester, exists."""
    holder = aliased(Person)
    return exists(
        select(PersonRole.person_id)
        .join(holder, holder.id == PersonRole.person_id)
        .where(
            PersonRole.role.in_([r.value for r in roles]),
            holder.active.is_(True),
            holder.id != person.id,
        )
    )


def reads_all(kind: Kind, actor: Actor) -> bool:
    """The kind's readers, the governance clerk and auditors see every record of it."""
    return actor.has(Permission.RECORDS_READ_ALL) or bool(POLICIES[kind].readers & actor.roles)


def visible(kind: Kind, actor: Actor, owner: Any, person: type[Person]) -> ColumnElement[bool] | None:
    """Which records of `kind` the actor may see, as a condition on the record's `owner` column and
    its requester `person` (joined by the caller); None when the actor sees them all."""
    if reads_all(kind, actor):
        return None
    may = _may_decide(kind, actor, person)
    return owner == actor.id if may is None else or_(owner == actor.id, may)


def decidable(kind: Kind, actor: Actor, person: type[Person]) -> ColumnElement[bool] | None:
    """Which records of `kind` the actor may decide (the approver's queue adds the pending status);
    None when the actor may decide none."""
    return _may_decide(kind, actor, person)
