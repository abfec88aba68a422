from typing import Literal, Self

from pydantic import model_validator

from app.core.schemas import FreeText, InputModel


class DecisionCreate(InputModel):
    """A decision on a gift or a hospitality request; refusing needs a reason."""

    decision: Literal["approve", "reject"]
    note: FreeText | None = None

    @model_validator(mode="after")
    def _reason_to_reject(self) -> Self:
        if self.decision == "reject" and not (self.note or "").strip():
            raise ValueError("a rejection needs a note saying why")
        return self
