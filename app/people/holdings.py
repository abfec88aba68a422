"""What people hold: their roles and their open governance appointments, set for many people at once
(an import changes thousands; one person's change is the same work for a crowd of one)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core import clock
from app.core.db import chunks
from app.people.governance import GovernanceRole, appointment_school
from app.people.models import Appointment, PersonRole, appointment_open_on


def appointment_rows(
    person_id: uuid.UUID, school_id: uuid.UUID | None, roles: Iterable[GovernanceRole]
) -> list[dict[str, Any]]:
    """The scripts' shorthand: governance roles become appointments open from today, at the person's
    school where the role names one (a local governor whose person has no school is a 422)."""
    today, now = clock.today(), clock.now()
    return [
        {
            "id": uuid.uuid4(),
            "person_id": person_id,
            "governance_role": role.value,
            "school_id": appointment_school(role, None, school_id),
            "appointed_on": today,
            "created_at": now,
        }
        for role in sorted(set(roles))
    ]


async def replace_roles(session: AsyncSession, wanted: Mapping[uuid.UUID, set[Role]]) -> None:
    """Each person's roles become exactly these."""
    for chunk in chunks(list(wanted)):
        await session.execute(delete(PersonRole).where(PersonRole.person_id.in_(chunk)))
    rows = [
        {"person_id": person, "role": role.value}
        for person, roles in wanted.items()
        for role in sorted(roles)
    ]
    if rows:
        await session.execute(insert(PersonRole), rows)


async def reconcile_appointments(
    session: AsyncSession,
    wanted: Mapping[uuid.UUID, set[GovernanceRole]],
    schools: Mapping[uuid.UUID, uuid.UUID | None],
) -> None:
    """Open appointments, from today, for roles newly wanted (at the person's school, from `schools`,
    where the role names one); step down, today, from roles no longer wanted; leave the rest (and
    their dates and schools) alone."""
    today = clock.today()
    held: dict[uuid.UUID, set[GovernanceRole]] = defaultdict(set)
    for chunk in chunks(list(wanted)):
        found = await session.execute(
            select(Appointment.person_id, Appointment.governance_role).where(
                Appointment.person_id.in_(chunk), appointment_open_on(today)
            )
        )
        for person, role in found:
            held[person].add(GovernanceRole(role))
    # Built before this writes anything: a refusal (a local governor with no school) comes first.
    rows = [
        row
        for person, roles in wanted.items()
        for row in appointment_rows(person, schools[person], roles - held[person])
    ]
    leaving: dict[GovernanceRole, list[uuid.UUID]] = defaultdict(list)
    for person, roles in wanted.items():
        for role in held[person] - roles:
            leaving[role].append(person)
    for role, people in leaving.items():
        for chunk in chunks(people):
            await session.execute(
                update(Appointment)
                .where(
                    Appointment.person_id.in_(chunk),
                    Appointment.governance_role == role.value,
                    appointment_open_on(today),
                )
                .values(stepped_down_on=today)
                # Loaded appointments (a test's session, a later read in this request) see the change.
                .execution_options(synchronize_session="fetch")
            )
    if rows:
        await session.execute(insert(Appointment), rows)
