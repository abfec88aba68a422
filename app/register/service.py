"""The published register: who must be listed, and what of theirs may be published.

Academy Trust Handbook: members, trustees, local governors and the accounting officer who held an
appointment at any time in the last 12 months, with their appointments and their interests. Never
published: membership interests (special category data), the names of spouses, partners and family,
descriptions marked private, and anyone else.
"""

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import anyio.to_thread
from sqlalchemy import ColumnElement, Select, String, and_, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.permissions import GovernanceRole
from app.core import clock
from app.interests.models import Interest, interest_open_on
from app.interests.schemas import InterestCategory
from app.people.models import Appointment, Person

PUBLISHED_ROLES = (
    GovernanceRole.MEMBER.value,
    GovernanceRole.TRUSTEE.value,
    GovernanceRole.LOCAL_GOVERNOR.value,
    GovernanceRole.ACCOUNTING_OFFICER.value,
)
UNPUBLISHED_CATEGORIES = (InterestCategory.MEMBERSHIP.value,)


@dataclass
class PublishedPerson:
    full_name: str
    appointments: list[dict[str, Any]] = field(default_factory=list)
    interests: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"full_name": self.full_name, "appointments": self.appointments, "interests": self.interests}


@dataclass(frozen=True)
class Register:
    as_of: date
    period_from: date
    generated_at: datetime
    people: list[PublishedPerson]

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


def _published_appointment(today: date) -> ColumnElement[bool]:
    """A governance appointment that was open at some time in the last 12 months."""
    since = period_start(today)
    return and_(
        Appointment.governance_role.in_(PUBLISHED_ROLES),
        Appointment.appointed_on <= today,
        or_(Appointment.stepped_down_on.is_(None), Appointment.stepped_down_on >= since),
        or_(Appointment.term_ends_on.is_(None), Appointment.term_ends_on >= since),
    )


def _iso(day: date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else day


def _grouping_key(column: Any) -> Any:
    """An id only groups or orders rows here: read as stored, without building 27,000 UUID objects."""
    return type_coerce(column, String)


def appointments_statement(today: date) -> Select[*tuple[Any, ...]]:
    """The published appointments with their holders' names, by name (the benchmark times it bare)."""
    return (
        select(
            _grouping_key(Person.id),
            Person.full_name,
            Appointment.governance_role,
            Appointment.body,
            Appointment.appointed_by,
            Appointment.appointed_on,
            Appointment.term_ends_on,
            Appointment.stepped_down_on,
        )
        .join(Person, Person.id == Appointment.person_id)
        .where(_published_appointment(today))
        .order_by(Person.full_name, Person.id, Appointment.appointed_on, Appointment.id)
    )


def interests_statement(today: date) -> Select[*tuple[Any, ...]]:
    """The open, publishable interests of everyone listed; never the holder's name or relationship."""
    listed = select(Appointment.person_id).where(_published_appointment(today)).distinct()
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
        # more than sorting each person's handful in _shape.
        .where(
            Interest.person_id.in_(listed),
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


def _shape(today: date, appointments: Sequence[Any], interests: Sequence[Any]) -> Register:
    """Rows to the published register: appointments by holder, then each holder's interests."""
    people: dict[Any, PublishedPerson] = {}
    for (
        person_id,
        full_name,
        role,
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
    return Register(
        as_of=today, period_from=period_start(today), generated_at=clock.now(), people=list(people.values())
    )


async def build(session: AsyncSession, today: date | None = None) -> Register:
    """The register as it may be published on this day (default: today)."""
    today = today or clock.today()
    # Plain column rows through the session's connection: the ORM's result machinery, which
    # session.execute would add, costs as much as the queries themselves at this size.
    connection = await session.connection()
    appointments = (await connection.execute(appointments_statement(today))).all()
    interests = (await connection.execute(interests_statement(today))).all()
    # Tens of thousands of rows: shaped off the event loop, which keeps serving other requests.
    return await anyio.to_thread.run_sync(_shape, today, appointments, interests)


Version = tuple[int, str, date]


# The audited writes that can change what is published: people (names), their appointments and
# their interests. Anything else (a failed login, a declaration, a school) keeps the cached register,
# so it is rebuilt only as often as it really changes. A prefix, so a new action of these domains
# is covered without a change here.
REGISTER_ACTION_PREFIXES = ("person.", "appointment.", "interest.")


async def version(session: AsyncSession) -> Version:
    """Changes with every audited change to the register, and every day."""
    latest = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(or_(*(AuditEvent.action.startswith(prefix) for prefix in REGISTER_ACTION_PREFIXES)))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).one_or_none()
    if latest is None:
        return 0, "", clock.today()
    return int(latest[0]), str(latest[1]), clock.today()


@dataclass
class _Cache:
    """The last register built and its renderings, all for one version; one build at a time."""

    register: tuple[Version, Register] | None = None
    rendered: dict[str, tuple[Version, bytes]] = field(default_factory=dict)
    locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = field(
        default_factory=weakref.WeakKeyDictionary
    )

    def lock(self) -> asyncio.Lock:
        """One lock per event loop (an asyncio.Lock may not be shared between loops)."""
        loop = asyncio.get_running_loop()
        found = self.locks.get(loop)
        if found is None:
            found = self.locks[loop] = asyncio.Lock()
        return found


_cache = _Cache()


async def rendered(session: AsyncSession, kind: str, render: Callable[[Register], bytes]) -> bytes:
    """The register rendered once per version: the public page is read far more often than it changes."""
    key = await version(session)
    cached = _cache.rendered.get(kind)
    if cached is not None and cached[0] == key:
        return cached[1]
    # After a change, concurrent readers wait for one build instead of each making their own; the
    # JSON, CSV and HTML share it. Built for the day in the key, so a request running across
    # midnight cannot file the next day's register under the previous day's key (or the reverse).
    async with _cache.lock():
        cached = _cache.rendered.get(kind)
        if cached is not None and cached[0] == key:
            return cached[1]
        content = await anyio.to_thread.run_sync(render, await _built(session, key))
        _cache.rendered[kind] = (key, content)
        return content


async def _built(session: AsyncSession, key: tuple[int, str, date]) -> Register:
    """The register of this version, built once (the caller holds the cache's lock)."""
    if _cache.register is None or _cache.register[0] != key:
        _cache.register = (key, await build(session, today=key[2]))
    return _cache.register[1]


async def current(session: AsyncSession) -> Register:
    """The register as it may be published now, from the cache when nothing has changed."""
    key = await version(session)
    async with _cache.lock():
        return await _built(session, key)
