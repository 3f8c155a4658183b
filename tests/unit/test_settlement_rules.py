"""Settlement rules without a database: certificates, the money of a line, review, payment."""

from __future__ import annotations

from datetime import date

import pytest

from voucher.errors import Conflict, RuleViolation, ValidationFailed
from voucher.settlement import rules


def test_certificate_types_read_from_chinese_names():
    assert rules.certificate_type_of("培训合格证书") == "training"
    assert rules.certificate_type_of("职业技能等级证书") == "skill"
    assert rules.certificate_type_of("专项能力") == "special"
    with pytest.raises(ValidationFailed) as refused:
        rules.certificate_type_of("毕业证")
    assert "未知的证书类型" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "level"), [("四级", "4"), ("4", "4"), ("4级", "4"), ("高级技师", "1"), ("初级工", "5")]
)
def test_skill_levels_read_in_every_usual_form(text, level):
    assert rules.level_of("skill", text) == level


def test_a_skill_certificate_needs_its_level_and_the_others_have_none():
    with pytest.raises(ValidationFailed):
        rules.level_of("skill", "")
    assert rules.level_of("training", "四级") == ""
    assert rules.level_of("special", "") == "special"


def test_a_certificate_must_name_the_vouchers_occupation():
    common = {
        "entry_code": "4-10-01-05",
        "entry_name": "养老护理员",
        "entry_certificate_type": "技能等级证书",
    }
    rules.check_occupation_matches(
        certificate_type="training", stated_occupation="养老护理员", **common
    )
    rules.check_occupation_matches(
        certificate_type="skill", stated_occupation="4-10-01-05", **common
    )
    with pytest.raises(RuleViolation) as refused:
        rules.check_occupation_matches(
            certificate_type="training", stated_occupation="家政服务员", **common
        )
    assert refused.value.code == "certificate_other_occupation"


def test_a_certificate_date_lies_between_training_and_today():
    ok = {
        "certificate_no": "A1",
        "body": "鉴定中心",
        "today": date(2027, 6, 1),
        "redeemed_on": date(2027, 3, 1),
    }
    rules.check_certificate_fields(issued_on=date(2027, 5, 1), **ok)
    for day, code in (
        (date(2027, 6, 2), "issued_on_future"),
        (date(2027, 2, 1), "issued_on_before_training"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            rules.check_certificate_fields(issued_on=day, **ok)
        assert refused.value.code == code


def test_the_line_pays_the_standard_never_more_than_the_fee_and_refunds_the_excess():
    # training-qualified: the project's standard, capped at 800 yuan
    money = rules.line_money(
        certificate_type="training",
        project_fen=90_000,
        catalogue_fen=200_000,
        fee_fen=150_000,
        offset_fen=50_000,
    )
    assert (money.standard_fen, money.amount_fen, money.refund_fen) == (80_000, 80_000, 30_000)
    # a listed level with a higher catalogue standard: that standard, up to the fee
    money = rules.line_money(
        certificate_type="skill",
        project_fen=80_000,
        catalogue_fen=200_000,
        fee_fen=150_000,
        offset_fen=80_000,
    )
    assert (money.standard_fen, money.amount_fen, money.refund_fen) == (200_000, 150_000, 70_000)
    # the unit bears a shortfall: the trainee is never charged afterwards
    money = rules.line_money(
        certificate_type="skill",
        project_fen=60_000,
        catalogue_fen=None,
        fee_fen=100_000,
        offset_fen=80_000,
    )
    assert (money.amount_fen, money.refund_fen) == (60_000, 0)


def test_the_claim_window_is_twelve_calendar_months():
    assert rules.window_cutoff(date(2027, 6, 15)) == date(2026, 6, 15)
    assert rules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


def test_review_decisions_need_reasons_and_sensible_amounts():
    assert rules.check_decision("approved", 80_000, None, "") == 80_000
    assert rules.check_decision("rejected", 80_000, None, "未参训") == 0
    assert rules.check_decision("reduced", 80_000, 50_000, "缺课") == 50_000
    for args in (
        ("rejected", 80_000, None, ""),
        ("reduced", 80_000, 90_000, "x"),
        ("maybe", 1, 1, "x"),
    ):
        with pytest.raises(ValidationFailed):
            rules.check_decision(*args)


def test_the_approver_is_not_the_checker():
    rules.check_not_own_check(1, 2)
    with pytest.raises(RuleViolation) as refused:
        rules.check_not_own_check(7, 7)
    assert "不能审批自己初审" in str(refused.value)


def test_payments_never_exceed_the_approved_amount():
    rules.check_payment(50_000, 80_000, 130_000, "CMB1")
    with pytest.raises(Conflict) as refused:
        rules.check_payment(50_001, 80_000, 130_000, "CMB1")
    assert "超过审批金额" in str(refused.value)
    with pytest.raises(ValidationFailed):
        rules.check_payment(1, 0, 10, " ")
