"""The published register: who must be listed, and what of theirs may be published.

Academy Trust Handbook: members, trustees, local governors and the accounting officer who held an
appointment at any time in the last 12 months, with their appointments and their interests. Never
published: membership interests (special category data), the names of spouses, partners and family,
descriptions marked private, and anyone else.
"""

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

import anyio.to_thread
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.audit.models import AuditEvent
from app.core import clock
from app.interests.models import Interest, interest_open_on
from app.interests.schemas import InterestCategory
from app.people.governance import GovernanceRole
from app.people.models import Appointment, Person, School
from app.trust_settings import service as trust_settings
from app.trust_settings.models import TrustSettings

PUBLISHED_ROLES = (
    GovernanceRole.MEMBER.value,
    GovernanceRole.TRUSTEE.value,
    GovernanceRole.LOCAL_GOVERNOR.value,
    GovernanceRole.ACCOUNTING_OFFICER.value,
)
UNPUBLISHED_CATEGORIES = (InterestCategory.MEMBERSHIP.value,)

# The audited writes that can change what is published: people (names), their appointments, their
# interests, schools (each has a page, listed on the trust's) and the settings (the trust's name is
# in every page's title, read with the register, not on every request). Anything else (a failed
# login, a declaration, a gift) keeps the cached register, so it is rebuilt only as often as it
# really changes. A prefix, so a new action of these domains is covered without a change here.
REGISTER_ACTION_PREFIXES = ("person.", "appointment.", "interest.", "school.", "settings.")


def register_events() -> ColumnElement[bool]:
    return or_(*(AuditEvent.action.startswith(prefix) for prefix in REGISTER_ACTION_PREFIXES))


async def latest_register_event(
    connection: AsyncConnection | AsyncSession, after: int = 0, upto: int | None = None
) -> tuple[int, str] | None:
    """The seq and hash of the latest register event (after and up to these seqs)."""
    statement = select(AuditEvent.seq, AuditEvent.hash).where(register_events(), AuditEvent.seq > after)
    if upto is not None:
        statement = statement.where(AuditEvent.seq <= upto)
    latest = (await connection.execute(statement.order_by(AuditEvent.seq.desc()).limit(1))).one_or_none()
    return None if latest is None else (int(latest[0]), str(latest[1]))


async def changed_at(connection: AsyncConnection, seq: int, day: date) -> datetime:
    """When the register of this day last changed, as the data say (so that every worker, and the
    same worker after a restart, stamps the same content the same): the time of its latest register
    event, and not before the day's start (the 12 months move on at midnight)."""
    start = clock.start_of(day)
    at = await connection.scalar(select(AuditEvent.at).where(AuditEvent.seq == seq)) if seq else None
    if not isinstance(at, datetime):
        return start
    return max(at if at.tzinfo else at.replace(tzinfo=UTC), start)


@dataclass
class PublishedPerson:
    full_name: str
    appointments: list[dict[str, Any]] = field(default_factory=list)
    interests: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"full_name": self.full_name, "appointments": self.appointments, "interests": self.interests}


@dataclass(frozen=True)
class SchoolEntry:
    """A school as its page of the register names it."""

    id: str  # the UUID in its usual form, as the JSON publishes an appointment's school_id
    name: str
    slug: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "slug": self.slug}


@dataclass(frozen=True)
class Register:
    as_of: date
    period_from: date
    generated_at: datetime
    people: list[PublishedPerson]
    past: bool = False  # the register as it stood on an earlier day (?as_of=), not today's

    def heading(self) -> dict[str, Any]:
        """What the JSON document says before its items."""
        return {
            "as_of": self.as_of.isoformat(),
            "period_from": self.period_from.isoformat(),
            "generated_at": self.generated_at.isoformat(),
        }

    def as_json(self) -> dict[str, Any]:
        items = [p.as_json() for p in self.people]
        return {**self.heading(), "items": items, "total": len(self.people)}


def period_start(today: date) -> date:
    """The first day of the last 12 months: the same date a year ago (29 February: the 28th)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


PersonIds = Collection[uuid.UUID] | None  # some people only; None: everyone


def _published_appointment(today: date, only: PersonIds = None) -> ColumnElement[bool]:
    """A governance appointment that was open at some time in the last 12 months."""
    since = period_start(today)
    return and_(
        Appointment.person_id.in_(only) if only is not None else true(),
        Appointment.governance_role.in_(PUBLISHED_ROLES),
        Appointment.appointed_on <= today,
        or_(Appointment.stepped_down_on.is_(None), Appointment.stepped_down_on >= since),
        or_(Appointment.term_ends_on.is_(None), Appointment.term_ends_on >= since),
    )


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day


def _grouping_key(column: Any) -> Any:
    """An id only groups, orders or finds rows here: read as text, without building 27,000 UUIDs."""
    # A cast, not type_coerce: psycopg makes a UUID of every uuid column whatever SQLAlchemy is told,
    # and a UUID hashes and compares in Python, which made each dict lookup several times dearer.
    # Text sorts as the UUIDs do (lower-case hex, the dashes in the same places).
    return cast(column, String)


def appointments_statement(today: date, only: PersonIds = None) -> Select[*tuple[Any, ...]]:
    """The published appointments with their holders' names, by name (the benchmark times it bare)."""
    return (
        select(
            _grouping_key(Person.id),
            Person.full_name,
            Appointment.governance_role,
            Appointment.school_id,
            Appointment.body,
            Appointment.appointed_by,
            Appointment.appointed_on,
            Appointment.term_ends_on,
            Appointment.stepped_down_on,
        )
        .join(Person, Person.id == Appointment.person_id)
        .where(_published_appointment(today, only))
        .order_by(Person.full_name, Person.id, Appointment.appointed_on, Appointment.id)
    )


def interests_statement(today: date, only: PersonIds = None) -> Select[*tuple[Any, ...]]:
    """The open, publishable interests of everyone listed; never the holder's name or relationship."""
    listed = select(Appointment.person_id).where(_published_appointment(today, only)).distinct()
    return (
        select(
            _grouping_key(Interest.person_id),
            Interest.category,
            Interest.holder,
            Interest.organisation_name,
            Interest.company_number,
            Interest.charity_number,
            Interest.description,
            Interest.private,
            Interest.financial,
            Interest.direct,
            Interest.start_date,
            _grouping_key(Interest.id),
        )
        # No ORDER BY: sorting 25,000 rows in the database (on PostgreSQL it spills to disk) costs
        # more than sorting each person's handful in _shape_people.
        .where(
            Interest.person_id.in_(listed),
            Interest.person_id.in_(only) if only is not None else true(),
            interest_open_on(today),
            Interest.category.not_in(UNPUBLISHED_CATEGORIES),
        )
    )


_INTEREST_ORDER = itemgetter(10, 1, 11)  # start_date, category, id


def _published_interest(row: Any) -> dict[str, Any]:
    """Never the holder's name or relationship (not even selected): only whose interest it is, by kind."""
    _, category, holder, organisation, company, charity, description, private, *rest = row
    financial, direct, start, _ = rest
    return {
        "category": category,
        "holder": holder,
        "organisation_name": organisation,
        "company_number": company,
        "charity_number": charity,
        "description": None if private else description,
        "financial": bool(financial),
        "direct": bool(direct),
        "start_date": _iso(start),
    }


PersonKey = str  # a person's id as text, to group rows and to find the person again


def _shape_people(appointments: Sequence[Any], interests: Sequence[Any]) -> dict[PersonKey, PublishedPerson]:
    """Rows to published people in the appointments' order, each with their appointments and interests."""
    people: dict[PersonKey, PublishedPerson] = {}
    for (
        person_id,
        full_name,
        role,
        school_id,
        body,
        appointed_by,
        appointed_on,
        term_ends_on,
        stepped_down_on,
    ) in appointments:
        entry = people.get(person_id)
        if entry is None:
            entry = people[person_id] = PublishedPerson(full_name=full_name)
        entry.appointments.append(
            {
                "governance_role": role,
                "school_id": None if school_id is None else str(school_id),
                "body": body,
                "appointed_by": appointed_by,
                "appointed_on": _iso(appointed_on),
                "term_ends_on": _iso(term_ends_on),
                "stepped_down_on": _iso(stepped_down_on),
            }
        )
    held: dict[Any, list[Any]] = {}
    for row in interests:
        held.setdefault(row[0], []).append(row)
    for person_id, rows in held.items():
        entry = people.get(person_id)
        if entry is None:  # listed by the subquery but not by the join: cannot happen; never publish it
            continue
        rows.sort(key=_INTEREST_ORDER)
        entry.interests = [_published_interest(row) for row in rows]
    return people


def register_of(
    today: date, people: Iterable[PublishedPerson], generated_at: datetime, *, past: bool = False
) -> Register:
    """The register of this day listing these people, as the data stood at `generated_at`."""
    return Register(
        as_of=today,
        period_from=period_start(today),
        generated_at=generated_at,
        people=list(people),
        past=past,
    )


@dataclass(frozen=True)
class Site:
    """What the pages say besides the people: the trust's name and its schools (each has a page)."""

    trust_name: str
    schools: tuple[SchoolEntry, ...]


async def fetch_site(connection: AsyncConnection) -> Site:
    """The trust's name, and every school by name."""
    rows = await connection.execute(
        select(School.id, School.name, School.slug).order_by(School.name, School.id)
    )
    schools = tuple(SchoolEntry(str(school_id), name, slug) for school_id, name, slug in rows)
    name = await connection.scalar(select(TrustSettings.trust_name).where(TrustSettings.id == 1))
    return Site(trust_settings.trust_name_or_default(name), schools)


async def first_day(connection: AsyncConnection) -> date | None:
    """The day of the trust's first appointment on record: the register has nothing before it."""
    found = await connection.scalar(select(func.min(Appointment.appointed_on)))
    return date.fromisoformat(found) if isinstance(found, str) else found


# A few people shape in well under a millisecond: cheaper than the hop to a worker thread.
_SHAPED_ON_THE_LOOP = 50


async def fetch_people(
    connection: AsyncConnection, today: date, only: PersonIds = None
) -> dict[PersonKey, PublishedPerson]:
    """Everyone listed on this day (or those of `only` who are), in the published order."""
    appointments = (await connection.execute(appointments_statement(today, only))).all()
    interests = (await connection.execute(interests_statement(today, only))).all()
    if only is not None and len(only) <= _SHAPED_ON_THE_LOOP:
        return _shape_people(appointments, interests)
    # Tens of thousands of rows: shaped off the event loop, which keeps serving other requests.
    return await anyio.to_thread.run_sync(_shape_people, appointments, interests)


def listed_statement(today: date) -> Select[tuple[Any]]:
    """The ids of everyone listed on this day, in the published order (by name, then id)."""
    return (
        select(_grouping_key(Person.id))
        .where(Person.id.in_(select(Appointment.person_id).where(_published_appointment(today))))
        .order_by(Person.full_name, Person.id)
    )


def keys_statement(people: Collection[uuid.UUID]) -> Select[tuple[Any]]:
    """These people's ids as listed_statement and fetch_people return them."""
    return select(_grouping_key(Person.id)).where(Person.id.in_(people))


async def build(session: AsyncSession, today: date | None = None) -> Register:
    """The register as it may be published on this day (default: today), built whole."""
    today = today or clock.today()
    # Plain column rows through the session's connection: the ORM's result machinery, which
    # session.execute would add, costs as much as the queries themselves at this size.
    connection = await session.connection()
    people = await fetch_people(connection, today)
    latest = await latest_register_event(connection)
    when = await changed_at(connection, latest[0] if latest else 0, today)
    return register_of(today, people.values(), when, past=today != clock.today())
