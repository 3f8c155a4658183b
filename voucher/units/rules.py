"""Training-unit rules (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

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


# ---- Attachment 1 vocabularies -------------------------------------------------------------

#: 单位性质 as listed on attachment 1.
NATURES = (
    "链主企业",
    "龙头企业",
    "人社部门批复的培训机构",
    "人力资源公司",
    "技工院校",
    "职业院校",
    "行业协会",
    "其他",
)

#: The four project categories of notice §三.
CATEGORIES = {
    "emerging": _l("新职业、数字技能等新兴职业（工种）或培训项目"),
    "industry": _l("重点产业链及战略性、重点、支柱、特色产业领域急需职业（工种）或培训项目"),
    "programme": _l("“粤菜师傅”“南粤家政”“乡村工匠”“农村电商”等重大工程领域职业（工种）或培训项目"),
    "public": _l("面向失业人员、高校毕业生、退役军人等重点群体的公益性职业技能培训项目"),
}

#: 培训形式: offline, online, or mixed with an online share.
FORMS = {"offline": _l("全线下"), "online": _l("全线上"), "mixed": _l("线上+线下")}

#: 师资 kinds of attachment 1 (per occupation).
TEACHER_KINDS = {
    "total": _l("总人数"),
    "title": _l("职称类"),
    "skill_cert": _l("技能证书类"),
    "master": _l("技能大师、特级技师类"),
    "assessor": _l("职业技能等级认定考评人员类"),
    "other": _l("其他"),
}

DEFAULT_CRITERIA = [
    {"key": "foundation", "label": "单位基础与资质", "weight": 20},
    {"key": "plan", "label": "培训计划与内容", "weight": 25},
    {"key": "resources", "label": "师资与场地设备", "weight": 25},
    {"key": "employment", "label": "需求分析与就业指导", "weight": 20},
    {"key": "budget", "label": "经费预算合理性", "weight": 10},
]


def check_deadline(today: date, deadline: date, *, who: str) -> None:
    """Refuse a submission after the round's deadline, naming the date."""
    if today > deadline:
        raise RuleViolation(
            _l("%(who)s截止日期为 %(d)s，已过期，不能再提交", who=who, d=deadline.isoformat()),
            code="deadline_passed",
        )


def check_form(form: str, online_percent: int) -> None:
    """Mixed training states its online share (1–99 %); pure forms have 0 or 100."""
    if form not in FORMS:
        raise RuleViolation(_l("未知的培训形式"), code="form_unknown")
    if form == "mixed" and not 0 < online_percent < 100:
        raise RuleViolation(
            _l("线上+线下培训须填写线上比例（1–99%）"), code="online_percent_invalid"
        )


def weighted_score(
    criteria: Sequence[Mapping[str, Any]], scores: Iterable[tuple[str, str, int]]
) -> float | None:
    """Average over reviewers of Σ score × weight / 100; None until someone scored every criterion.

    ``scores`` are (reviewer, criterion, score 0–100). Only complete score sheets count.
    """
    weights = {c["key"]: c["weight"] for c in criteria}
    sheets: dict[str, dict[str, int]] = {}
    for reviewer, criterion, score in scores:
        sheets.setdefault(reviewer, {})[criterion] = score
    totals = [
        sum(sheet[k] * w for k, w in weights.items()) / 100
        for sheet in sheets.values()
        if set(weights) <= set(sheet)
    ]
    return round(sum(totals) / len(totals), 2) if totals else None


def check_criteria(criteria: Sequence[Mapping[str, Any]]) -> None:
    """Scoring criteria have distinct keys and positive weights adding up to 100."""
    keys = [c.get("key") for c in criteria]
    if not criteria or len(set(keys)) != len(keys):
        raise RuleViolation(_l("评分项不能为空且不能重复"), code="criteria_invalid")
    if any(not str(c.get("label", "")).strip() for c in criteria):
        raise RuleViolation(_l("每个评分项都要有名称"), code="criteria_invalid")
    weights = [c.get("weight", 0) for c in criteria]
    if any(not isinstance(w, int) or w <= 0 for w in weights) or sum(weights) != 100:
        raise RuleViolation(_l("评分项权重须为正整数且合计为 100"), code="criteria_invalid")


def check_score(score: int) -> None:
    """A score lies between 0 and 100."""
    if not 0 <= score <= 100:
        raise RuleViolation(_l("分数须在 0 到 100 之间"), code="score_invalid")


def can_remove(warnings: Iterable[tuple[date, bool]], today: date) -> bool:
    """Removal follows a warning whose correction deadline passed uncorrected (§七(三)).

    ``warnings`` are (deadline, corrected) pairs.
    """
    return any(not corrected and deadline < today for deadline, corrected in warnings)
