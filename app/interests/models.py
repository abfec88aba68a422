"""Declared interests: never deleted, ended with an end date."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, UTCDateTime, UUIDPrimaryKey
from app.core.schemas import NAME_MAX, TEXT_MAX
from app.interests.normalise import TOKEN_MAX


class Interest(UUIDPrimaryKey, Base):
    __tablename__ = "interests"
    __table_args__ = (
        Index("ix_interests_person_open", "person_id", "end_date"),
        Index("ix_interests_organisation_key", "organisation_key"),
        Index("ix_interests_company_number", "company_number"),
    )

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    category: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str] = mapped_column(String(40))
    holder_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    relationship: Mapped[str | None] = mapped_column(String(NAME_MAX))
    financial: Mapped[bool] = mapped_column(Boolean)
    direct: Mapped[bool] = mapped_column(Boolean)
    organisation_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    # The name in normal form (app.interests.normalise), for matching against counterparties.
    organisation_key: Mapped[str | None] = mapped_column(String(NAME_MAX))
    company_number: Mapped[str | None] = mapped_column(String(8))
    charity_number: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    audit_type: ClassVar[str] = "interest"

    def audit_view(self) -> dict[str, Any]:
        """The interest as the trail keeps it (declarations keep InterestSnapshot, the same fields
        and the record's dates)."""
        return {"id": self.id, **{name: getattr(self, name) for name in AUDITED_FIELDS}}


class InterestNameToken(Base):
    """The lookup keys that find an interest's organisation under a name typed a little differently
    (app.interests.normalise.stored_tokens); the primary key is the index the search reads."""

    __tablename__ = "interest_name_tokens"

    token: Mapped[str] = mapped_column(String(TOKEN_MAX), primary_key=True)
    interest_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interests.id"), primary_key=True)


class NameKeyState(Base):
    """Which version of app.interests.normalise the stored keys were made with (one row, id 1): a
    different one makes `probity migrate` and `probity serve` rekey them (`probity rekey`)."""

    __tablename__ = "name_key_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer)
    rekeyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


AUDITED_FIELDS = (
    "person_id",
    "category",
    "holder",
    "holder_name",
    "relationship",
    "financial",
    "direct",
    "organisation_name",
    "company_number",
    "charity_number",
    "description",
    "private",
    "start_date",
    "end_date",
)


def interest_open_on(day: date) -> ColumnElement[bool]:
    """Declared as started by this day and not ended before it."""
    return and_(Interest.start_date <= day, or_(Interest.end_date.is_(None), Interest.end_date > day))
