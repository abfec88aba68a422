import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, model_validator

from app.approvals.policy import Kind
from app.core.schemas import FreeText, InputModel


class DecisionCreate(InputModel):
    """A decision on a gift or a hospitality request; refusing needs a reason."""

    decision: Literal["approve", "reject"]
    note: FreeText | None = None

    @model_validator(mode="after")
    def _reason_to_reject(self) -> Self:
        if not (self.note or "").strip():
            self.note = None  # a blank note is no note
        if self.decision == "reject" and self.note is None:
            raise ValueError("a rejection needs a note saying why")
        return self


class PendingItem(BaseModel):
    kind: Kind
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    summary: str
    submitted_at: datetime
    flags: list[str]
