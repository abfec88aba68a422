"""The trust's policy values, kept in the database and changed by the governance clerk (audited).
Not to be confused with app.core.settings, the service's configuration from the environment."""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.schemas import NAME_MAX

# One row, id 1, made by the migration with the defaults below.
DEFAULT_GIFT_TOKEN_LIMIT_PENCE = 2500  # the contract: "25.00"
DEFAULT_RPT_APPROVAL_THRESHOLD_PENCE = 4_000_000  # the Academy Trust Handbook: over £40,000
# The similarity (app.interests.normalise.similarity) from which a name counts as a match: one edit
# scores at least 0.95 and one word more or fewer at least 0.93, so both match; a different firm
# sharing a word scores below (bench/conflicts_quality.py measured precision and recall at it).
DEFAULT_CONFLICT_SIMILARITY_THRESHOLD = 0.92


class TrustSettings(Base):
    __tablename__ = "trust_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trust_name: Mapped[str] = mapped_column(String(NAME_MAX))
    gift_token_limit_pence: Mapped[int] = mapped_column(Integer)
    conflict_similarity_threshold: Mapped[float] = mapped_column(Float)
    rpt_approval_threshold_pence: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    audit_type: ClassVar[str] = "settings"

    def audit_view(self) -> dict[str, Any]:
        return {
            "trust_name": self.trust_name,
            "gift_token_limit_pence": self.gift_token_limit_pence,
            "conflict_similarity_threshold": self.conflict_similarity_threshold,
            "rpt_approval_threshold_pence": self.rpt_approval_threshold_pence,
        }
