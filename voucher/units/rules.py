"""Training-unit rules (pure)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from voucher.errors import RuleViolation
from voucher.policy import POLICY


def check_project_standard(standard_fen: int, catalogue_standard_fen: int | None) -> None:
    """A project's per-person standard is at most 800 yuan unless the catalogue's is higher."""
    ceiling = max(POLICY.project_standard_cap_fen, catalogue_standard_fen or 0)
    if standard_fen <= 0 or standard_fen > ceiling:
        raise RuleViolation(
            _l("每人补贴标准应大于 0 且不超过 %(y)s 元", y=ceiling // 100),
            code="standard_over_cap",
        )


def check_headcount(headcount: int) -> None:
    """A planned headcount is a positive whole number."""
    if headcount <= 0:
        raise RuleViolation(_l("计划培训人数必须大于 0"), code="headcount_invalid")
