import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from app.auth.permissions import Role
from app.core.schemas import SLUG_MAX, Day, Email, InputModel, Name, OptionalName, Password, ReadModel
from app.people.governance import GovernanceRole

# A school's slug: lower-case ASCII letters and digits in words joined by single hyphens.
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[
    str,
    StringConstraints(max_length=SLUG_MAX, pattern=SLUG_PATTERN),
    Field(
        description=f"The school's page of the published register, /register/schools/{{slug}}: lower-case "
        f"letters and digits in words joined by single hyphens, at most {SLUG_MAX} characters",
        examples=["hillside-primary"],
    ),
]


class SchoolCreate(InputModel):
    name: Name
    slug: Slug | None = Field(default=None, description="derived from the name when left out; stable after")


class SchoolUpdate(InputModel):
    name: Name | None = None
    slug: Slug | None = Field(default=None, description="changes only when given; renaming keeps it")


class SchoolRead(ReadModel):
    id: uuid.UUID
    name: str
    slug: str
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
    school_id: uuid.UUID | None = Field(
        default=None,
        description="a local governor's school (default: the person's); staff's defaults to the person's; "
        "none for member, trustee or accounting_officer",
    )
    body: OptionalName | None = Field(default=None, description='e.g. "Trust board", "Hillside LGB"')
    appointed_by: OptionalName | None = None
    appointed_on: Day | None = Field(default=None, description="defaults to today")
    term_ends_on: Day | None = None
    stepped_down_on: Day | None = None


class AppointmentUpdate(InputModel):
    school_id: uuid.UUID | None = Field(
        default=None, description="as on creation; null gives a local governor or staff the person's school"
    )
    body: OptionalName | None = None
    appointed_by: OptionalName | None = None
    appointed_on: Day | None = None
    term_ends_on: Day | None = None
    stepped_down_on: Day | None = None


class AppointmentRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID
    governance_role: GovernanceRole
    school_id: uuid.UUID | None
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
