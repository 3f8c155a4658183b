"""Working days on China's official calendar, extended by an admin-edited table."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.core.workdays import CalendarOutOfRange, WorkCalendar, library_years
from voucher.errors import RuleViolation

CALENDAR = WorkCalendar()


def test_a_sunday_make_up_day_before_spring_festival_2024_is_a_working_day() -> None:
    assert date(2024, 2, 4).weekday() == 6
    assert CALENDAR.is_workday(date(2024, 2, 4))


def test_national_day_2024_is_a_holiday() -> None:
    assert not CALENDAR.is_workday(date(2024, 10, 1))


def test_the_sunday_before_spring_festival_2025_is_a_make_up_working_day() -> None:
    assert date(2025, 1, 26).weekday() == 6
    assert CALENDAR.is_workday(date(2025, 1, 26))


def test_new_years_day_2026_is_a_holiday_and_the_following_sunday_a_working_day() -> None:
    assert not CALENDAR.is_workday(date(2026, 1, 1))
    assert CALENDAR.is_workday(date(2026, 1, 4))


def test_ordinary_weekdays_work_and_weekends_rest() -> None:
    assert CALENDAR.is_workday(date(2025, 3, 12))  # Wednesday
    assert not CALENDAR.is_workday(date(2025, 3, 15))  # Saturday


def test_a_datetime_is_taken_as_its_date() -> None:
    assert CALENDAR.is_workday(datetime(2024, 2, 4, 9, 30))  # type: ignore[arg-type]


def test_the_library_range_is_read_from_the_package_not_hard_coded() -> None:
    first, last = library_years()
    assert first == min(chinese_calendar.holidays).year
    assert last == max(chinese_calendar.holidays).year
    assert first <= 2024 < 2026 <= last
    assert CALENDAR.known_range() == (date(first, 1, 1), date(last, 12, 31))


def test_a_date_after_the_library_range_is_unknown() -> None:
    _first, last = library_years()
    with pytest.raises(CalendarOutOfRange):
        CALENDAR.is_workday(date(last + 1, 3, 1))


def test_answers_are_remembered_but_an_unknown_date_raises_every_time() -> None:
    calendar = WorkCalendar(overrides={date(2024, 3, 12): False})
    a, b = calendar, WorkCalendar(overrides={date(2024, 3, 12): False})
    assert calendar.is_workday(date(2024, 3, 12)) is False
    assert calendar.is_workday(date(2024, 3, 12)) is False  # from memory
    assert a == b and hash(a) == hash(b)  # the memory takes no part in equality
    _first, last = library_years()
    for _ in range(2):
        with pytest.raises(CalendarOutOfRange):
            calendar.is_workday(date(last + 1, 3, 1))


def test_a_date_before_the_library_range_is_unknown() -> None:
    first, _last = library_years()
    with pytest.raises(CalendarOutOfRange):
        CALENDAR.is_workday(date(first - 1, 12, 31))


def test_the_unknown_year_error_names_the_date_and_the_missing_schedule() -> None:
    day = date(2099, 3, 1)
    with pytest.raises(CalendarOutOfRange) as caught:
        CALENDAR.is_workday(day)
    error = caught.value
    assert isinstance(error, RuleViolation)
    assert error.code == "calendar_unknown"
    assert error.day == day
    assert error.errors == {"date": "2099-03-01"}
    assert str(error) == "无法判断 2099-03-01 是否为工作日：2099年的国家法定节假日安排尚未录入"


def test_2027_is_unknown_until_the_admin_declares_it_complete() -> None:
    if library_years()[1] >= 2027:
        pytest.skip("the installed chinesecalendar already covers 2027")
    monday = date(2027, 3, 1)
    with pytest.raises(CalendarOutOfRange):
        CALENDAR.is_workday(monday)
    with pytest.raises(CalendarOutOfRange):
        WorkCalendar(overrides={monday: True}).is_workday(monday)

    declared = WorkCalendar(extra_years=frozenset({2027}))
    assert declared.is_workday(monday)
    assert not declared.is_workday(date(2027, 3, 6))  # Saturday


def test_in_a_declared_year_the_overrides_decide_holidays_and_make_up_days() -> None:
    if library_years()[1] >= 2027:
        pytest.skip("the installed chinesecalendar already covers 2027")
    calendar = WorkCalendar(
        overrides={date(2027, 1, 1): False, date(2027, 1, 2): True},
        extra_years=frozenset({2027}),
    )
    assert not calendar.is_workday(date(2027, 1, 1))  # Friday, New Year's Day
    assert calendar.is_workday(date(2027, 1, 2))  # Saturday, make-up day


def test_declared_years_widen_the_known_range_only_where_they_adjoin_it() -> None:
    first, last = library_years()
    adjoining = WorkCalendar(extra_years=frozenset({last + 1, last + 2, last + 4}))
    assert adjoining.known_range() == (date(first, 1, 1), date(last + 2, 12, 31))
    assert adjoining.is_workday(date(last + 4, 6, 1)) == (date(last + 4, 6, 1).weekday() < 5)
    with pytest.raises(CalendarOutOfRange):
        adjoining.is_workday(date(last + 3, 6, 1))


def test_an_override_beats_the_library_in_both_directions() -> None:
    calendar = WorkCalendar(overrides={date(2024, 10, 1): True, date(2024, 3, 12): False})
    assert calendar.is_workday(date(2024, 10, 1))
    assert not calendar.is_workday(date(2024, 3, 12))


def test_the_overrides_cannot_be_changed_after_construction() -> None:
    source = {date(2024, 3, 12): False}
    calendar = WorkCalendar(overrides=source)
    source[date(2024, 3, 12)] = True
    assert not calendar.is_workday(date(2024, 3, 12))
    with pytest.raises(TypeError):
        calendar.overrides[date(2024, 3, 13)] = False  # type: ignore[index]


def test_override_values_must_be_booleans() -> None:
    with pytest.raises(TypeError):
        WorkCalendar(overrides={date(2024, 3, 12): 0})  # type: ignore[dict-item]


def test_calendars_with_the_same_table_are_equal_and_hash_alike() -> None:
    a = WorkCalendar(overrides={date(2024, 3, 12): False}, extra_years=frozenset({2030}))
    b = WorkCalendar(overrides={date(2024, 3, 12): False}, extra_years=frozenset({2030}))
    assert a == b
    assert hash(a) == hash(b)


def test_adding_working_days_skips_the_national_day_week() -> None:
    # 2024-09-30 (Mon) → the next working day is 2024-10-08: 1–7 October were off.
    assert CALENDAR.add_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)


def test_adding_working_days_counts_a_make_up_saturday() -> None:
    # 2024-10-11 (Fri) + 1 → Saturday 2024-10-12, a make-up working day.
    assert CALENDAR.add_workdays(date(2024, 10, 11), 1) == date(2024, 10, 12)


def test_adding_working_days_does_not_count_the_start_day() -> None:
    assert CALENDAR.add_workdays(date(2025, 3, 10), 1) == date(2025, 3, 11)
    assert CALENDAR.add_workdays(date(2025, 3, 14), 1) == date(2025, 3, 17)  # Fri → Mon
    assert CALENDAR.add_workdays(date(2025, 3, 15), 1) == date(2025, 3, 17)  # Sat → Mon


def test_adding_zero_working_days_returns_the_same_date() -> None:
    assert CALENDAR.add_workdays(date(2025, 3, 15), 0) == date(2025, 3, 15)


def test_negative_working_days_go_backwards() -> None:
    assert CALENDAR.add_workdays(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert CALENDAR.add_workdays(date(2025, 3, 17), -1) == date(2025, 3, 14)


def test_an_override_turning_a_day_into_a_holiday_changes_add_workdays() -> None:
    start = date(2025, 3, 10)  # Monday
    assert CALENDAR.add_workdays(start, 2) == date(2025, 3, 12)
    closed = WorkCalendar(overrides={date(2025, 3, 11): False})
    assert closed.add_workdays(start, 2) == date(2025, 3, 13)


def test_adding_working_days_past_the_known_range_raises() -> None:
    _first, last = library_years()
    with pytest.raises(CalendarOutOfRange):
        CALENDAR.add_workdays(date(last, 12, 20), 30)


def test_counting_covers_start_but_not_end() -> None:
    monday, next_monday = date(2025, 3, 10), date(2025, 3, 17)
    assert CALENDAR.count_workdays(monday, next_monday) == 5
    assert CALENDAR.count_workdays(monday, monday) == 0
    assert CALENDAR.count_workdays(monday, monday + timedelta(days=1)) == 1


def test_october_2024_had_19_working_days_with_its_make_up_saturday() -> None:
    # 23 weekdays, minus 1–4 and 7 October (5 holidays), plus Saturday the 12th.
    assert CALENDAR.count_workdays(date(2024, 10, 1), date(2024, 11, 1)) == 19


def test_counting_backwards_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="precedes"):
        CALENDAR.count_workdays(date(2025, 3, 17), date(2025, 3, 10))


def test_counting_into_an_unknown_year_raises() -> None:
    _first, last = library_years()
    with pytest.raises(CalendarOutOfRange):
        CALENDAR.count_workdays(date(last, 12, 1), date(last + 1, 1, 10))


def test_the_calendar_agrees_with_the_library_on_every_day_it_covers() -> None:
    first, last = library_years()
    day = date(first, 1, 1)
    while day.year <= last:
        assert CALENDAR.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


known_days = st.dates(min_value=date(2005, 1, 1), max_value=date(2025, 12, 31))


@given(start=known_days, n=st.integers(min_value=0, max_value=40))
def test_adding_then_counting_gives_back_n(start: date, n: int) -> None:
    end = CALENDAR.add_workdays(start, n)
    one = timedelta(days=1)
    assert CALENDAR.count_workdays(start + one, end + one) == n
    if n:
        assert CALENDAR.is_workday(end)


@given(start=known_days, n=st.integers(min_value=1, max_value=40))
def test_going_forward_then_back_returns_to_a_working_start(start: date, n: int) -> None:
    if not CALENDAR.is_workday(start):
        return
    assert CALENDAR.add_workdays(CALENDAR.add_workdays(start, n), -n) == start


@given(
    start=known_days,
    closed=st.sets(known_days, max_size=5),
    n=st.integers(min_value=1, max_value=20),
)
def test_closing_days_never_makes_a_deadline_earlier(
    start: date, closed: set[date], n: int
) -> None:
    stricter = WorkCalendar(overrides=dict.fromkeys(closed, False))
    assert stricter.add_workdays(start, n) >= CALENDAR.add_workdays(start, n)
