"""Additional paid work, disclosed to the headteacher (or the COO, the CEO or the Chair)."""

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Date, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.approvals.models import Submitted
from app.core.db import Base
from app.core.schemas import NAME_MAX, TEXT_MAX


class PaidWork(Submitted, Base):
    __tablename__ = "paid_work"
    __table_args__ = (Index("ix_paid_work_status_submitted", "status", "submitted_at"),)

    employer: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(NAME_MAX))
    hours_per_week: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    potential_conflict: Mapped[str | None] = mapped_column(String(TEXT_MAX))

    audit_type: ClassVar[str] = "paid_work"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AUDITED}


AUDITED = (
    "person_id", "employer", "role", "hours_per_week", "start_date", "end_date", "description",
    "potential_conflict", "status", "decided_by", "decided_at", "decision_note",
)  # fmt: skip
