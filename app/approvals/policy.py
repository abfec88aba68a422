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

from sqlalchemy import ColumnElement, and_, exists, literal, not_, or_, select, true
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
    # Roles that see the records of the people of their own school (a headteacher: their paid work).
    school_readers: frozenset[Role] = field(default_factory=frozenset)


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
            # A school with no headteacher (a vacancy): the COO, who decides the headteachers' own.
            Route(Anyone(), deciders=_roles(Role.HEADTEACHER), same_school=True, fallback=_roles(Role.COO)),
        ),
        readers=_roles(Role.COO),
        school_readers=_roles(Role.HEADTEACHER),
    ),
}

# Every role some route names to decide or to stand in (the web interface shows them Decisions).
DECIDING_ROLES = frozenset(
    role for kind in POLICIES.values() for route in kind.routes for role in route.deciders | route.fallback
)

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


@dataclass(frozen=True)
class ConflictRule:
    """An approver with an open declared interest in the other party of a record may not decide it
    (the contract's hospitality rule). Registered by conflict screening, which knows how to tell;
    read both ways from the same stored matches, so that the Python check and the SQL agree:
    - `reason(session, record, person)`: why this person may not decide this record, or None;
    - `conflicted(record_id, person_id)`: the same as an SQL condition on two columns or values.
    A conflicted decider does not count as one who may decide, so the route's fallback (the Vice
    Chair for the CEO's hospitality) decides when every holder of the decider role is conflicted."""

    reason: Callable[[AsyncSession, Decidable, uuid.UUID], Awaitable[str | None]]
    conflicted: Callable[[Any, Any], ColumnElement[bool]]


conflict_rules: dict[Kind, ConflictRule] = {}


def _not_conflicted(kind: Kind, record_id: Any, person_id: Any) -> list[ColumnElement[bool]]:
    rule = conflict_rules.get(kind)
    return [] if rule is None or record_id is None else [not_(rule.conflicted(record_id, person_id))]


# ---------------------------------------------------------------- deciding one record (Python)


async def requester(session: AsyncSession, person_id: uuid.UUID) -> Requester:
    """The requester's school and roles, as the rules read them."""
    row = (await session.execute(select(Person.school_id, roles_held()).where(Person.id == person_id))).one()
    return Requester(person_id, row[0], frozenset(Role(r) for r in split_held(row[1])))


def _names(roles: frozenset[Role]) -> str:
    names = sorted(ROLE_NAMES[role] for role in roles)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


async def _someone_else_may(
    session: AsyncSession, kind: Kind, route: Route, requester: Requester, record: Decidable
) -> bool:
    """Whether an active holder of one of the route's decider roles (of the requester's school, when
    the route says so), other than the requester and not conflicted on the record, could decide."""
    statement = (
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            PersonRole.role.in_([r.value for r in route.deciders]),
            Person.active.is_(True),
            Person.id != requester.id,
            *_not_conflicted(kind, literal(record.id), Person.id),
        )
        .limit(1)
    )
    if route.same_school:
        statement = statement.where(Person.school_id == requester.school_id)
    return await session.scalar(statement) is not None


def _decides(route: Route, actor: Actor, requester: Requester) -> bool:
    """The actor holds one of the route's decider roles (in the requester's school, if need be)."""
    if not route.deciders & actor.roles:
        return False
    return not route.same_school or (actor.school_id is not None and actor.school_id == requester.school_id)


def _why_not(route: Route, as_fallback: bool) -> str:
    who = _names(route.deciders) + (" of the requester's school" if route.same_school else "")
    if not as_fallback:
        return f"Only {who} decides this request"
    return f"Only {who} decides this request; {_names(route.fallback)} only when {who} may not"


async def ensure_may_decide(session: AsyncSession, actor: Actor, kind: Kind, record: Decidable) -> None:
    """403, saying why, unless the actor may decide this record under the policy: nobody their own,
    only the route's deciders (its fallback when none of them may), never one with an open interest
    in the other party (the conflict rule, which the approver's queue applies in SQL too)."""
    if record.person_id == actor.id:
        raise Forbidden("Nobody decides their own request")
    asking = await requester(session, record.person_id)
    route = route_for(kind, asking)
    if not _decides(route, actor, asking):
        as_fallback = bool(route.fallback & actor.roles)
        if not as_fallback or await _someone_else_may(session, kind, route, asking, record):
            raise Forbidden(_why_not(route, as_fallback))
    rule = conflict_rules.get(kind)
    if rule is not None and (reason := await rule.reason(session, record, actor.id)) is not None:
        raise Forbidden(reason)


def ensure_not_party(actor: Actor, people: set[uuid.UUID], doing: str) -> None:
    """Nobody decides about themselves: a check that found the caller's own interest, or a related
    party transaction in which they are the related party, is for someone else (403)."""
    if actor.id in people:
        raise Forbidden(f"You may not {doing} that concerns your own interest: another screener does")


async def possible_deciders(session: AsyncSession, kind: Kind, record: Decidable) -> set[uuid.UUID]:
    """Everyone who holds a role that may decide this record, its fallback included, whether or not
    they are conflicted (the provider_conflict flag names a conflict of any of them). Only the
    decider roles are of the requester's school when the route says so: the fallback is whoever
    holds it (the COO, of no school, for a school with no headteacher)."""
    asking = await requester(session, record.person_id)
    route = route_for(kind, asking)
    deciding: ColumnElement[bool] = PersonRole.role.in_([r.value for r in route.deciders])
    if route.same_school:
        deciding = and_(deciding, Person.school_id == asking.school_id)
    statement = (
        select(Person.id)
        .join(PersonRole, PersonRole.person_id == Person.id)
        .where(
            or_(deciding, PersonRole.role.in_([r.value for r in route.fallback])),
            Person.active.is_(True),
            Person.id != asking.id,
        )
    )
    return set(await session.scalars(statement))


# ---------------------------------------------------------------- many records (SQL)


def _may_decide(
    kind: Kind, actor: Actor, person: type[Person], record_id: Any = None
) -> ColumnElement[bool] | None:
    """The records of `kind` whose requester (`person`, joined by the caller) the actor may decide:
    each route's condition, minus the earlier routes', with the decider's own conditions; with the
    record's id column, minus the records the actor is conflicted on (and a fallback decides when
    every holder of the decider role is)."""
    clauses: list[ColumnElement[bool]] = []
    earlier: list[ColumnElement[bool]] = []
    for route in POLICIES[kind].routes:
        condition = route.when.sql(person)
        applies = and_(condition, *(not_(e) for e in earlier))
        earlier.append(condition)
        if route.deciders & actor.roles and not route.same_school:
            clauses.append(applies)
        elif route.deciders & actor.roles and actor.school_id is not None:
            clauses.append(and_(applies, person.school_id == actor.school_id))
        if route.fallback & actor.roles:
            clauses.append(and_(applies, not_(_another_holder(kind, route, person, record_id))))
    if not clauses:
        return None  # the actor holds no role that decides this kind
    return and_(person.id != actor.id, or_(*clauses), *_not_conflicted(kind, record_id, actor.id))


def _another_holder(kind: Kind, route: Route, person: type[Person], record_id: Any) -> ColumnElement[bool]:
    """An active holder of one of the route's decider roles (of the requester's school, when the
    route says so), other than the requester and not conflicted on the record, exists."""
    holder = aliased(Person)
    conditions = [
        PersonRole.role.in_([r.value for r in route.deciders]),
        holder.active.is_(True),
        holder.id != person.id,
        *_not_conflicted(kind, record_id, holder.id),
    ]
    if route.same_school:
        conditions.append(holder.school_id == person.school_id)
    return exists(
        select(PersonRole.person_id).join(holder, holder.id == PersonRole.person_id).where(*conditions)
    )


def reads_all(kind: Kind, actor: Actor) -> bool:
    """The kind's readers, the governance clerk and auditors see every record of it."""
    return actor.has(Permission.RECORDS_READ_ALL) or bool(POLICIES[kind].readers & actor.roles)


def visible(kind: Kind, actor: Actor, owner: Any, person: type[Person]) -> ColumnElement[bool] | None:
    """Which records of `kind` the actor may see, as a condition on the record's `owner` column and
    its requester `person` (joined by the caller); None when the actor sees them all."""
    if reads_all(kind, actor):
        return None
    seen: list[ColumnElement[bool]] = [owner == actor.id]
    if (may := _may_decide(kind, actor, person)) is not None:
        seen.append(may)
    if POLICIES[kind].school_readers & actor.roles and actor.school_id is not None:
        seen.append(person.school_id == actor.school_id)
    return or_(*seen)


def decidable(
    kind: Kind, actor: Actor, person: type[Person], record_id: Any = None
) -> ColumnElement[bool] | None:
    """Which records of `kind` (`record_id` their id column) the actor may decide (the approver's
    queue adds the pending status); None when the actor may decide none."""
    return _may_decide(kind, actor, person, record_id)
