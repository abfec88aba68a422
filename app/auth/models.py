"""Failed-login counters, kept in the database so the throttle holds across workers."""

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, UTCDateTime
from app.core.schemas import EMAIL_MAX

# Wide enough for an IPv6 network in text ("ffff:...:ffff/64") or a cut-down unparseable peer name.
ADDRESS_MAX = 64
# The email_key of an address's own counter, across every account it tries.
ANY_ACCOUNT = ""


class LoginThrottle(Base):
    """Consecutive failures for one login name from one client address (known name or not, so the
    two look alike), and, with email_key ANY_ACCOUNT, for one address across every name."""

    __tablename__ = "login_throttles"

    email_key: Mapped[str] = mapped_column(String(EMAIL_MAX), primary_key=True)
    address: Mapped[str] = mapped_column(String(ADDRESS_MAX), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # A run of failures lasts while each comes within the window of the one before, so ten
    # failures inside any one window are always counted together (a window fixed at the first
    # failure let a run straddling its end go uncounted).
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One refused attempt per lockout is audited; the rest are only counted in the log, so that an
    # anonymous flood cannot grow the audit trail without bound.
    refusal_audited: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the row no longer matters (the window and any lockout are over): pruned after that.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
