"""Redemption rules (pure)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from voucher.errors import RuleViolation


def offset_for(face_value_fen: int, fee_fen: int) -> int:
    """The voucher offsets min(face value, fee); the trainee pays the rest."""
    return min(face_value_fen, fee_fen)


def check_scope(
    *,
    voucher_unit_id: int | None,
    unit_id: int,
    unit_can_redeem: bool,
    occupation_accepted: bool,
) -> None:
    """A unit redeems only while accepted, for its accepted occupations, and only the
    定向 vouchers bound to it."""
    if not unit_can_redeem:
        raise RuleViolation(
            _l("本机构不在揭榜单位名单内，不能核销培训券"), code="unit_not_accepted"
        )
    if voucher_unit_id is not None and voucher_unit_id != unit_id:
        raise RuleViolation(_l("这张培训券只能在指定的培训机构使用"), code="voucher_other_unit")
    if not occupation_accepted:
        raise RuleViolation(
            _l("本机构未承接这张培训券对应的职业（工种）"), code="occupation_not_accepted"
        )


def check_fee(fee_fen: int) -> None:
    """A class fee is a positive amount."""
    if fee_fen <= 0:
        raise RuleViolation(_l("培训费用必须大于 0"), code="fee_invalid")
