"""Catalogue rules (pure): certificate types, levels, and what a standard may be."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from voucher.errors import ValidationFailed

SKILL_LEVEL = "技能等级证书"
SPECIAL_ABILITY = "专项能力证书"
CERTIFICATE_TYPES = (SKILL_LEVEL, SPECIAL_ABILITY)

#: Skill levels 5 (初级工) to 1 (高级技师); "special" for a special-ability certificate.
SKILL_LEVELS = ("5", "4", "3", "2", "1")
SPECIAL = "special"
LEVEL_LABELS = {
    "5": _l("五级/初级工"),
    "4": _l("四级/中级工"),
    "3": _l("三级/高级工"),
    "2": _l("二级/技师"),
    "1": _l("一级/高级技师"),
    SPECIAL: _l("专项能力"),
}
_LEVEL_ALIASES = {
    "五级": "5",
    "四级": "4",
    "三级": "3",
    "二级": "2",
    "一级": "1",
    "初级工": "5",
    "中级工": "4",
    "高级工": "3",
    "技师": "2",
    "高级技师": "1",
    "专项能力": SPECIAL,
    "专项": SPECIAL,
}
MAX_STANDARD_FEN = 10_000_00  # 10,000 yuan: a typing guard, not a policy figure


def levels_for(certificate_type: str) -> tuple[str, ...]:
    """The levels a standard may be set for, by the entry's certificate type."""
    return SKILL_LEVELS if certificate_type == SKILL_LEVEL else (SPECIAL,)


def normalise_level(value: str, certificate_type: str) -> str:
    """Map '3', '三级', '高级工', '专项能力'… to a level key valid for the certificate type."""
    text = str(value).strip()
    if text.endswith("级") and text[:-1].isdigit():
        text = text[:-1]
    level = text if text in LEVEL_LABELS else _LEVEL_ALIASES.get(text)
    if level is None:  # the label the export writes, e.g. "五级/初级工"
        level = next((key for key, label in LEVEL_LABELS.items() if str(label) == text), None)
    if level is None:
        raise ValidationFailed(_l("未知的证书等级：%(v)s", v=value), code="level_unknown")
    if level not in levels_for(certificate_type):
        raise ValidationFailed(
            _l("%(t)s不设该等级：%(v)s", t=certificate_type, v=value), code="level_invalid"
        )
    return level


def check_standard(amount_fen: int) -> None:
    """A standard is a positive amount below the typing guard."""
    if amount_fen <= 0 or amount_fen > MAX_STANDARD_FEN:
        raise ValidationFailed(
            _l("补贴标准应大于 0 且不超过 10000 元"), code="standard_out_of_range"
        )
