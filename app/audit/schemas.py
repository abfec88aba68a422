import uuid
from datetime import datetime
from typing import Any

from app.core.schemas import ReadModel


class AuditEventRead(ReadModel):
    id: uuid.UUID
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str


class VerificationRead(ReadModel):
    valid: bool
    events_checked: int
    first_bad_seq: int | None


class CheckpointRead(ReadModel):
    seq: int
    hash: str
    at: datetime
