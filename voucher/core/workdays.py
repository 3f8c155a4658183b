"""Working days on China's official calendar, with statutory holidays and make-up days (调休).

The ``chinesecalendar`` package knows the State Council's yearly schedules for a range of
years. ``WorkCalendar`` lays an admin-edited table over it: overrides win for any date, and a
later year becomes known once the admin declares its holidays complete (``extra_years``).
Unknown dates raise ``CalendarOutOfRange`` rather than guessing Mon–Fri.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from types import MappingProxyType

import chinese_calendar
from flask_babel import lazy_gettext as _l

from voucher.errors import RuleViolation

_ONE_DAY = timedelta(days=1)


class CalendarOutOfRange(RuleViolation):
    """A date in a year whose official holiday schedule has not been entered."""

    code = "calendar_unknown"

    def __init__(self, day: date) -> None:
        super().__init__(
            _l(
                "无法判断 %(date)s 是否为工作日：%(year)d年的国家法定节假日安排尚未录入",
                date=day.isoformat(),
                year=day.year,
            ),
            errors={"date": day.isoformat()},
        )
        self.day = day


@cache
def library_years() -> tuple[int, int]:
    """First and last year covered by the installed chinesecalendar, read from its tables."""
    days = [*chinese_calendar.holidays, *chinese_calendar.workdays]
    return min(days).year, max(days).year


@dataclass(frozen=True)
class WorkCalendar:
    """The official calendar, amended by overrides (True = working day, False = day off)."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    extra_years: frozenset[int] = frozenset()
    #: answers already worked out (a calendar never changes: a new table is a new calendar);
    #: the redemption desk asks about the same few days on every scan
    _answers: dict[date, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        overrides: dict[date, bool] = {}
        for day, working in self.overrides.items():
            if not isinstance(day, date):
                raise TypeError(f"override keys must be dates, not {type(day).__name__}")
            if not isinstance(working, bool):
                raise TypeError(f"override for {day} must be a bool, not {type(working).__name__}")
            overrides[_as_date(day)] = working
        object.__setattr__(self, "overrides", MappingProxyType(overrides))
        object.__setattr__(self, "extra_years", frozenset(self.extra_years))

    def __hash__(self) -> int:
        return hash((frozenset(self.overrides.items()), self.extra_years))

    def is_known_year(self, year: int) -> bool:
        """Whether working days of ``year`` can be told (library data or declared by an admin)."""
        first, last = library_years()
        return first <= year <= last or year in self.extra_years

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day; CalendarOutOfRange if its year is unknown."""
        d = _as_date(d)
        answer = self._answers.get(d)
        if answer is None:
            answer = self._answers[d] = self._work_out(d)
        return answer

    def _work_out(self, d: date) -> bool:
        if not self.is_known_year(d.year):
            raise CalendarOutOfRange(d)
        if d in self.overrides:
            return self.overrides[d]
        first, last = library_years()
        if first <= d.year <= last and d in chinese_calendar.workdays:  # 调休 make-up day
            return True
        if first <= d.year <= last and d in chinese_calendar.holidays:
            return False
        return d.weekday() < 5

    def add_workdays(self, d: date, n: int) -> date:
        """The date ``n`` working days after ``d``, not counting ``d``; negative ``n`` goes back."""
        d = _as_date(d)
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_workday(d):
                remaining -= 1
        return d

    def count_workdays(self, start: date, end: date) -> int:
        """Number of working days in [start, end)."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise ValueError(f"end {end.isoformat()} precedes start {start.isoformat()}")
        count = 0
        d = start
        while d < end:
            count += self.is_workday(d)
            d += _ONE_DAY
        return count

    def known_range(self) -> tuple[date, date]:
        """First and last known date: the library's years, widened by adjoining extra years."""
        first, last = library_years()
        while first - 1 in self.extra_years:
            first -= 1
        while last + 1 in self.extra_years:
            last += 1
        return date(first, 1, 1), date(last, 12, 31)


def _as_date(d: date) -> date:
    """A plain date (datetimes would never match date keys)."""
    return d.date() if isinstance(d, datetime) else d
