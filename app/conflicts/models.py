"""Conflict checks as they were found (evidence for auditors), meeting checks for the minutes, the
related party transactions a check opens, and the interests that stop a decider deciding a record."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, UUIDPrimaryKey
from app.core.schemas import NAME_MAX, TEXT_MAX
from app.interests.normalise import KEY_MAX


class ConflictCheck(UUIDPrimaryKey, Base):
    __tablename__ = "conflict_checks"
    __table_args__ = (Index("ix_conflict_checks_checked_at", "checked_at"),)

    counterparty_name: Mapped[str] = mapped_column(String(NAME_MAX))
    counterparty_key: Mapped[str] = mapped_column(String(KEY_MAX))
    # The name case-folded in Python (SQLite's lower() folds ASCII only), for the list's filter.
    counterparty_folded: Mapped[str] = mapped_column(String(3 * NAME_MAX))
    company_number: Mapped[str | None] = mapped_column(String(8))
    context: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(NAME_MAX))
    value_pence: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    # The threshold the check used, so the evidence says what "similar" meant that day.
    similarity_threshold: Mapped[float] = mapped_column(Float)
    checked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(30), index=True)
    resolution_note: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_person_id: Mapped[uuid.UUID | None] = mapped_column()
    resolution_interest_id: Mapped[uuid.UUID | None] = mapped_column()

    audit_type: ClassVar[str] = "conflict_check"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CHECK_AUDITED}


CHECK_AUDITED = (
    "counterparty_name", "company_number", "context", "reference", "value_pence", "as_of",
    "similarity_threshold", "checked_by", "outcome", "resolution_note", "resolved_by",
    "resolution_person_id", "resolution_interest_id",
)  # fmt: skip


class ConflictMatch(UUIDPrimaryKey, Base):
    """One interest a check found, copied as it stood (a later change to the person or the interest
    does not rewrite the evidence)."""

    __tablename__ = "conflict_check_matches"

    check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conflict_checks.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[uuid.UUID] = mapped_column(index=True)
    person_name: Mapped[str] = mapped_column(String(NAME_MAX))
    interest_id: Mapped[uuid.UUID] = mapped_column()
    organisation_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    company_number: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    holder: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(20))


class MeetingCheck(UUIDPrimaryKey, Base):
    """Who must declare and withdraw from each agenda item, as found before the meeting."""

    __tablename__ = "meeting_conflict_checks"

    meeting_title: Mapped[str] = mapped_column(String(NAME_MAX))
    meeting_date: Mapped[date] = mapped_column(Date, index=True)
    attendee_ids: Mapped[list[str]] = mapped_column(JSON)
    # [{"title", "counterparties": [...], "must_withdraw": [{person_id, person_name, interest_id,
    # organisation_name, counterparty, score, reason}]}], in agenda order.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    similarity_threshold: Mapped[float] = mapped_column(Float)
    checked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    audit_type: ClassVar[str] = "meeting_conflict_check"

    def audit_view(self) -> dict[str, Any]:
        return {
            "meeting_title": self.meeting_title,
            "meeting_date": self.meeting_date,
            "attendee_ids": self.attendee_ids,
            "items": self.items,
        }


class RelatedPartyTransaction(UUIDPrimaryKey, Base):
    __tablename__ = "related_party_transactions"

    conflict_check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conflict_checks.id"), unique=True)
    counterparty_name: Mapped[str] = mapped_column(String(NAME_MAX))
    company_number: Mapped[str | None] = mapped_column(String(8))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    interest_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interests.id"))
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    value_pence: Mapped[int | None] = mapped_column(Integer)
    novel_or_contentious: Mapped[bool] = mapped_column(Boolean)
    dfe_approval_required: Mapped[bool] = mapped_column(Boolean)
    declared_to_dfe_on: Mapped[date | None] = mapped_column(Date)
    dfe_reference: Mapped[str | None] = mapped_column(String(NAME_MAX))
    dfe_decision: Mapped[str] = mapped_column(String(20))
    at_cost_assurance_received: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    audit_type: ClassVar[str] = "related_party_transaction"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in RPT_AUDITED}


RPT_AUDITED = (
    "conflict_check_id", "counterparty_name", "company_number", "person_id", "interest_id", "description",
    "value_pence", "novel_or_contentious", "dfe_approval_required", "declared_to_dfe_on", "dfe_reference",
    "dfe_decision", "at_cost_assurance_received",
)  # fmt: skip


class RecordConflict(Base):
    """An open interest whose organisation is a candidate match for the other party of a record
    waiting for a decision (a hospitality request's provider), with its score. Kept so that the
    approval policy can say in SQL, as well as in Python, that a conflicted approver may not decide:
    written when the record is submitted and when an interest is declared while it waits; whether
    it counts is the score against the trust's threshold at the time of asking."""

    __tablename__ = "record_conflicts"
    __table_args__ = (Index("ix_record_conflicts_interest_id", "interest_id"),)

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    interest_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interests.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[uuid.UUID] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
