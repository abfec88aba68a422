import uuid
from datetime import datetime
from enum import StrEnum

from app.core.schemas import InputModel, ReadModel


class NotificationKind(StrEnum):
    APPROVAL_REQUESTED = "approval_requested"
    DECISION_MADE = "decision_made"
    CYCLE_OPENED = "cycle_opened"
    DECLARATION_REMINDER = "declaration_reminder"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class NotificationRead(ReadModel):
    """An email in the outbox, without its body (the admin's view of what was sent to whom)."""

    id: uuid.UUID
    kind: NotificationKind
    person_id: uuid.UUID
    email: str
    subject: str
    status: NotificationStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    message_id: str
    created_at: datetime
    sent_at: datetime | None


class NotificationRetry(InputModel):
    """Retrying takes no fields: an empty body or {}."""
