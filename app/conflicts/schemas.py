import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, Field, StrictBool, model_validator

from app.conflicts.matcher import Reason
from app.core.schemas import Day, FreeText, InputModel, Money, Name
from app.interests.schemas import CompanyNumber, Holder, InterestCategory, OrganisationName

ATTENDEES_MAX = 200
AGENDA_MAX = 100
COUNTERPARTIES_MAX = 50


class CheckContext(StrEnum):
    CONTRACT_AWARD = "contract_award"
    MEETING = "meeting"
    RECRUITMENT = "recruitment"
    OTHER = "other"


class Outcome(StrEnum):
    OPEN = "open"
    NO_CONFLICT = "no_conflict"
    CONFLICT_MANAGED = "conflict_managed"
    RELATED_PARTY_TRANSACTION = "related_party_transaction"


class DfeDecision(StrEnum):
    NOT_REQUIRED = "not_required"
    AWAITING = "awaiting"
    APPROVED = "approved"
    REFUSED = "refused"


class ConflictCheckCreate(InputModel):
    counterparty_name: OrganisationName = Field(description="the supplier or other party, as usually written")
    company_number: CompanyNumber | None = Field(
        default=None, description="matched against interests' company numbers, normalised the same way"
    )
    context: CheckContext
    reference: Name | None = Field(default=None, description="the tender, contract or agenda reference")
    value_gbp: Money | None = Field(default=None, description="the contract's value, when there is one")
    as_of: Day | None = Field(
        default=None, description="interests open on this day (default: the trust's today)"
    )


class MatchRead(BaseModel):
    person_id: uuid.UUID
    person_name: str
    interest_id: uuid.UUID
    organisation_name: str | None
    company_number: str | None
    category: InterestCategory
    holder: Holder
    score: float = Field(description="1 for a company number or an exact name; 0..1 for a similar name")
    reason: Reason


class ConflictCheckRead(BaseModel):
    id: uuid.UUID
    counterparty_name: str
    company_number: str | None
    context: CheckContext
    reference: str | None
    value_gbp: Money | None
    as_of: date
    similarity_threshold: float = Field(description="the trust's threshold when the check was made")
    checked_by: uuid.UUID
    checked_at: datetime
    created_at: datetime
    matches: list[MatchRead]
    outcome: Outcome
    resolution_note: str | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    resolution_person_id: uuid.UUID | None
    resolution_interest_id: uuid.UUID | None
    related_party_transaction_id: uuid.UUID | None


class ResolutionCreate(InputModel):
    outcome: Outcome = Field(description="no_conflict, conflict_managed or related_party_transaction")
    note: FreeText | None = Field(
        default=None,
        description="required for conflict_managed (how it is managed) and for no_conflict when the "
        "check found matches (why none is a conflict)",
    )
    person_id: uuid.UUID | None = Field(
        default=None, description="the match this is about (one of the check's)"
    )
    interest_id: uuid.UUID | None = Field(default=None, description="the matched interest this is about")

    @model_validator(mode="after")
    def _resolved(self) -> Self:
        if self.outcome is Outcome.OPEN:
            raise ValueError("a resolution is no_conflict, conflict_managed or related_party_transaction")
        if not (self.note or "").strip():
            self.note = None
        if self.outcome is Outcome.CONFLICT_MANAGED and self.note is None:
            raise ValueError("conflict_managed needs a note saying how the conflict is managed")
        return self


class AgendaItem(InputModel):
    title: Name
    counterparties: list[OrganisationName] = Field(
        default_factory=list, max_length=COUNTERPARTIES_MAX, description="the organisations the item concerns"
    )


class MeetingCheckCreate(InputModel):
    meeting_title: Name
    meeting_date: Day
    attendee_ids: list[uuid.UUID] = Field(min_length=1, max_length=ATTENDEES_MAX)
    agenda_items: list[AgendaItem] = Field(min_length=1, max_length=AGENDA_MAX)


class Withdrawal(BaseModel):
    person_id: uuid.UUID
    person_name: str
    interest_id: uuid.UUID
    organisation_name: str | None
    counterparty: str = Field(description="the agenda item's counterparty the interest matched")
    score: float
    reason: Reason


class MeetingItemRead(BaseModel):
    title: str
    counterparties: list[str]
    must_withdraw: list[Withdrawal] = Field(
        description="one entry per attendee who must declare and withdraw"
    )


class MeetingCheckRead(BaseModel):
    id: uuid.UUID
    meeting_title: str
    meeting_date: date
    attendee_ids: list[uuid.UUID]
    items: list[MeetingItemRead]
    similarity_threshold: float
    checked_by: uuid.UUID
    checked_at: datetime
    created_at: datetime


class RelatedPartyRead(BaseModel):
    id: uuid.UUID
    conflict_check_id: uuid.UUID
    counterparty_name: str
    company_number: str | None
    person_id: uuid.UUID
    interest_id: uuid.UUID
    description: str | None
    value_gbp: Money | None
    novel_or_contentious: bool
    dfe_approval_required: bool = Field(
        description="computed: value over the trust's rpt_approval_threshold_gbp, or novel or contentious"
    )
    declared_to_dfe_on: date | None
    dfe_reference: str | None
    dfe_decision: DfeDecision
    at_cost_assurance_received: bool
    created_at: datetime
    updated_at: datetime


class RelatedPartyUpdate(InputModel):
    """Only the fields sent change; the Director of Finance and Governance keeps them up to date
    (the counterparty as the accounts should name it, when the check was made with another spelling)."""

    counterparty_name: OrganisationName | None = None
    company_number: CompanyNumber | None = None
    description: FreeText | None = None
    value_gbp: Money | None = None
    novel_or_contentious: StrictBool | None = None
    declared_to_dfe_on: Day | None = Field(default=None, description="not in the future")
    dfe_reference: Name | None = None
    dfe_decision: DfeDecision | None = None
    at_cost_assurance_received: StrictBool | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}
