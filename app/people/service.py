"""Schools, people and appointments: the governance_admin keeps them; nobody changes their own roles."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.actor import Actor
from app.auth.dependencies import get_passwords
from app.auth.permissions import Permission, Role
from app.core import clock, text
from app.core.db import chunks
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.people import holdings
from app.people.governance import GovernanceRole, appointment_school
from app.people.models import (
    Appointment,
    Person,
    PersonRole,
    School,
    appointment_open_on,
    governance_roles_held,
    roles_held,
    split_held,
)
from app.people.schemas import (
    AppointmentCreate,
    AppointmentUpdate,
    PersonCreate,
    PersonRead,
    PersonUpdate,
)

EMAIL_TAKEN = "A person with this email already exists (emails are compared case-insensitively)"


# ---------------------------------------------------------------- people: reading


def readable_people(actor: Actor) -> Select[Person]:
    """Everyone for the register's keepers, auditors and the trust-wide deciders; the people of
    their own school for a headteacher; otherwise only oneself."""
    statement = select(Person)
    if actor.has(Permission.PEOPLE_READ_ALL):
        return statement
    visible = Person.id == actor.id
    if actor.has(Permission.PEOPLE_READ_SCHOOL) and actor.school_id is not None:
        visible = or_(visible, Person.school_id == actor.school_id)
    return statement.where(visible)


@dataclass(frozen=True)
class PeopleFilter:
    school_id: uuid.UUID | None = None
    role: Role | None = None
    governance_role: GovernanceRole | None = None
    active: bool | None = None
    email: str | None = None
    search: str | None = None  # part of a name or an email address, any case (the clerk's pages)


async def get_person(session: AsyncSession, actor: Actor, person_id: uuid.UUID) -> Person:
    """A person the caller may see; anyone else is a 404."""
    person = await session.scalar(readable_people(actor).where(Person.id == person_id))
    if person is None:
        raise NotFound("person")
    return person


async def list_people(
    session: AsyncSession, actor: Actor, filters: PeopleFilter, page: PageParams
) -> tuple[list[PersonRead], int]:
    statement = readable_people(actor)
    if filters.school_id is not None:
        statement = statement.where(Person.school_id == filters.school_id)
    if filters.active is not None:
        statement = statement.where(Person.active.is_(filters.active))
    if filters.email is not None:
        statement = statement.where(Person.email_key == text.email_key(filters.email))
    if filters.search:
        wanted = filters.search.strip().lower()
        statement = statement.where(
            or_(
                func.lower(Person.full_name).contains(wanted, autoescape=True),
                Person.email_key.contains(wanted, autoescape=True),
            )
        )
    if filters.role is not None:
        statement = statement.where(
            Person.id.in_(select(PersonRole.person_id).where(PersonRole.role == filters.role.value))
        )
    if filters.governance_role is not None:
        held = select(Appointment.person_id).where(
            Appointment.governance_role == filters.governance_role.value, appointment_open_on(clock.today())
        )
        statement = statement.where(Person.id.in_(held))
    people, total = await paginate(session, statement, page, Person.full_name, Person.id)
    return await views(session, people), total


async def views(session: AsyncSession, people: list[Person]) -> list[PersonRead]:
    """People with their roles and the governance roles of their open appointments."""
    held: dict[uuid.UUID, tuple[str | None, str | None]] = {}
    for chunk in chunks(people):
        found = await session.execute(
            select(Person.id, roles_held(), governance_roles_held(clock.today())).where(
                Person.id.in_([p.id for p in chunk])
            )
        )
        held.update({person_id: (roles, governance) for person_id, roles, governance in found})
    return [
        PersonRead(
            id=p.id,
            email=p.email,
            full_name=p.full_name,
            school_id=p.school_id,
            job_title=p.job_title,
            roles=[Role(r) for r in split_held(held[p.id][0])],
            governance_roles=[GovernanceRole(g) for g in split_held(held[p.id][1])],
            active=p.active,
            created_at=p.created_at,
        )
        for p in people
    ]


async def view(session: AsyncSession, person: Person) -> PersonRead:
    return (await views(session, [person]))[0]


async def names_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """People's full names by id (for registers and exports that show who, not an id)."""
    found: dict[uuid.UUID, str] = {}
    for chunk in chunks(sorted(ids)):
        rows = await session.execute(select(Person.id, Person.full_name).where(Person.id.in_(chunk)))
        found.update({person_id: name for person_id, name in rows})
    return found


async def declarant_for(session: AsyncSession, actor: Actor, person_id: uuid.UUID | None) -> uuid.UUID:
    """A `person_id` in a body: the caller's own, or anyone's when the clerk acts for them (else 422)."""
    if person_id is None or person_id == actor.id:
        return actor.id
    if not actor.has(Permission.ACT_FOR_ANYONE):
        raise Unprocessable("person_id may only be your own", loc=("body", "person_id"))
    if await session.get(Person, person_id) is None:
        raise Unprocessable("No such person", loc=("body", "person_id"))
    return person_id


def _audit_view(person: PersonRead) -> dict[str, Any]:
    """What the trail keeps of a person: everything but the password."""
    return person.model_dump(mode="json", exclude={"created_at"})


# ---------------------------------------------------------------- people: writing


async def _ensure_email_free(session: AsyncSession, email: str, person_id: uuid.UUID | None) -> str:
    email_key = email.lower()
    taken = await session.scalar(select(Person.id).where(Person.email_key == email_key))
    if taken is not None and taken != person_id:
        raise Conflict(EMAIL_TAKEN)
    return email_key


async def _flush_or_conflict(session: AsyncSession) -> None:
    """Two requests racing for one email: the unique constraint decides, and the loser gets 409."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(EMAIL_TAKEN) from exc


async def _ensure_school(session: AsyncSession, school_id: uuid.UUID | None) -> None:
    if school_id is not None and await session.get(School, school_id) is None:
        raise Unprocessable("No such school", loc=("body", "school_id"))


async def create_person(session: AsyncSession, actor: Actor | None, data: PersonCreate) -> PersonRead:
    """Emails are unique case-insensitively; the password is stored only as an argon2id hash."""
    # Hashed before the first statement: on SQLite a write transaction holds the database's write
    # lock from its first statement, and argon2 takes about 120 ms.
    password_hash = await get_passwords().hash(data.password) if data.password else None
    await _ensure_email_free(session, data.email, None)
    await _ensure_school(session, data.school_id)
    (created,) = await create_people(session, actor, [(data, password_hash)])
    return created


async def create_people(
    session: AsyncSession, actor: Actor | None, new: Sequence[tuple[PersonCreate, str | None]]
) -> list[PersonRead]:
    """People already checked (schools exist; passwords hashed), with their roles and appointments:
    one INSERT per table and one audit append for them all, so an import of thousands holds the
    write lock for seconds, not minutes. An email taken meanwhile is a 409."""
    if not new:
        return []  # an INSERT given no rows would insert one row of defaults
    now = clock.now()
    created = [
        PersonRead(
            id=uuid.uuid4(),
            email=data.email,
            full_name=data.full_name,
            school_id=data.school_id,
            job_title=data.job_title,
            roles=sorted(set(data.roles)),
            governance_roles=sorted(set(data.governance_roles)),
            active=data.active,
            created_at=now,
        )
        for data, _ in new
    ]
    people = [
        {
            **view.model_dump(include={"id", "email", "full_name", "school_id", "job_title", "active"}),
            "email_key": view.email.lower(),
            "password_hash": password_hash,
            "credentials_version": 0,
            "created_at": now,
            "updated_at": now,
        }
        for view, (_, password_hash) in zip(created, new, strict=True)
    ]
    # Built before the first INSERT: a local governor with no school is refused with nothing written.
    appointments = [
        row
        for view in created
        for row in holdings.appointment_rows(view.id, view.school_id, view.governance_roles)
    ]
    try:
        await session.execute(insert(Person), people)
    except IntegrityError as exc:
        raise Conflict(EMAIL_TAKEN) from exc
    role_rows = [{"person_id": view.id, "role": role.value} for view in created for role in view.roles]
    if role_rows:
        await session.execute(insert(PersonRole), role_rows)
    if appointments:
        await session.execute(insert(Appointment), appointments)
    await audit_service.record_many(
        session,
        actor_id=actor.id if actor else None,
        entries=[
            audit_service.Entry(
                "person.created",
                "person",
                view.id,
                after={**_audit_view(view), "password_set": password_hash is not None},
            )
            for view, (_, password_hash) in zip(created, new, strict=True)
        ],
    )
    return created


def _refuse_nulls(data: PersonUpdate) -> None:
    for name in ("email", "full_name", "roles", "governance_roles", "active", "password"):
        if name in data.model_fields_set and getattr(data, name) is None:
            raise Unprocessable(f"{name} may not be null", loc=("body", name))


def _refuse_self_changes(actor: Actor, person: PersonRead, data: PersonUpdate) -> None:
    if person.id != actor.id:
        return
    if data.roles is not None and set(data.roles) != set(person.roles):
        raise Forbidden("Nobody changes their own roles")
    if data.active is False:
        raise Forbidden("Nobody deactivates themselves")


async def update_person(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, data: PersonUpdate
) -> PersonRead:
    """Only the fields sent change; a new password, a deactivation or a reactivation ends every
    token issued before."""
    _refuse_nulls(data)
    # Hashed before the first statement: on SQLite a write transaction holds the database's write
    # lock from its first statement, and argon2 takes about 120 ms.
    password_hash = await get_passwords().hash(data.password) if data.password is not None else None
    person = await get_person(session, actor, person_id)
    before = await view(session, person)
    _refuse_self_changes(actor, before, data)
    if data.email is not None:
        person.email_key = await _ensure_email_free(session, data.email, person.id)
        person.email = data.email
    if "school_id" in data.model_fields_set:
        await _ensure_school(session, data.school_id)
        person.school_id = data.school_id
    if password_hash is not None or (data.active is not None and data.active != person.active):
        person.credentials_version += 1
    for name in ("full_name", "job_title", "active"):
        if name in data.model_fields_set:
            setattr(person, name, getattr(data, name))
    if password_hash is not None:
        person.password_hash = password_hash
    if data.roles is not None:
        await holdings.replace_roles(session, {person.id: set(data.roles)})
    if data.governance_roles is not None:
        # At the person's school as this change leaves it; their other appointments stay where they are.
        await holdings.reconcile_appointments(
            session, {person.id: set(data.governance_roles)}, {person.id: person.school_id}
        )
    person.updated_at = clock.now()
    await _flush_or_conflict(session)
    after = await view(session, person)
    after_view = {**_audit_view(after), "password_changed": data.password is not None}
    await audit_service.record(
        session, actor, "person.updated", person, before=_audit_view(before), after=after_view
    )
    return after


async def update_people(
    session: AsyncSession, actor: Actor, changes: Sequence[tuple[Person, PersonRead, PersonUpdate]]
) -> None:
    """An import's changes to people it has loaded and checked (names, job titles, schools, roles,
    governance roles; never emails, passwords or the active flag): the rows flushed together, roles
    and appointments in bulk, and one audit append for them all."""
    now = clock.now()
    new_roles: dict[uuid.UUID, set[Role]] = {}
    governance: dict[uuid.UUID, set[GovernanceRole]] = {}
    schools: dict[uuid.UUID, uuid.UUID | None] = {}
    entries = []
    for person, before, data in changes:
        sent = data.model_dump(include={"full_name", "job_title", "school_id"}, exclude_unset=True)
        for name, value in sent.items():
            setattr(person, name, value)
        person.updated_at = now
        if data.roles is not None:
            new_roles[person.id] = set(data.roles)
        if data.governance_roles is not None:
            governance[person.id] = set(data.governance_roles)
            schools[person.id] = person.school_id
        after = before.model_copy(
            update={
                **sent,
                "roles": sorted(new_roles.get(person.id, before.roles)),
                "governance_roles": sorted(governance.get(person.id, before.governance_roles)),
            }
        )
        entries.append(
            audit_service.Entry(
                "person.updated",
                "person",
                person.id,
                before=_audit_view(before),
                after={**_audit_view(after), "password_changed": False},
            )
        )
    await session.flush()
    await holdings.replace_roles(session, new_roles)
    await holdings.reconcile_appointments(session, governance, schools)
    await audit_service.record_many(session, actor_id=actor.id, entries=entries)


# ---------------------------------------------------------------- appointments


def _check_dates(appointed_on: date, term_ends_on: date | None, stepped_down_on: date | None) -> None:
    if term_ends_on is not None and term_ends_on < appointed_on:
        raise Unprocessable("term_ends_on is before appointed_on", loc=("body", "term_ends_on"))
    if stepped_down_on is not None and stepped_down_on < appointed_on:
        raise Unprocessable("stepped_down_on is before appointed_on", loc=("body", "stepped_down_on"))


async def list_appointments(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, page: PageParams
) -> tuple[list[Appointment], int]:
    await get_person(session, actor, person_id)
    statement = select(Appointment).where(Appointment.person_id == person_id)
    return await paginate(
        session, statement, page, Appointment.appointed_on, Appointment.created_at, Appointment.id
    )


async def create_appointment(
    session: AsyncSession, actor: Actor, person_id: uuid.UUID, data: AppointmentCreate
) -> Appointment:
    """An appointment to a governance role (the Academy Trust Handbook's fields)."""
    if data.person_id is not None and data.person_id != person_id:
        raise Unprocessable("person_id must be the person in the path", loc=("body", "person_id"))
    person = await get_person(session, actor, person_id)
    await _ensure_school(session, data.school_id)
    school_id = appointment_school(data.governance_role, data.school_id, person.school_id)
    appointed_on = data.appointed_on or clock.today()
    _check_dates(appointed_on, data.term_ends_on, data.stepped_down_on)
    appointment = Appointment(
        id=uuid.uuid4(),
        person_id=person_id,
        governance_role=data.governance_role.value,
        school_id=school_id,
        body=data.body,
        appointed_by=data.appointed_by,
        appointed_on=appointed_on,
        term_ends_on=data.term_ends_on,
        stepped_down_on=data.stepped_down_on,
        created_at=clock.now(),
    )
    session.add(appointment)
    await session.flush()
    await audit_service.record(session, actor, "appointment.created", appointment)
    return appointment


async def update_appointment(
    session: AsyncSession, actor: Actor, appointment_id: uuid.UUID, data: AppointmentUpdate
) -> Appointment:
    """Record a stepping down, correct the dates or the school; the appointment's role never changes,
    and its school follows the same rule as on creation."""
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound("appointment")
    if "appointed_on" in data.model_fields_set and data.appointed_on is None:
        raise Unprocessable("appointed_on may not be null", loc=("body", "appointed_on"))
    before = appointment.audit_view()
    if "school_id" in data.model_fields_set:
        await _ensure_school(session, data.school_id)
        person_school = await session.scalar(
            select(Person.school_id).where(Person.id == appointment.person_id)
        )
        role = GovernanceRole(appointment.governance_role)
        appointment.school_id = appointment_school(role, data.school_id, person_school)
    for name in ("body", "appointed_by", "appointed_on", "term_ends_on", "stepped_down_on"):
        if name in data.model_fields_set:
            setattr(appointment, name, getattr(data, name))
    _check_dates(appointment.appointed_on, appointment.term_ends_on, appointment.stepped_down_on)
    await session.flush()
    await audit_service.record(session, actor, "appointment.updated", appointment, before=before)
    return appointment
