import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field, StrictBool

from app.core.schemas import Day, FreeText, InputModel, Money, Name, OptionalName, ReadModel


class GiftStatus(StrEnum):
    RECORDED = "recorded"  # declined, or a small token within the limit
    PENDING_REVIEW = "pending_review"  # waits for the Director of HR or of Finance and Governance
    APPROVED = "approved"
    REJECTED = "rejected"  # to be returned or donated


class GiftFlag(StrEnum):
    CASH = "cash"
    # With the donor's other gifts of 12 months, over the trust's limit.
    OVER_TOKEN_LIMIT = "over_token_limit"  # noqa: S105 (a flag's name, not a password)


class GiftCreate(InputModel):
    person_id: uuid.UUID | None = Field(default=None, description="only governance_admin, for someone else")
    donor_name: Name
    donor_organisation: OptionalName | None = None
    description: FreeText = Field(min_length=1)
    value_gbp: Money
    offered_on: Day | None = Field(default=None, description="default: today")
    accepted: StrictBool
    is_cash: StrictBool = False


class GiftRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID
    donor_name: str
    donor_organisation: str | None
    description: str
    value_gbp: Money
    offered_on: date
    accepted: bool
    is_cash: bool
    status: GiftStatus
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    flags: list[GiftFlag]
    created_at: datetime
    submitted_at: datetime
