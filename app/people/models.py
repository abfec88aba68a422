"""Schools, people, their roles and their governance appointments."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    ScalarSelect,
    String,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, UTCDateTime, UUIDPrimaryKey
from app.core.schemas import EMAIL_MAX, NAME_MAX, SLUG_MAX


class School(UUIDPrimaryKey, Base):
    __tablename__ = "schools"

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # Names are unique whatever their case: the case-folded copy carries the constraint (folding
    # can lengthen a name, "ß" becomes "ss", hence the wider column).
    name_key: Mapped[str] = mapped_column(String(2 * NAME_MAX), unique=True)
    # The school's page of the published register: /register/schools/{slug}. Readable, unique, and
    # stable: renaming the school does not change it, so a school website's link keeps working.
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    audit_type: ClassVar[str] = "school"

    def audit_view(self) -> dict[str, Any]:
        return {"name": self.name, "slug": self.slug}


class Person(UUIDPrimaryKey, Base):
    __tablename__ = "people"

    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    # Emails are unique case-insensitively: the lower-cased copy carries the constraint.
    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    full_name: Mapped[str] = mapped_column(String(NAME_MAX))
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("schools.id"), index=True)
    job_title: Mapped[str | None] = mapped_column(String(NAME_MAX))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(512))
    # Part of every token: a new password, a deactivation or a reactivation moves it on, which
    # ends every token issued before.
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, onupdate=clock.now)

    # The trail keeps a person as the API shows them, roles included: people.service passes that view.
    audit_type: ClassVar[str] = "person"

    def audit_view(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in ("id", "email", "full_name", "school_id", "job_title", "active")
        }


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Appointment(UUIDPrimaryKey, Base):
    """A governance role held from appointed_on until stepped_down_on (the Handbook's fields)."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_person_role", "person_id", "governance_role"),)

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    governance_role: Mapped[str] = mapped_column(String(40))
    # The school whose local governing body this is: required for a local governor, empty for the
    # trust-level roles (member, trustee, accounting officer).
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("schools.id"), index=True)
    body: Mapped[str | None] = mapped_column(String(NAME_MAX))
    appointed_by: Mapped[str | None] = mapped_column(String(NAME_MAX))
    appointed_on: Mapped[date] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    stepped_down_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    audit_type: ClassVar[str] = "appointment"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _APPOINTMENT_AUDITED}


_APPOINTMENT_AUDITED = (
    "person_id",
    "governance_role",
    "school_id",
    "body",
    "appointed_by",
    "appointed_on",
    "term_ends_on",
    "stepped_down_on",
)


def appointment_open_on(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Held on this day: appointed by then, not stepped down, term not run out."""
    return and_(
        Appointment.appointed_on <= day,
        or_(Appointment.stepped_down_on.is_(None), Appointment.stepped_down_on > day),
        or_(Appointment.term_ends_on.is_(None), Appointment.term_ends_on >= day),
    )


def roles_held() -> ScalarSelect[str | None]:
    """The roles of the person in the enclosing query, comma-joined: the one query for them, used for
    the signed-in actor and for every person the API shows."""
    return (
        select(func.aggregate_strings(PersonRole.role, ","))
        .where(PersonRole.person_id == Person.id)
        .scalar_subquery()
    )


def governance_roles_held(day: date | ColumnElement[date]) -> ScalarSelect[str | None]:
    """The governance roles of the person's appointments open on the day, comma-joined."""
    return (
        select(func.aggregate_strings(Appointment.governance_role, ","))
        .where(Appointment.person_id == Person.id, appointment_open_on(day))
        .scalar_subquery()
    )


def split_held(joined: str | None) -> list[str]:
    """A comma-joined list from roles_held() or governance_roles_held(), sorted and without repeats."""
    return sorted({part for part in (joined or "").split(",") if part})


__all__ = ["Appointment", "Person", "PersonRole", "School"]
