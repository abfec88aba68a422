"""What every record that someone submits and another decides has: its owner, status, flags and the
decision (who, when, why). Record domains build their tables on this; it owns no table itself."""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, UUIDPrimaryKey
from app.core.schemas import TEXT_MAX


class Submitted(UUIDPrimaryKey):
    """Columns shared by gifts, hospitality requests and paid work (each table indexes
    (status, submitted_at) for the approver's queue, which reads the pending ones oldest first)."""

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    # Computed by the server when the record is submitted (or changes): never taken from a client.
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    decided_by: Mapped[uuid.UUID | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    created_by: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    audit_type: ClassVar[str]

    def audit_view(self) -> dict[str, Any]:
        raise NotImplementedError
