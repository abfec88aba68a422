import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, model_validator

from app.core.schemas import (
    Day,
    FreeText,
    InputModel,
    InSpec,
    Name,
    OptionalName,
    ReadModel,
    ReferenceNumber,
    rule,
)
from app.interests import normalise


class InterestCategory(StrEnum):
    DIRECTORSHIP = "directorship"
    SHAREHOLDING = "shareholding"
    EMPLOYMENT = "employment"
    PARTNERSHIP = "partnership"
    TRUSTEESHIP = "trusteeship"  # a charity or public body
    GOVERNANCE_ROLE = "governance_role"  # another school or trust
    CONTRACT = "contract"  # a contract or supplier relationship with the trust
    LAND_PROPERTY = "land_property"
    MEMBERSHIP = "membership"  # professional body, political party, trade union: special category data
    RELATIONSHIP = "relationship"  # close personal relationship with staff, members, trustees or parents
    OTHER = "other"


class Holder(StrEnum):
    SELF = "self"
    SPOUSE_PARTNER = "spouse_partner"
    FAMILY_MEMBER = "family_member"
    CLOSE_ASSOCIATE = "close_associate"


# When a declarant does not say, these categories are taken to be financial interests.
FINANCIAL_CATEGORIES = frozenset(
    {
        InterestCategory.DIRECTORSHIP,
        InterestCategory.SHAREHOLDING,
        InterestCategory.EMPLOYMENT,
        InterestCategory.PARTNERSHIP,
        InterestCategory.CONTRACT,
        InterestCategory.LAND_PROPERTY,
    }
)

# Spaces anywhere (any but the controls the name rules refuse), then up to 8 ASCII letters and digits.
_SPACE = r"[^\S\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]"
COMPANY_NUMBER_PATTERN = rf"^{_SPACE}*(?:[A-Za-z0-9]{_SPACE}*){{1,8}}$"
CompanyNumber = Annotated[
    ReferenceNumber,
    AfterValidator(rule(normalise.company_number)),
    InSpec(
        "A Companies House number: up to 8 letters and digits, spaces ignored; stored in upper case, "
        "an all-digit number padded with zeros to 8 (1234567 -> 01234567, SC 123456 -> SC123456)",
        COMPANY_NUMBER_PATTERN,
    ),
]
CharityNumber = ReferenceNumber
OrganisationName = Name


class InterestCreate(InputModel):
    person_id: uuid.UUID | None = Field(
        default=None, description="only governance_admin may declare for someone else"
    )
    category: InterestCategory
    holder: Holder = Holder.SELF
    holder_name: OptionalName | None = Field(default=None, description="required unless holder is self")
    relationship: OptionalName | None = Field(default=None, description='e.g. "wife"; required unless self')
    financial: StrictBool | None = Field(default=None, description="default: by category")
    direct: StrictBool | None = Field(default=None, description="default: true for self, false otherwise")
    organisation_name: OrganisationName | None = None
    company_number: CompanyNumber | None = Field(default=None, description="normalised: 1234567 -> 01234567")
    charity_number: CharityNumber | None = None
    description: FreeText | None = None
    private: StrictBool = Field(default=False, description="keeps the description out of publication")
    start_date: Day | None = Field(default=None, description="default: today")

    @model_validator(mode="after")
    def _holder_details(self) -> Self:
        if self.holder is Holder.SELF:
            if self.holder_name or self.relationship:
                raise ValueError("holder_name and relationship are only for an interest held by someone else")
            self.holder_name = self.relationship = None
        elif not self.holder_name or not self.relationship:
            raise ValueError("holder_name and relationship are required when the holder is not self")
        if not self.organisation_name and not self.description:
            raise ValueError("give the organisation_name or a description")
        return self


class InterestEnd(InputModel):
    end_date: Day | None = Field(default=None, description="default: today; not before the start")


class InterestRead(ReadModel):
    id: uuid.UUID
    person_id: uuid.UUID
    category: InterestCategory
    holder: Holder
    holder_name: str | None
    relationship: str | None
    financial: bool
    direct: bool
    organisation_name: str | None
    company_number: str | None
    charity_number: str | None
    description: str | None
    private: bool
    start_date: date
    end_date: date | None
    created_at: datetime
    submitted_at: datetime


class InterestSnapshot(ReadModel):
    """An interest as a declaration keeps it, frozen on the day: its own model, not InterestRead, so
    that the API's view of an interest can grow without old declarations failing to read back."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: uuid.UUID
    person_id: uuid.UUID
    category: InterestCategory
    holder: Holder
    holder_name: str | None
    relationship: str | None
    financial: bool
    direct: bool
    organisation_name: str | None
    company_number: str | None
    charity_number: str | None
    description: str | None
    private: bool
    start_date: date
    end_date: date | None
    created_at: datetime
    submitted_at: datetime
