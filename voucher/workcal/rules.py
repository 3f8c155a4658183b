"""Calendar rules (pure): which years may be edited, notes, and what the built-in data says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import chinese_calendar
from chinese_calendar.constants import Holiday
from flask_babel import lazy_gettext as _l

from voucher.core.workdays import library_years
from voucher.errors import RuleViolation, ValidationFailed

YEAR_MIN, YEAR_MAX = 2000, 2100
DAY_NOTE_MAX = 64
YEAR_NOTE_MAX = 200
WEEKDAY_LABELS = ("一", "二", "三", "四", "五", "六", "日")


class YearStatus(StrEnum):
    """Whether working days of a year can be told, and from where."""

    BUILTIN = "builtin"  # the chinesecalendar package carries the State Council's schedule
    DECLARED = "declared"  # a city officer entered the schedule and declared it complete
    UNKNOWN = "unknown"  # neither: dates in this year raise CalendarOutOfRange


YEAR_STATUS_LABELS = {
    YearStatus.BUILTIN: _l("已内置国家法定节假日安排"),
    YearStatus.DECLARED: _l("已由市人社局录入并声明完整"),
    YearStatus.UNKNOWN: _l("尚未录入完整，无法判断该年日期是否为工作日"),
}


def check_year(year: int) -> int:
    """The year itself, or ValidationFailed outside 2000–2100."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationFailed(
            _l("年份应在 %(a)d 至 %(b)d 年之间", a=YEAR_MIN, b=YEAR_MAX),
            code="calendar_year_range",
            errors={"year": year},
        )
    return year


def clean_note(note: str | None, limit: int = DAY_NOTE_MAX) -> str:
    """A note trimmed of surrounding blanks; ValidationFailed when longer than ``limit``."""
    text = " ".join((note or "").split())
    if len(text) > limit:
        raise ValidationFailed(
            _l("说明最多 %(n)d 个字", n=limit), code="calendar_note_long", errors={"note": text}
        )
    return text


def is_builtin_year(year: int) -> bool:
    """Whether the installed chinesecalendar carries this year's official schedule."""
    first, last = library_years()
    return first <= year <= last


def year_status(year: int, declared: bool) -> YearStatus:
    """The status of ``year`` given whether an officer declared it complete."""
    if is_builtin_year(year):
        return YearStatus.BUILTIN
    return YearStatus.DECLARED if declared else YearStatus.UNKNOWN


def check_declarable(year: int, *, holidays_entered: int) -> None:
    """Refuse to declare a built-in year, or a year without a single day off entered."""
    check_year(year)
    if is_builtin_year(year):
        raise RuleViolation(
            _l("%(y)d年的国家法定节假日安排已内置，无需声明", y=year),
            code="calendar_year_builtin",
            errors={"year": year},
        )
    if holidays_entered == 0:
        raise RuleViolation(
            _l(
                "%(y)d年还没有录入任何放假日期：请先按国务院办公厅通知录入节假日和调休上班日，"
                "再声明该年安排已录入完整",
                y=year,
            ),
            code="calendar_year_empty",
            errors={"year": year},
        )


@dataclass(frozen=True)
class BuiltinDay:
    """A day where the built-in schedule departs from Monday–Friday work."""

    day: date
    is_workday: bool
    name: str


def _chinese_name(name: str) -> str:
    try:
        return Holiday(name).chinese
    except ValueError:
        return name


def builtin_special_days(year: int) -> list[BuiltinDay]:
    """Weekday holidays and weekend make-up working days of a built-in year, by date."""
    if not is_builtin_year(year):
        return []
    days = [
        BuiltinDay(d, False, _chinese_name(name))
        for d, name in chinese_calendar.holidays.items()
        if d.year == year and d.weekday() < 5
    ]
    days += [
        BuiltinDay(d, True, _chinese_name(name))
        for d, name in chinese_calendar.workdays.items()
        if d.year == year and d.weekday() >= 5
    ]
    return sorted(days, key=lambda b: b.day)


def weekday_label(day: date) -> str:
    """星期一 … 星期日 as a single character."""
    return WEEKDAY_LABELS[day.weekday()]
