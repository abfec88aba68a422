"""The one source of 'now' and 'today', so tests can fix the date."""

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.core.settings import get_settings

_fixed: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return _fixed if _fixed is not None else datetime.now(UTC)


@lru_cache
def trust_zone() -> ZoneInfo:
    """Where the trust is (PROBITY_TIMEZONE): its calendar decides what "today" is."""
    return ZoneInfo(get_settings().timezone)


def today() -> date:
    """Today's date for the trust, not UTC's: between midnight and 01:00 in British Summer Time the
    two differ, and a declaration due "today" must not be overdue an hour early."""
    return now().astimezone(trust_zone()).date()


def fix(moment: datetime | None) -> None:
    """Pin 'now' (tests only); None releases it."""
    global _fixed
    if moment is not None and moment.tzinfo is None:
        raise ValueError("fix() needs a timezone-aware datetime")
    _fixed = moment


def in_words(day: date) -> str:
    """A date as people write it: 31 December 2026 (pages, emails and summaries say it so)."""
    return f"{day.day} {day:%B %Y}"


def start_of(day: date) -> datetime:
    """The moment the trust's day begins, in UTC (to filter timestamps by the trust's dates)."""
    return datetime.combine(day, time.min, tzinfo=trust_zone()).astimezone(UTC)
