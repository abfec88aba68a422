"""Gifts offered to staff and governors, accepted or declined: the register the trust keeps."""

from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.approvals.models import Submitted
from app.core.db import Base
from app.core.schemas import NAME_MAX, TEXT_MAX


class Gift(Submitted, Base):
    __tablename__ = "gifts"
    __table_args__ = (
        Index("ix_gifts_status_submitted", "status", "submitted_at"),
        Index("ix_gifts_donor_offered", "donor_key", "offered_on"),
    )

    donor_name: Mapped[str] = mapped_column(String(NAME_MAX))
    donor_organisation: Mapped[str | None] = mapped_column(String(NAME_MAX))
    # "The same donor": the organisation when one is given, else the name, case-folded.
    donor_key: Mapped[str] = mapped_column(String(2 * NAME_MAX))
    description: Mapped[str] = mapped_column(String(TEXT_MAX))
    value_pence: Mapped[int] = mapped_column(Integer)
    offered_on: Mapped[date] = mapped_column(Date)
    accepted: Mapped[bool] = mapped_column(Boolean)
    is_cash: Mapped[bool] = mapped_column(Boolean)

    audit_type: ClassVar[str] = "gift"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in AUDITED}


AUDITED = (
    "person_id", "donor_name", "donor_organisation", "description", "value_pence", "offered_on",
    "accepted", "is_cash", "status", "flags", "decided_by", "decided_at", "decision_note",
)  # fmt: skip
