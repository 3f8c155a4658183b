"""Account rules (pure): who may be bound to what, and what a password must be."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from voucher.accounts.roles import Role
from voucher.core.districts import district_code
from voucher.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 10


def check_password_strength(password: str) -> None:
    """Refuse short or one-kind passwords."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l("密码至少需要 %(n)s 个字符", n=MIN_PASSWORD_LENGTH), code="password_weak"
        )
    kinds = sum(
        [
            any(c.isdigit() for c in password),
            any(c.isalpha() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 2:
        raise ValidationFailed(_l("密码需包含字母、数字或符号中的至少两类"), code="password_weak")


def check_binding(role: Role, district: str | None, unit_id: int | None) -> str | None:
    """Validate a role's binding; return the normalised district code."""
    if role is Role.DISTRICT:
        code = district_code(district or "")
        if code is None:
            raise ValidationFailed(
                _l("区人社局经办人必须绑定广州市的一个区"), code="district_required"
            )
        if unit_id is not None:
            raise ValidationFailed(_l("区人社局经办人不能绑定培训机构"), code="binding_invalid")
        return code
    if district:
        raise ValidationFailed(_l("只有区人社局经办人可以绑定区"), code="binding_invalid")
    if role is Role.UNIT and unit_id is None:
        raise ValidationFailed(_l("培训机构操作员必须绑定一个培训机构"), code="unit_required")
    if role is not Role.UNIT and unit_id is not None:
        raise ValidationFailed(_l("只有培训机构操作员可以绑定培训机构"), code="binding_invalid")
    return None
