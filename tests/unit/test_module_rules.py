"""The pure rules of each module, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.accounts.roles import Role
from voucher.accounts.rules import check_binding, check_password_strength
from voucher.audit.rules import GENESIS, canonical_event, link_hash
from voucher.catalog.rules import SPECIAL, check_standard, normalise_level
from voucher.core.districts import district_code, district_name
from voucher.errors import RuleViolation, ValidationFailed
from voucher.redemption.rules import check_fee, check_scope, offset_for
from voucher.settlement.rules import line_amount
from voucher.units.rules import check_headcount, check_project_standard


@pytest.mark.parametrize(
    ("text", "level"),
    [("3", "3"), ("三级", "3"), ("高级工", "3"), ("五级", "5"), ("高级技师", "1"), ("1级", "1")],
)
def test_skill_levels_are_read_in_the_ways_officers_write_them(text, level):
    assert normalise_level(text, "技能等级证书") == level


def test_a_special_ability_certificate_has_only_the_special_level():
    assert normalise_level("专项能力", "专项能力证书") == SPECIAL
    with pytest.raises(ValidationFailed) as refused:
        normalise_level("3", "专项能力证书")
    assert refused.value.code == "level_invalid"


def test_an_unknown_level_is_named_in_the_refusal():
    with pytest.raises(ValidationFailed, match="六级"):
        normalise_level("六级", "技能等级证书")


@pytest.mark.parametrize("amount", [0, -1, 1_000_001])
def test_a_standard_must_be_positive_and_plausible(amount):
    with pytest.raises(ValidationFailed):
        check_standard(amount)


def test_a_project_standard_is_capped_at_800_yuan_unless_the_catalogue_is_higher():
    check_project_standard(80_000, None)
    with pytest.raises(RuleViolation, match="800"):
        check_project_standard(80_001, None)
    check_project_standard(150_000, 150_000)
    with pytest.raises(RuleViolation, match="1500"):
        check_project_standard(150_001, 150_000)


@pytest.mark.parametrize("headcount", [0, -3])
def test_a_planned_headcount_must_be_positive(headcount):
    with pytest.raises(RuleViolation):
        check_headcount(headcount)


def test_a_district_officer_is_bound_to_a_guangzhou_district_and_luogang_means_huangpu():
    assert check_binding(Role.DISTRICT, "天河", None) == "440106"
    assert check_binding(Role.DISTRICT, "萝岗区", None) == "440112"
    with pytest.raises(ValidationFailed):
        check_binding(Role.DISTRICT, "朝阳区", None)
    with pytest.raises(ValidationFailed):
        check_binding(Role.UNIT, None, None)
    with pytest.raises(ValidationFailed):
        check_binding(Role.CITY, "天河区", None)
    with pytest.raises(ValidationFailed):
        check_binding(Role.FINANCE, None, 3)


def test_district_names_and_codes_map_both_ways():
    assert district_code("440106") == "440106"
    assert district_code("增城") == "440118"
    assert district_code("nowhere") is None
    assert district_name("440113") == "番禺区"


@pytest.mark.parametrize("password", ["short1!", "onlyletterslong", "1234567890123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationFailed):
        check_password_strength(password)


@given(st.integers(1, 10**7), st.integers(1, 10**7))
def test_the_offset_never_exceeds_the_fee_or_the_face_value(face, fee):
    offset = offset_for(face, fee)
    assert offset <= fee and offset <= face and offset in (face, fee)


@given(st.integers(1, 10**7), st.integers(1, 10**7))
def test_a_claim_line_never_exceeds_the_trainees_fee(standard, fee):
    assert line_amount(standard, fee) <= fee


def test_redemption_scope_names_each_reason():
    def refused(**kwargs):
        args = {
            "voucher_unit_id": None,
            "unit_id": 1,
            "unit_can_redeem": True,
            "occupation_accepted": True,
        }
        with pytest.raises(RuleViolation) as exc:
            check_scope(**(args | kwargs))
        return exc.value.code

    assert refused(unit_can_redeem=False) == "unit_not_accepted"
    assert refused(voucher_unit_id=2) == "voucher_other_unit"
    assert refused(occupation_accepted=False) == "occupation_not_accepted"
    check_scope(voucher_unit_id=1, unit_id=1, unit_can_redeem=True, occupation_accepted=True)
    with pytest.raises(RuleViolation):
        check_fee(0)


def _event(**changes):
    fields = {
        "event_id": 7,
        "at": datetime(2026, 11, 24, 8, 0, 0, 123456, tzinfo=UTC),
        "actor_id": 1,
        "actor": "city",
        "action": "voucher.issued",
        "object_type": "voucher",
        "object_id": "9",
        "data": {"b": 1, "a": "张"},
    }
    return canonical_event(**(fields | changes))


def test_every_column_of_an_event_changes_its_link_hash():
    base = link_hash(GENESIS, _event())
    for change in [
        {"event_id": 8},
        {"at": datetime(2026, 11, 24, 8, 0, 0, 123457, tzinfo=UTC)},
        {"actor_id": 2},
        {"actor": "mallory"},
        {"action": "voucher.revoked"},
        {"object_type": "claim"},
        {"object_id": "10"},
        {"data": {"b": 2, "a": "张"}},
    ]:
        assert link_hash(GENESIS, _event(**change)) != base, change
    assert link_hash("f" * 64, _event()) != base


def test_the_canonical_form_does_not_depend_on_key_order():
    assert _event(data={"a": "张", "b": 1}) == _event(data={"b": 1, "a": "张"})


def test_a_frozen_business_day_applies_inside_the_block_only():
    from datetime import date

    from voucher.core.clock import business_today, frozen_today

    real = business_today()
    with frozen_today(date(2027, 8, 11)):
        assert business_today() == date(2027, 8, 11)
    assert business_today() == real
