"""The published register's JSON, as `Register.as_json()` writes it (the spec's schema, not a parser:
the endpoint serves the cached bytes, and a test checks that they match these models)."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.interests.schemas import Holder, InterestCategory
from app.people.governance import GovernanceRole


class PublishedAppointmentRead(BaseModel):
    governance_role: GovernanceRole
    school_id: uuid.UUID | None = Field(description="the school of a local governor's appointment")
    body: str | None
    appointed_by: str | None
    appointed_on: date
    term_ends_on: date | None
    stepped_down_on: date | None


class PublishedInterestRead(BaseModel):
    category: InterestCategory
    holder: Holder = Field(description="whose interest it is; a holder's name is never published")
    organisation_name: str | None
    company_number: str | None
    charity_number: str | None
    description: str | None = Field(description="null when the declarant marked it private")
    financial: bool
    direct: bool
    start_date: date


class PublishedPersonRead(BaseModel):
    full_name: str
    appointments: list[PublishedAppointmentRead]
    interests: list[PublishedInterestRead]


class PublishedSchoolRead(BaseModel):
    id: uuid.UUID
    name: str
    slug: str = Field(description="its page: /register/schools/{slug}")


class PublishedRegisterRead(BaseModel):
    """Everyone listed, with the appointments and open interests that may be published."""

    as_of: date = Field(description="the day the register stood on: today, or the `as_of` asked for")
    school: PublishedSchoolRead | None = Field(
        default=None, description="with `school_id`: the school whose local governors these are"
    )
    period_from: date = Field(description="the first day of the 12 months the register covers")
    generated_at: datetime
    items: list[PublishedPersonRead]
    total: int = Field(description="everyone listed, whatever page `items` holds")
