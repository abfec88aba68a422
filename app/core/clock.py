"""The one source of 'now', so tests can fix the date."""

from datetime import UTC, date, datetime

_fixed: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return now().date()


def fix(moment: datetime | None) -> None:
    """Pin 'now' (tests only); None releases it."""
    global _fixed
    if moment is not None and moment.tzinfo is None:
        raise ValueError("fix() needs a timezone-aware datetime")
    _fixed = moment
