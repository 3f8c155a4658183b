"""Business time: business dates are dates in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen_today: date | None = None


def business_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai (or the date frozen by :func:`frozen_today`)."""
    if now is None and _frozen_today is not None:
        return _frozen_today
    return (now or datetime.now(UTC)).astimezone(SHANGHAI).date()


@contextmanager
def frozen_today(day: date) -> Iterator[None]:
    """Make :func:`business_today` answer ``day`` (tests that walk through deadlines)."""
    global _frozen_today  # a process-wide test clock, reset on exit
    before, _frozen_today = _frozen_today, day
    try:
        yield
    finally:
        _frozen_today = before


def start_of_business_day(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Asia/Shanghai."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def to_business_time(instant: datetime) -> datetime:
    """An aware instant shown in Asia/Shanghai."""
    return instant.astimezone(SHANGHAI)
