import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import Field, StrictBool, model_validator

from app.core.schemas import Day, InputModel, Name, ReadModel
from app.interests.schemas import InterestSnapshot
from app.people.governance import GovernanceRole


class CycleCreate(InputModel):
    name: Name
    opens_on: Day | None = Field(default=None, description="default: today")
    due_on: Day
    governance_roles: list[GovernanceRole] = Field(min_length=1, max_length=len(GovernanceRole))

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.opens_on is not None and self.due_on < self.opens_on:
            raise ValueError("due_on is before opens_on")
        return self


class CycleRead(ReadModel):
    id: uuid.UUID
    name: str
    opens_on: date
    due_on: date
    governance_roles: list[GovernanceRole]
    created_at: datetime


class DeclarationState(StrEnum):
    SUBMITTED = "submitted"
    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"


class CycleStatusItem(ReadModel):
    person_id: uuid.UUID
    full_name: str
    email: str
    status: DeclarationState
    declaration_id: uuid.UUID | None
    submitted_at: datetime | None


class InterestEnding(InputModel):
    interest_id: uuid.UUID
    end_date: Day | None = Field(default=None, description="default: today")


class DeclarationCreate(InputModel):
    cycle_id: uuid.UUID
    nil_return: StrictBool
    code_of_conduct_accepted: StrictBool = Field(
        description="the Seven Principles of Public Life; must be true"
    )
    person_id: uuid.UUID | None = Field(default=None, description="only governance_admin, for someone else")
    ended_interests: list[InterestEnding] = Field(
        default_factory=list,
        max_length=200,
        description="last year's interests to end on submitting; the rest are confirmed as they stand",
    )


class DeclarationRead(ReadModel):
    id: uuid.UUID
    cycle_id: uuid.UUID
    person_id: uuid.UUID
    nil_return: bool
    code_of_conduct_accepted: bool
    interests: list[InterestSnapshot]
    submitted_at: datetime
    created_at: datetime
