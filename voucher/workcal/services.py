"""Calendar use cases: set and clear overrides, declare a year complete, and the cached calendar.

``work_calendar()`` is what every other module calls to count working days (e.g. class filing
"at least 5 working days before the start"). It is built from the two tables and cached per
application:

* in this process, every change made through this module drops the cache after it commits, so
  the next call sees the change;
* other processes (further gunicorn workers, the command line) notice a change when their copy
  expires: a copy lives at most ``WORKCAL_CACHE_SECONDS`` (default 60 s). Calendar edits are rare
  and made weeks before the dates they touch, so a minute of delay is harmless.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, select
from sqlalchemy.exc import IntegrityError

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.core.workdays import WorkCalendar
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, NotFound
from voucher.workcal.models import CalendarDay, CalendarYear
from voucher.workcal.rules import (
    YEAR_NOTE_MAX,
    YearStatus,
    check_declarable,
    check_year,
    clean_note,
    year_status,
)

CACHE_KEY = "voucher.workcal"
DEFAULT_CACHE_SECONDS = 60.0


@dataclass
class _Cache:
    """The app's calendar, when it was loaded, and a generation bumped by every change."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calendar: WorkCalendar | None = None
    loaded_at: float = 0.0
    generation: int = 0


def _cache() -> _Cache:
    return current_app.extensions.setdefault(CACHE_KEY, _Cache())


def _load() -> WorkCalendar:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday))
    overrides = {day: working for day, working in rows}
    years = frozenset(db.session.execute(select(CalendarYear.year)).scalars())
    return WorkCalendar(overrides=overrides, extra_years=years)


def work_calendar() -> WorkCalendar:
    """The official calendar with the city's overrides and declared years (cached, see above)."""
    cache = _cache()
    ttl = float(current_app.config.get("WORKCAL_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    now = time.monotonic()
    with cache.lock:
        if cache.calendar is not None and now - cache.loaded_at < ttl:
            return cache.calendar
        generation = cache.generation
    calendar = _load()
    with cache.lock:
        # a change committed while we were loading must not be hidden by our older copy
        if cache.generation == generation:
            cache.calendar, cache.loaded_at = calendar, now
    return calendar


def invalidate_cache() -> None:
    """Drop this app's cached calendar (called after every committed change)."""
    cache = _cache()
    with cache.lock:
        cache.generation += 1
        cache.calendar = None


def _snapshot(row: CalendarDay | None) -> dict[str, Any] | None:
    return None if row is None else {"is_workday": row.is_workday, "note": row.note}


def set_day(actor: Actor, day: date, is_workday: bool, note: str = "") -> CalendarDay:
    """Mark ``day`` as a working day or a day off, overriding the built-in calendar."""
    actor.require(Role.CITY)
    check_year(day.year)
    note = clean_note(note)
    with unit_of_work() as session:
        row = session.get(CalendarDay, day, with_for_update=True)
        before = _snapshot(row)
        if row is None:
            row = CalendarDay(day=day, is_workday=is_workday, note=note, updated_by=actor.user_id)
            session.add(row)
        elif row.is_workday == is_workday and row.note == note:
            return row
        else:
            row.is_workday, row.note, row.updated_by = is_workday, note, actor.user_id
        record(
            actor,
            "calendar.day_set",
            "calendar_day",
            day.isoformat(),
            {"before": before, "after": _snapshot(row)},
        )
        _flush_or_conflict(session)
    invalidate_cache()
    return row


def clear_day(actor: Actor, day: date) -> None:
    """Remove the override of ``day``: the built-in calendar applies again."""
    actor.require(Role.CITY)
    check_year(day.year)
    with unit_of_work() as session:
        row = session.get(CalendarDay, day, with_for_update=True)
        if row is None:
            raise NotFound(
                _l("%(d)s 没有手工调整，无需删除", d=day.isoformat()),
                code="calendar_day_unknown",
                errors={"date": day.isoformat()},
            )
        record(
            actor,
            "calendar.day_cleared",
            "calendar_day",
            day.isoformat(),
            {"before": _snapshot(row), "after": None},
        )
        session.delete(row)
    invalidate_cache()


def declare_year(actor: Actor, year: int, note: str = "") -> CalendarYear:
    """Declare a year's holidays and make-up days completely entered: its dates become known."""
    actor.require(Role.CITY)
    check_year(year)
    note = clean_note(note, YEAR_NOTE_MAX)
    with unit_of_work() as session:
        days_off = session.execute(
            select(func.count())
            .select_from(CalendarDay)
            .where(_in_year(year), CalendarDay.is_workday.is_(False))
        ).scalar_one()
        check_declarable(year, holidays_entered=days_off)
        if session.get(CalendarYear, year) is not None:
            raise Conflict(
                _l("%(y)d年已声明录入完整", y=year),
                code="calendar_year_declared",
                errors={"year": year},
            )
        row = CalendarYear(year=year, declared_by=actor.user_id, note=note)
        session.add(row)
        record(actor, "calendar.year_declared", "calendar_year", year, {"note": note})
        _flush_or_conflict(session)
    invalidate_cache()
    return row


def _in_year(year: int) -> Any:
    return CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))


def _flush_or_conflict(session: Any) -> None:
    """Flush; a concurrent insert of the same key becomes a Conflict, not a server error."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(_l("该记录刚被他人修改，请刷新后重试"), code="calendar_changed") from None


def days_for_year(year: int) -> list[CalendarDay]:
    """The overrides of ``year``, by date."""
    check_year(year)
    return list(
        db.session.execute(
            select(CalendarDay).where(_in_year(year)).order_by(CalendarDay.day)
        ).scalars()
    )


@dataclass(frozen=True)
class YearInfo:
    """What is known about a year: its status and, when declared, the declaration."""

    year: int
    status: YearStatus
    declaration: CalendarYear | None


def year_info(year: int) -> YearInfo:
    """The status of ``year`` read from the database (not from the cache)."""
    check_year(year)
    declaration = db.session.get(CalendarYear, year)
    return YearInfo(year, year_status(year, declaration is not None), declaration)


def declared_years() -> list[int]:
    """Every declared year, ascending."""
    return list(db.session.execute(select(CalendarYear.year).order_by(CalendarYear.year)).scalars())


def override_years() -> list[int]:
    """Every year that has at least one override, ascending."""
    year = extract("year", CalendarDay.day)
    return [int(y) for y in db.session.execute(select(year).distinct().order_by(year)).scalars()]


@dataclass(frozen=True)
class WorkdayAnswer:
    """Whether a date is a working day, and whether the built-in data or an override says so."""

    date: date
    is_workday: bool
    source: str  # "builtin" or "override"


def lookup(day: date) -> WorkdayAnswer:
    """Whether ``day`` is a working day; CalendarOutOfRange if its year is unknown."""
    calendar = work_calendar()
    working = calendar.is_workday(day)
    return WorkdayAnswer(day, working, "override" if day in calendar.overrides else "builtin")


@dataclass(frozen=True)
class AddWorkdaysAnswer:
    """The date ``n`` working days after ``date`` (not counting ``date``)."""

    date: date
    n: int
    result: date


def add_workdays(day: date, n: int) -> AddWorkdaysAnswer:
    """``n`` working days after ``day``; CalendarOutOfRange if the walk leaves known years."""
    return AddWorkdaysAnswer(day, n, work_calendar().add_workdays(day, n))
