import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from app.core.schemas import Day, FreeText, InputModel, Name, ReadModel, rule

HOURS_MAX = Decimal(168)  # every hour of the week
_HUNDREDTH = Decimal("0.01")
_HOURS_RULE = "more than 0 and at most 168, at most two decimal places"


def parse_hours(value: object) -> Decimal:
    """A JSON number of hours a week: more than 0, at most 168, at most two decimal places.

    A JSON number arrives as a float; its shortest decimal spelling is what the client wrote, so the
    places are counted on that (as for money), never on the binary fraction.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("hours per week are a number, such as 7.5")
    hours = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not hours.is_finite() or not 0 < hours <= HOURS_MAX:
        raise ValueError(f"hours per week are {_HOURS_RULE}")
    try:
        if hours != hours.quantize(_HUNDREDTH):
            raise ValueError("hours per week have at most two decimal places")
    except InvalidOperation:
        raise ValueError("hours per week have at most two decimal places") from None
    return hours.quantize(_HUNDREDTH)


_HOURS_IN = {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": float(HOURS_MAX),
    "multipleOf": float(_HUNDREDTH),
    "description": f"Hours a week: {_HOURS_RULE}",
}
_HOURS_OUT = {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": float(HOURS_MAX),
    "description": "Hours a week",
}
# Stored as Numeric(5, 2); a JSON number in and out (the contract's "hours_per_week (number)").
Hours = Annotated[Decimal, BeforeValidator(rule(parse_hours)), WithJsonSchema(_HOURS_IN)]
HoursRead = Annotated[Decimal, PlainSerializer(float, return_type=float), WithJsonSchema(_HOURS_OUT)]


class PaidWorkStatus(StrEnum):
    SUBMITTED = "submitted"  # disclosed, waiting for the reviewer
    ACKNOWLEDGED = "acknowledged"
    CONCERN_RAISED = "concern_raised"


class PaidWorkCreate(InputModel):
    person_id: uuid.UUID | None = Field(default=None, description="only governance_admin, for someone else")
    employer: Name
    role: Name
    hours_per_week: Hours
    start_date: Day | None = Field(default=None, description="default: today")
    end_date: Day | None = Field(default=None, description="not before start_date; none while it goes on")
    description: FreeText | None = None
    potential_conflict: FreeText | None = Field(
        default=None, description="how it might conflict with the person's work for the trust, if at all"
    )


class ReviewCreate(InputModel):
    """A review of paid work disclosed; raising a concern needs a note saying what it is."""

    outcome: Literal["acknowledged", "concern"]
    note: FreeText | None = None

    @model_validator(mode="after")
    def _reason_for_a_concern(self) -> Self:
        if self.outcome == "concern" and not (self.note or "").strip():
            raise ValueError("a concern needs a note saying what it is")
        return self


class PaidWorkRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID
    employer: str
    role: str
    hours_per_week: HoursRead
    start_date: date
    end_date: date | None
    description: str | None
    potential_conflict: str | None
    status: PaidWorkStatus
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    created_at: datetime
    submitted_at: datetime
