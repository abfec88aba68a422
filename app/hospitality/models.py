"""Hospitality: asked for in advance, decided by the CEO, the COO or the Chair, and what happened."""

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.approvals.models import Submitted
from app.core.db import Base, UTCDateTime
from app.core.schemas import NAME_MAX, TEXT_MAX


class HospitalityRequest(Submitted, Base):
    __tablename__ = "hospitality_requests"
    __table_args__ = (Index("ix_hospitality_requests_status_submitted", "status", "submitted_at"),)

    provider_name: Mapped[str] = mapped_column(String(NAME_MAX))
    provider_organisation: Mapped[str | None] = mapped_column(String(NAME_MAX))
    event_description: Mapped[str] = mapped_column(String(TEXT_MAX))
    event_date: Mapped[date] = mapped_column(Date, index=True)
    estimated_value_pence: Mapped[int] = mapped_column(Integer)
    invitation_type: Mapped[str] = mapped_column(String(20))
    business_justification: Mapped[str] = mapped_column(String(TEXT_MAX))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    actual_value_pence: Mapped[int | None] = mapped_column(Integer)
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    audit_type: ClassVar[str] = "hospitality_request"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AUDITED}


AUDITED = (
    "person_id", "provider_name", "provider_organisation", "event_description", "event_date",
    "estimated_value_pence", "invitation_type", "business_justification", "status", "flags",
    "decided_by", "decided_at", "decision_note", "attended", "actual_value_pence",
)  # fmt: skip
