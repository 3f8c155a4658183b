"""Eligibility rules: age on the date, residence, target groups, exclusions, per-person limits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.issuance.rules import (
    Decision,
    GroupFact,
    HeldVoucher,
    PersonFacts,
    QuotaFacts,
    add_months,
    check_eligibility,
    check_name,
    check_phone,
    check_quota_plan,
    quota_face_ceiling,
)

QUOTA = QuotaFacts(entry_id=7, groups=frozenset({"unemployed", "graduate"}), level=None)
ON = date(2026, 6, 1)


def person(**changes) -> PersonFacts:
    base = {
        "birth_date": date(1990, 3, 15),
        "sex": "M",
        "residence_basis": "hukou",
        "residence_date": date(2020, 1, 1),
        "groups": (GroupFact("unemployed", date(2026, 1, 5)),),
    }
    return PersonFacts(**(base | changes))


def birthday(birth: date, years: int) -> date:
    """The day ``birth`` turns ``years`` (29 Feb → 1 Mar in common years)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


def test_an_eligible_person_passes_every_rule():
    decision = check_eligibility(person(), ON, QUOTA)
    assert decision.eligible
    assert decision.failures == ()


def test_every_failing_rule_is_reported_not_just_the_first():
    decision = check_eligibility(
        person(
            birth_date=date(2015, 1, 1),
            residence_basis=None,
            groups=(),
            establishment_staff=True,
            full_time_student=True,
            pensioner=True,
        ),
        ON,
        QUOTA,
    )
    assert decision.codes == [
        "age_too_young",
        "residence_missing",
        "not_in_target_group",
        "excluded_establishment",
        "excluded_student",
        "excluded_pensioner",
    ]
    assert all(f.message for f in decision.failures)
    assert "未满 16 周岁" in decision.summary()


@given(
    birth=st.dates(min_value=date(1940, 1, 1), max_value=date(2010, 12, 31)),
    sex=st.sampled_from(["M", "F"]),
)
def test_the_oldest_eligible_day_is_the_day_before_the_birthday_after_the_limit(birth, sex):
    limit = 60 if sex == "M" else 55
    last_birthday = birthday(birth, limit + 1)
    p = person(birth_date=birth, sex=sex)
    assert "age_too_old" not in check_eligibility(p, last_birthday - timedelta(days=1), QUOTA).codes
    assert "age_too_old" in check_eligibility(p, last_birthday, QUOTA).codes


@given(birth=st.dates(min_value=date(1990, 1, 1), max_value=date(2012, 12, 31)))
def test_a_person_becomes_eligible_on_their_sixteenth_birthday(birth):
    sixteen = birthday(birth, 16)
    p = person(birth_date=birth)
    assert "age_too_young" in check_eligibility(p, sixteen - timedelta(days=1), QUOTA).codes
    assert "age_too_young" not in check_eligibility(p, sixteen, QUOTA).codes


def test_someone_born_on_29_february_turns_sixteen_on_1_march_in_a_common_year():
    p = person(birth_date=date(2008, 2, 29))
    assert "age_too_young" in check_eligibility(p, date(2024, 2, 28), QUOTA).codes
    assert "age_too_young" not in check_eligibility(p, date(2024, 2, 29), QUOTA).codes
    p = person(birth_date=date(2004, 2, 29))  # 2020 leap: turns 16 on 29 Feb 2020
    assert "age_too_young" not in check_eligibility(p, date(2020, 2, 29), QUOTA).codes
    old = person(birth_date=date(1964, 2, 29))  # turns 61 on 1 Mar 2025
    assert "age_too_old" not in check_eligibility(old, date(2025, 2, 28), QUOTA).codes
    assert "age_too_old" in check_eligibility(old, date(2025, 3, 1), QUOTA).codes


def test_a_woman_over_55_is_refused_where_a_man_of_the_same_age_is_not():
    birth = date(1968, 1, 1)  # 58 on ON
    assert "age_too_old" in check_eligibility(person(birth_date=birth, sex="F"), ON, QUOTA).codes
    assert check_eligibility(person(birth_date=birth, sex="M"), ON, QUOTA).eligible


def test_a_graduate_counts_only_from_1_january_to_31_december_of_the_graduation_year():
    grad = person(groups=(GroupFact("graduate", None, graduation_year=2026),))
    assert check_eligibility(grad, date(2026, 1, 1), QUOTA).eligible
    assert check_eligibility(grad, date(2026, 12, 31), QUOTA).eligible
    assert not check_eligibility(grad, date(2025, 12, 31), QUOTA).eligible
    assert check_eligibility(grad, date(2027, 1, 1), QUOTA).codes == ["not_in_target_group"]


def test_a_released_prisoner_counts_for_24_months_after_release():
    quota = QuotaFacts(7, frozenset({"released"}))
    p = person(groups=(GroupFact("released", None, release_date=date(2024, 8, 31)),))
    assert check_eligibility(p, date(2026, 8, 30), quota).eligible
    assert check_eligibility(p, date(2026, 8, 31), quota).codes == ["not_in_target_group"]
    assert check_eligibility(p, date(2024, 8, 30), quota).codes == ["not_in_target_group"]


def test_membership_of_a_group_the_quota_does_not_target_does_not_count():
    p = person(groups=(GroupFact("veteran", date(2020, 1, 1)),))
    assert check_eligibility(p, ON, QUOTA).codes == ["not_in_target_group"]
    assert check_eligibility(p, ON, QuotaFacts(7, frozenset({"veteran"}))).eligible


def test_evidence_dated_after_the_issue_date_does_not_count():
    p = person(groups=(GroupFact("unemployed", date(2026, 7, 1)),))
    assert check_eligibility(p, ON, QUOTA).codes == ["not_in_target_group"]
    p = person(residence_date=date(2026, 7, 1))
    assert check_eligibility(p, ON, QUOTA).codes == ["residence_not_yet"]


def test_a_full_time_student_in_the_graduation_year_is_not_excluded():
    p = person(full_time_student=True, groups=(GroupFact("graduate", None, graduation_year=2026),))
    assert check_eligibility(p, ON, QUOTA).eligible
    assert "excluded_student" in check_eligibility(p, date(2025, 6, 1), QUOTA).codes


def test_one_active_voucher_per_occupation():
    held = (HeldVoucher(7, None, "issued", date(2025, 5, 1)),)
    assert "voucher_already_held" in check_eligibility(person(held=held), ON, QUOTA).codes
    other = (HeldVoucher(8, None, "revoked", date(2026, 5, 1)),)
    assert check_eligibility(person(held=other), ON, QUOTA).eligible


def test_one_project_subsidy_per_calendar_year():
    held = (HeldVoucher(8, None, "redeemed", date(2026, 2, 1)),)
    assert check_eligibility(person(held=held), ON, QUOTA).codes == ["yearly_limit"]
    last_year = (HeldVoucher(8, None, "redeemed", date(2025, 12, 31)),)
    assert check_eligibility(person(held=last_year), ON, QUOTA).eligible
    expired = (HeldVoucher(8, None, "expired", date(2026, 2, 1)),)
    assert check_eligibility(person(held=expired), ON, QUOTA).eligible


def test_the_same_occupation_and_level_only_once():
    quota = QuotaFacts(7, frozenset({"unemployed"}), level="4")
    held = (HeldVoucher(7, "4", "redeemed", date(2024, 2, 1)),)
    assert check_eligibility(person(held=held), ON, quota).codes == ["same_occupation_level"]
    other_level = (HeldVoucher(7, "5", "redeemed", date(2024, 2, 1)),)
    assert check_eligibility(person(held=other_level), ON, quota).eligible


def test_a_decision_without_failures_is_eligible():
    assert Decision().eligible


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
        (date(2024, 8, 31), 24, date(2026, 8, 31)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
    ],
)
def test_months_are_added_clamped_to_the_month_end(start, months, end):
    assert add_months(start, months) == end


def test_quota_plans_never_exceed_the_accepted_headcount():
    assert check_quota_plan(40, 60, 100) is None
    failure = check_quota_plan(41, 60, 100)
    assert failure is not None
    assert failure.code == "plan_over_headcount"
    assert "40" in failure.message
    assert check_quota_plan(0, 0, 100).code == "planned_invalid"


def test_face_value_ceiling_is_800_yuan_unless_the_catalogue_level_is_higher():
    assert quota_face_ceiling(None) == 80_000
    assert quota_face_ceiling(50_000) == 80_000
    assert quota_face_ceiling(150_000) == 150_000


@pytest.mark.parametrize(
    ("text", "ok"),
    [("陈小明", "陈小明"), (" 陈 小明 ", "陈小明"), ("", None), ("陈1", None), ("x" * 65, None)],
)
def test_names_are_cleaned_or_refused(text, ok):
    assert check_name(text) == ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("13800000001", "13800000001"),
        ("+86 138-0000-0001", "13800000001"),
        ("23800000001", None),
        ("1380000000", None),
    ],
)
def test_phones_are_cleaned_or_refused(text, ok):
    assert check_phone(text) == ok
