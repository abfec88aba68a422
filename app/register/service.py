"""The published register: who must be listed, and what of theirs may be published.

Academy Trust Handbook: members, trustees, local governors and the accounting officer who held an
appointment at any time in the last 12 months, with their appointments and their interests. Never
published: membership interests (special category data), the names of spouses, partners and family,
descriptions marked private, and anyone else.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditChainHead
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
LOOKBACK = timedelta(days=365)


@dataclass
class PublishedPerson:
    full_name: str
    appointments: list[dict[str, Any]] = field(default_factory=list)
    interests: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Register:
    as_of: date
    period_from: date
    generated_at: datetime
    people: list[PublishedPerson]

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "period_from": self.period_from.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "items": [
                {"full_name": p.full_name, "appointments": p.appointments, "interests": p.interests}
                for p in self.people
            ],
            "total": len(self.people),
        }


def _published_appointment(today: date) -> ColumnElement[bool]:
    """A governance appointment that was open at some time in the last 12 months."""
    since = today - LOOKBACK
    return and_(
        Appointment.governance_role.in_(PUBLISHED_ROLES),
        Appointment.appointed_on <= today,
        or_(Appointment.stepped_down_on.is_(None), Appointment.stepped_down_on >= since),
        or_(Appointment.term_ends_on.is_(None), Appointment.term_ends_on >= since),
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


async def _appointments(session: AsyncSession, today: date) -> dict[uuid.UUID, PublishedPerson]:
    rows = await session.execute(
        select(
            Person.id,
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
        .order_by(Person.full_name, Person.id, Appointment.appointed_on)
    )
    people: dict[uuid.UUID, PublishedPerson] = {}
    for person_id, full_name, role, body, appointed_by, appointed_on, term_ends_on, stepped_down_on in rows:
        entry = people.setdefault(person_id, PublishedPerson(full_name=full_name))
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
    return people


async def _interests(
    session: AsyncSession, today: date, people: set[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    listed = select(Appointment.person_id).where(_published_appointment(today)).distinct()
    rows = await session.execute(
        select(
            Interest.person_id,
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
        )
        .where(
            Interest.person_id.in_(listed),
            interest_open_on(today),
            Interest.category.not_in(UNPUBLISHED_CATEGORIES),
        )
        .order_by(Interest.person_id, Interest.start_date, Interest.category)
    )
    found: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for (
        person_id,
        category,
        holder,
        organisation,
        company,
        charity,
        description,
        private,
        financial,
        direct,
        start,
    ) in rows:
        if person_id not in people:
            continue
        # Never the holder's name or relationship: only whose interest it is, by kind.
        found[person_id].append(
            {
                "category": category,
                "holder": holder,
                "organisation_name": organisation,
                "company_number": company,
                "charity_number": charity,
                "description": None if private else description,
                "financial": financial,
                "direct": direct,
                "start_date": _iso(start),
            }
        )
    return found


async def build(session: AsyncSession) -> Register:
    """The register as it may be published today."""
    today = clock.today()
    people = await _appointments(session, today)
    interests = await _interests(session, today, set(people))
    for person_id, entry in people.items():
        entry.interests = interests.get(person_id, [])
    return Register(
        as_of=today, period_from=today - LOOKBACK, generated_at=clock.now(), people=list(people.values())
    )


async def version(session: AsyncSession) -> tuple[int, str, date]:
    """Changes with every audited write (so every change to the register) and every day."""
    head = (
        await session.execute(
            select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
        )
    ).one_or_none()
    if head is None:
        return 0, "", clock.today()
    return int(head[0]), str(head[1]), clock.today()


_rendered: dict[str, tuple[tuple[int, str, date], bytes]] = {}


async def rendered(session: AsyncSession, kind: str, render: Callable[[Register], bytes]) -> bytes:
    """The register rendered once per version: the public page is read far more often than it changes."""
    key = await version(session)
    cached = _rendered.get(kind)
    if cached is not None and cached[0] == key:
        return cached[1]
    content = render(await build(session))
    _rendered[kind] = (key, content)
    return content
