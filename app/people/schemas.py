import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictBool

from app.auth.permissions import Role
from app.core.schemas import Day, Email, InputModel, Name, OptionalName, Password, ReadModel
from app.people.governance import GovernanceRole


class SchoolCreate(InputModel):
    name: Name


class SchoolRead(ReadModel):
    id: uuid.UUID
    name: str
    created_at: datetime


class PersonCreate(InputModel):
    email: Email
    full_name: Name
    school_id: uuid.UUID | None = None
    job_title: OptionalName | None = None
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))
    governance_roles: list[GovernanceRole] = Field(default_factory=list, max_length=len(GovernanceRole))
    active: StrictBool = True
    password: Password | None = Field(default=None, description="write-only; at least 12 characters")


class PersonUpdate(InputModel):
    email: Email | None = None
    full_name: Name | None = None
    school_id: uuid.UUID | None = None
    job_title: OptionalName | None = None
    roles: list[Role] | None = Field(default=None, max_length=len(Role))
    governance_roles: list[GovernanceRole] | None = Field(default=None, max_length=len(GovernanceRole))
    active: StrictBool | None = None
    password: Password | None = Field(default=None, description="write-only; at least 12 characters")


class PersonRead(ReadModel):
    id: uuid.UUID
    email: str
    full_name: str
    school_id: uuid.UUID | None
    job_title: str | None
    roles: list[Role]
    governance_roles: list[GovernanceRole]
    active: bool
    created_at: datetime


class MeRead(ReadModel):
    id: uuid.UUID
    email: str
    full_name: str
    school_id: uuid.UUID | None
    roles: list[Role]
    governance_roles: list[GovernanceRole]


class AppointmentCreate(InputModel):
    person_id: uuid.UUID | None = Field(default=None, description="if given, the person in the path")
    governance_role: GovernanceRole
    body: OptionalName | None = Field(default=None, description='e.g. "Trust board", "Hillside LGB"')
    appointed_by: OptionalName | None = None
    appointed_on: Day | None = Field(default=None, description="defaults to today")
    term_ends_on: Day | None = None
    stepped_down_on: Day | None = None


class AppointmentUpdate(InputModel):
    body: OptionalName | None = None
    appointed_by: OptionalName | None = None
    appointed_on: Day | None = None
    term_ends_on: Day | None = None
    stepped_down_on: Day | None = None


class AppointmentRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID
    governance_role: GovernanceRole
    body: str | None
    appointed_by: str | None
    appointed_on: date
    term_ends_on: date | None
    stepped_down_on: date | None
    created_at: datetime


class ImportRowRead(ReadModel):
    row: int = Field(description="line number in the file (the header is line 1)")
    email: str | None
    action: Literal["create", "update", "unchanged", "error"]
    errors: list[str]
    changes: list[str]


class ImportReportRead(ReadModel):
    dry_run: bool
    valid: bool
    created: int
    updated: int
    unchanged: int
    invalid: int
    schools_created: list[str]
    rows: list[ImportRowRead]
