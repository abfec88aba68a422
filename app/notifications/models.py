"""The outbox: one row per email to send, written in the same transaction as the change that causes it."""

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime, UUIDPrimaryKey
from app.core.schemas import EMAIL_MAX, TEXT_MAX

SUBJECT_MAX = 300


class Notification(UUIDPrimaryKey, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # The sender's claim: the pending ones whose time has come, soonest first.
        Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),
        # At most one reminder per person per cycle per day, however often (and however many at
        # once) the reminder run goes; NULLs (every other kind) never collide.
        UniqueConstraint("person_id", "cycle_id", "reminder_on", name="uq_notifications_reminder"),
    )

    kind: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    # The address as it was when the notification was made: the email goes where it was meant to.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Fixed when the row is made, so a resend (after a crash between sending and recording) arrives
    # as the same message, which mail clients recognise.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Reminders only: the cycle and the trust's day they were made for.
    cycle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("declaration_cycles.id"))
    reminder_on: Mapped[date | None] = mapped_column(Date)

    audit_type: ClassVar[str] = "notification"

    def audit_view(self) -> dict[str, Any]:
        # Never the bodies: the trail records what happened to the notification, not the email.
        return {name: getattr(self, name) for name in AUDITED}


AUDITED = ("kind", "person_id", "email", "status", "attempts", "last_error", "next_attempt_at", "sent_at")
