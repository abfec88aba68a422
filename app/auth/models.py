"""Failed-login counters, kept in the database so the throttle holds across workers."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.schemas import EMAIL_MAX


class LoginThrottle(Base):
    """Consecutive failures for one login name (known or not, so the two look alike)."""

    __tablename__ = "login_throttles"

    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A run of failures lasts while each comes within the window of the one before, so ten
    # failures inside any one window are always counted together (a window fixed at the first
    # failure let a run straddling its end go uncounted).
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
