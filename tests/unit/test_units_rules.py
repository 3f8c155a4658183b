"""Rules of the 揭榜领题 process (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from voucher.errors import RuleViolation
from voucher.units.rules import (
    DEFAULT_CRITERIA,
    can_remove,
    check_criteria,
    check_deadline,
    check_form,
    check_score,
    weighted_score,
)


def test_a_submission_on_the_deadline_is_in_time_and_the_day_after_is_refused_with_the_date():
    check_deadline(date(2026, 8, 10), date(2026, 8, 10), who="培训机构")
    with pytest.raises(RuleViolation, match="2026-08-10") as refused:
        check_deadline(date(2026, 8, 11), date(2026, 8, 10), who="培训机构")
    assert refused.value.code == "deadline_passed"


def test_mixed_training_needs_an_online_share_between_1_and_99_percent():
    check_form("mixed", 30)
    check_form("offline", 0)
    for percent in (0, 100):
        with pytest.raises(RuleViolation):
            check_form("mixed", percent)
    with pytest.raises(RuleViolation):
        check_form("hybrid", 50)


def test_the_default_criteria_are_valid_and_bad_weights_are_refused():
    check_criteria(DEFAULT_CRITERIA)
    with pytest.raises(RuleViolation):
        check_criteria([{"key": "a", "weight": 60}, {"key": "b", "weight": 30}])
    with pytest.raises(RuleViolation):
        check_criteria([{"key": "a", "weight": 50}, {"key": "a", "weight": 50}])
    with pytest.raises(RuleViolation):
        check_criteria([])


def test_the_weighted_score_averages_complete_sheets_only():
    criteria = [{"key": "a", "weight": 60}, {"key": "b", "weight": 40}]
    scores = [
        ("甲", "a", 90),
        ("甲", "b", 80),  # 54 + 32 = 86
        ("乙", "a", 70),
        ("乙", "b", 60),  # 42 + 24 = 66
        ("丙", "a", 100),  # incomplete: not counted
    ]
    assert weighted_score(criteria, scores) == 76.0
    assert weighted_score(criteria, [("丙", "a", 100)]) is None


@pytest.mark.parametrize("score", [-1, 101])
def test_a_score_lies_between_0_and_100(score):
    with pytest.raises(RuleViolation):
        check_score(score)


def test_removal_needs_an_uncorrected_warning_past_its_deadline():
    today = date(2026, 11, 24)
    assert not can_remove([], today)
    assert not can_remove([(date(2026, 11, 30), False)], today)  # deadline not reached
    assert not can_remove([(date(2026, 11, 1), True)], today)  # corrected
    assert can_remove([(date(2026, 11, 1), True), (date(2026, 11, 20), False)], today)


def test_every_criterion_needs_a_name():
    with pytest.raises(RuleViolation):
        check_criteria([{"key": "a", "label": " ", "weight": 100}])
