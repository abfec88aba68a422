import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import Field, StrictBool, model_validator

from app.core.schemas import Day, FreeText, InputModel, Money, Name, OptionalName, ReadModel


class HospitalityStatus(StrEnum):
    SUBMITTED = "submitted"  # waits for the CEO, the COO or the Chair
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by the requester, before anyone decided
    COMPLETED = "completed"  # the requester said what happened at the event


class InvitationType(StrEnum):
    CORPORATE = "corporate"
    PERSONAL = "personal"


class HospitalityFlag(StrEnum):
    # The code of conduct asks for authorisation in advance: asked on or after the event's day.
    RETROSPECTIVE = "retrospective"
    # Acceptable where the invitation is corporate rather than personal: a decider should look twice.
    PERSONAL_INVITATION = "personal_invitation"
    # The provider matches an open declared interest of the requester or of anyone who may decide
    # the request (the conflict-check matcher); a conflicted approver may not decide it.
    PROVIDER_CONFLICT = "provider_conflict"


class HospitalityCreate(InputModel):
    person_id: uuid.UUID | None = Field(default=None, description="only governance_admin, for someone else")
    provider_name: Name
    provider_organisation: OptionalName | None = None
    event_description: FreeText = Field(min_length=1)
    event_date: Day = Field(
        description="asked for in advance; a request on or after the day is accepted, flagged retrospective"
    )
    estimated_value_gbp: Money
    invitation_type: InvitationType
    business_justification: FreeText = Field(min_length=1)

    @model_validator(mode="after")
    def _says_what_and_why(self) -> Self:
        if not self.event_description.strip():
            raise ValueError("event_description needs to say what the event is")
        if not self.business_justification.strip():
            raise ValueError("business_justification needs to say why the trust benefits")
        return self


class HospitalityWithdraw(InputModel):
    """Withdrawing takes no fields: an empty body or {}."""


class HospitalityOutcome(InputModel):
    """What happened at the event, recorded by the requester on or after its date."""

    attended: StrictBool
    actual_value_gbp: Money | None = Field(
        default=None,
        description="Required when attended: what the hospitality received was worth. When not "
        "attended nothing was received: omit it, or send null or 0; it is recorded as null.",
    )

    @model_validator(mode="after")
    def _value_when_attended(self) -> Self:
        if self.attended and self.actual_value_gbp is None:
            raise ValueError("actual_value_gbp is required when the event was attended")
        if not self.attended and self.actual_value_gbp:
            raise ValueError("actual_value_gbp is for hospitality received; none was when not attended")
        return self


class HospitalityRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID
    provider_name: str
    provider_organisation: str | None
    event_description: str
    event_date: date
    estimated_value_gbp: Money
    invitation_type: InvitationType
    business_justification: str
    status: HospitalityStatus
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    attended: bool | None
    actual_value_gbp: Money | None
    flags: list[HospitalityFlag]
    created_at: datetime
    submitted_at: datetime
