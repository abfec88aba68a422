from decimal import Decimal

from pydantic import Field

from app.core.schemas import InputModel, Money, Name, ReadModel


class TrustSettingsRead(ReadModel):
    trust_name: str
    gift_token_limit_gbp: Money
    conflict_similarity_threshold: float
    rpt_approval_threshold_gbp: Money


class TrustSettingsUpdate(InputModel):
    """Only the values sent change; none may be null."""

    trust_name: Name | None = None
    gift_token_limit_gbp: Money | None = Field(
        default=None,
        description="accepted gifts from one donor in 12 months up to this are recorded without review",
    )
    conflict_similarity_threshold: float | None = Field(
        default=None,
        strict=True,
        gt=0,
        le=1,
        description="how alike two organisation names must be (0..1) to be a match: one edit scores at "
        "least 0.95 and one word more or fewer at least 0.93, so above 0.93 a dropped word no longer "
        "matches and above 0.95 a one-letter typo no longer does",
    )
    rpt_approval_threshold_gbp: Money | None = Field(
        default=None, description="a related party transaction over this needs the DfE's prior approval"
    )

    def changes(self) -> dict[str, Decimal | float | str]:
        return {name: getattr(self, name) for name in self.model_fields_set}
