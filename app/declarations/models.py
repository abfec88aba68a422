"""Annual declaration cycles and the declarations submitted in them."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, UTCDateTime, UUIDPrimaryKey
from app.core.schemas import NAME_MAX


class DeclarationCycle(UUIDPrimaryKey, Base):
    __tablename__ = "declaration_cycles"

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    opens_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    # Governance roles in scope, as a JSON list of role names.
    governance_roles: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    audit_type: ClassVar[str] = "declaration_cycle"

    def audit_view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("name", "opens_on", "due_on", "governance_roles")}


class Declaration(UUIDPrimaryKey, Base):
    """An immutable snapshot of a person's open interests on the day they declared."""

    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("cycle_id", "person_id", name="uq_declarations_cycle_person"),)

    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("declaration_cycles.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    nil_return: Mapped[bool] = mapped_column(Boolean)
    code_of_conduct_accepted: Mapped[bool] = mapped_column(Boolean)
    interests: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    submitted_by: Mapped[uuid.UUID | None] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    audit_type: ClassVar[str] = "declaration"

    def audit_view(self) -> dict[str, Any]:
        return {
            "cycle_id": self.cycle_id,
            "person_id": self.person_id,
            "nil_return": self.nil_return,
            "code_of_conduct_accepted": self.code_of_conduct_accepted,
            "interest_ids": [interest["id"] for interest in self.interests],
        }
