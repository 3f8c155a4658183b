"""Business time: business dates are dates in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def business_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai."""
    return (now or datetime.now(UTC)).astimezone(SHANGHAI).date()


def start_of_business_day(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Asia/Shanghai."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def to_business_time(instant: datetime) -> datetime:
    """An aware instant shown in Asia/Shanghai."""
    return instant.astimezone(SHANGHAI)
