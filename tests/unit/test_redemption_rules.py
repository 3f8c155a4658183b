"""Redemption rules without a database: filing on working days, windows, ID tail, offsets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.core.workdays import CalendarOutOfRange, WorkCalendar
from voucher.errors import RuleViolation, ValidationFailed
from voucher.redemption.rules import (
    ClassDetails,
    check_class_open,
    check_filed_in_time,
    check_id_tail_format,
    check_not_locked,
    clean_class,
    earliest_start,
    id_tail_matches,
    masked_id_for_check,
    offset_for,
    roster_locked,
    unit_may_void,
)

CALENDAR = WorkCalendar()
DETAILS = ClassDetails(
    name=" 养老护理员初级班 ",
    start_date=date(2025, 10, 10),
    end_date=date(2025, 11, 10),
    hours=80,
    plan="理论与实操",
    teachers="王老师",
    fee_fen=120_000,
    site="天河区",
)


def test_national_day_and_its_make_up_sunday_count_correctly_for_filing() -> None:
    # Fri 26 Sep 2025: Sun 28 and Tue 30 Sep are working days, 1–8 Oct are off.
    assert earliest_start(CALENDAR, date(2025, 9, 26), 5) == date(2025, 10, 10)
    check_filed_in_time(
        CALENDAR, filed_on=date(2025, 9, 26), start_date=date(2025, 10, 10), workdays=5
    )
    with pytest.raises(RuleViolation) as late:
        check_filed_in_time(
            CALENDAR, filed_on=date(2025, 9, 26), start_date=date(2025, 10, 9), workdays=5
        )
    assert late.value.code == "class_filed_late" and "2025-10-10" in str(late.value)


def test_a_start_on_or_before_the_filing_day_is_late() -> None:
    with pytest.raises(RuleViolation):
        check_filed_in_time(
            CALENDAR, filed_on=date(2025, 3, 3), start_date=date(2025, 3, 3), workdays=5
        )


def test_a_start_in_an_unknown_year_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarOutOfRange) as unknown:
        check_filed_in_time(
            CALENDAR, filed_on=date(2026, 3, 2), start_date=date(2099, 3, 2), workdays=5
        )
    assert unknown.value.code == "calendar_unknown"
    declared = WorkCalendar(extra_years=frozenset({2099}))
    check_filed_in_time(
        declared, filed_on=date(2099, 3, 2), start_date=date(2099, 3, 9), workdays=5
    )


@given(st.dates(min_value=date(2010, 1, 1), max_value=date(2025, 12, 1)))
def test_the_earliest_start_is_always_accepted_and_the_day_before_refused(filed: date) -> None:
    first = earliest_start(CALENDAR, filed, 5)
    check_filed_in_time(CALENDAR, filed_on=filed, start_date=first, workdays=5)
    assert CALENDAR.count_workdays(filed + timedelta(days=1), first + timedelta(days=1)) == 5
    with pytest.raises(RuleViolation):
        check_filed_in_time(
            CALENDAR, filed_on=filed, start_date=first - timedelta(days=1), workdays=5
        )


def test_a_filing_is_tidied_and_offline_needs_no_platform() -> None:
    cleaned = clean_class(DETAILS)
    assert cleaned.name == "养老护理员初级班" and cleaned.platform == ""


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": "  "}, "name_required"),
        ({"end_date": date(2025, 10, 1)}, "dates_reversed"),
        ({"hours": 0}, "hours_invalid"),
        ({"fee_fen": 0}, "fee_invalid"),
        ({"mode": "tv"}, "mode_invalid"),
        ({"mode": "online", "courses": "c", "online_hours": 80}, "platform_required"),
        ({"mode": "online", "platform": "p", "online_hours": 80}, "courses_required"),
        ({"mode": "online", "platform": "p", "courses": "c"}, "online_hours_invalid"),
        (
            {"mode": "mixed", "platform": "p", "courses": "c", "online_hours": 80},
            "online_hours_invalid",
        ),
        (
            {"mode": "online", "platform": "p", "courses": "c", "online_hours": 81},
            "online_hours_invalid",
        ),
    ],
)
def test_every_bad_filing_field_is_named_in_chinese(change: dict, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        clean_class(replace(DETAILS, **change))
    assert refused.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value))


def test_mixed_training_files_platform_courses_and_online_hours() -> None:
    mixed = clean_class(
        replace(DETAILS, mode="mixed", platform=" 粤培训 ", courses="理论课", online_hours=20)
    )
    assert (mixed.platform, mixed.online_hours) == ("粤培训", 20)


def test_a_class_takes_vouchers_until_the_late_window_ends() -> None:
    start, end = date(2026, 3, 2), date(2026, 4, 2)
    check_class_open(start, end, date(2026, 2, 1), 3)
    check_class_open(start, end, date(2026, 3, 5), 3)
    with pytest.raises(RuleViolation) as late:
        check_class_open(start, end, date(2026, 3, 6), 3)
    assert late.value.code == "class_started_too_long"


def test_the_roster_locks_at_the_start_and_the_unit_voids_before_it() -> None:
    start = date(2026, 3, 2)
    assert not roster_locked(start, date(2026, 3, 1)) and roster_locked(start, start)
    assert unit_may_void(start, date(2026, 3, 1), 0) and not unit_may_void(start, start, 0)
    assert unit_may_void(start, start, 1)


@pytest.mark.parametrize("typed", ["123x", "１２３Ｘ", " 123X "])
def test_the_id_tail_accepts_x_in_any_width_or_case(typed: str) -> None:
    tail = check_id_tail_format(typed)
    assert tail == "123X" and id_tail_matches("44010619900101123X", tail)


@pytest.mark.parametrize("typed", ["", "12", "12345", "12X4", "abcd"])
def test_a_malformed_id_tail_is_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed):
        check_id_tail_format(typed)


def test_a_wrong_tail_does_not_match() -> None:
    assert not id_tail_matches("440106199001011234", "1235")


def test_the_desk_sees_the_id_without_its_last_four() -> None:
    assert masked_id_for_check("4401**********1234") == "4401**************"


def test_a_lock_holds_until_it_ends() -> None:
    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    check_not_locked(None, now)
    check_not_locked(now - timedelta(seconds=1), now)
    with pytest.raises(RuleViolation):
        check_not_locked(now + timedelta(minutes=1), now)


@given(st.integers(1, 10**7), st.integers(1, 10**7))
def test_the_offset_never_exceeds_the_face_value_or_the_fee(face: int, fee: int) -> None:
    offset = offset_for(face, fee)
    assert offset <= face and offset <= fee and offset in (face, fee)
