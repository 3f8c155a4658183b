"""Settlement rules (pure): certificates, the subsidy of one line, review decisions, payment."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from voucher.catalog.rules import SKILL_LEVEL, SKILL_LEVELS, SPECIAL, SPECIAL_ABILITY
from voucher.errors import Conflict, RuleViolation, ValidationFailed
from voucher.policy import POLICY

TRAINING, SKILL, SPECIAL_CERT = "training", "skill", "special"
CERTIFICATE_LABELS = {
    TRAINING: _l("培训合格证书"),
    SKILL: _l("职业技能等级证书"),
    SPECIAL_CERT: _l("专项能力证书"),
}
_CERTIFICATE_ALIASES = {
    "培训合格证书": TRAINING,
    "培训合格": TRAINING,
    "职业技能等级证书": SKILL,
    "技能等级证书": SKILL,
    "专项能力证书": SPECIAL_CERT,
    "专项能力": SPECIAL_CERT,
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
}
MAX_CERTIFICATE_NO = 40
MAX_BODY = 120

#: Why a redeemed voucher is not on the proposed claim (codes the claim query produces).
EXCLUSION_REASONS = {
    "already_claimed": _l("已在补贴申领中"),
    "voided": _l("核销已撤销"),
    "unit_removed": _l("培训机构已退出揭榜名单"),
    "no_result": _l("未录入考核结果"),
    "failed": _l("考核不合格"),
    "no_certificate": _l("未取得证书"),
    "window_passed": _l("证书发证已超过 %(m)s 个月申领期限", m=POLICY.claim_window_months),
    "no_standard": _l("该职业（工种）没有适用的补贴标准"),
    "same_level_before": _l("同一职业（工种）同一等级已享受过补贴"),
    "yearly_limit": _l("本人本年度享受项目制培训补贴已达上限"),
}


def certificate_type_of(text: str) -> str:
    """'培训合格证书' / 'training' … → the certificate type key."""
    value = str(text or "").strip()
    if value in CERTIFICATE_LABELS:
        return value
    key = _CERTIFICATE_ALIASES.get(value)
    if key is None:
        raise ValidationFailed(
            _l("未知的证书类型：%(v)s（应为培训合格证书、职业技能等级证书或专项能力证书）", v=text),
            code="certificate_type_unknown",
            errors={"certificate_type": _l("请选择证书类型")},
        )
    return key


def level_of(certificate_type: str, text: str) -> str:
    """The level key of a certificate: '5'..'1' for skill level, 'special', or ''."""
    if certificate_type == TRAINING:
        return ""
    if certificate_type == SPECIAL_CERT:
        return SPECIAL
    value = str(text or "").strip()
    if value.endswith("级") and value[:-1].isdigit():
        value = value[:-1]
    level = value if value in SKILL_LEVELS else _LEVEL_ALIASES.get(value)
    if level is None:
        raise ValidationFailed(
            _l("职业技能等级证书须注明等级（五级至一级）"),
            code="level_invalid",
            errors={"level": _l("请选择等级")},
        )
    return level


def check_occupation_matches(
    *,
    certificate_type: str,
    stated_occupation: str,
    entry_code: str,
    entry_name: str,
    entry_certificate_type: str,
) -> None:
    """A certificate belongs to the voucher's occupation: same code or name, matching kind."""
    stated = str(stated_occupation or "").strip()
    names = {entry_name.strip()}
    if entry_code and entry_code.strip() not in {"", "/"}:
        names.add(entry_code.strip())
    if stated not in names:
        raise RuleViolation(
            _l(
                "证书的职业（工种）“%(s)s”与培训券的职业（工种）“%(n)s”不一致",
                s=stated or "—",
                n=entry_name,
            ),
            code="certificate_other_occupation",
            errors={"occupation": _l("证书须属于培训券对应的职业（工种）")},
        )
    if certificate_type == SKILL and entry_certificate_type != SKILL_LEVEL:
        raise RuleViolation(
            _l("该职业（工种）不颁发职业技能等级证书"), code="certificate_kind_mismatch"
        )
    if certificate_type == SPECIAL_CERT and entry_certificate_type != SPECIAL_ABILITY:
        raise RuleViolation(
            _l("该职业（工种）不颁发专项能力证书"), code="certificate_kind_mismatch"
        )


def check_certificate_fields(
    *, certificate_no: str, issued_on: date | None, body: str, today: date, redeemed_on: date
) -> None:
    """A passed trainee's certificate: number, issue date (not future, not before training),
    assessment body."""
    if not certificate_no or len(certificate_no) > MAX_CERTIFICATE_NO:
        raise ValidationFailed(
            _l("请填写证书编号（不超过 40 个字符）"),
            code="certificate_no_invalid",
            errors={"certificate_no": _l("请填写证书编号")},
        )
    if issued_on is None:
        raise ValidationFailed(
            _l("请填写发证日期"), code="issued_on_missing", errors={"issued_on": _l("请填写")}
        )
    if issued_on > today:
        raise ValidationFailed(
            _l("发证日期不能晚于今天"),
            code="issued_on_future",
            errors={"issued_on": _l("发证日期不能晚于今天")},
        )
    if issued_on < redeemed_on:
        raise ValidationFailed(
            _l("发证日期不能早于培训券核销日期"),
            code="issued_on_before_training",
            errors={"issued_on": _l("发证日期不能早于核销日期")},
        )
    if not body or len(body) > MAX_BODY:
        raise ValidationFailed(
            _l("请填写评价（考核）机构（不超过 120 个字符）"),
            code="body_invalid",
            errors={"assessment_body": _l("请填写评价机构")},
        )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (clamped to the month's end)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_cutoff(today: date, months: int = POLICY.claim_window_months) -> date:
    """Certificates issued on or after this date are still claimable today."""
    return add_months(today, -months)


@dataclass(frozen=True)
class LineMoney:
    """The money of one claim line (fen)."""

    standard_fen: int
    amount_fen: int
    refund_fen: int


def applicable_standard(certificate_type: str, project_fen: int, catalogue_fen: int | None) -> int:
    """The project's standard (capped at 800 yuan); a listed level's catalogue standard where
    higher."""
    project = min(project_fen, POLICY.project_standard_cap_fen)
    if certificate_type != TRAINING and catalogue_fen is not None and catalogue_fen > project:
        return catalogue_fen
    return project


def line_money(
    *,
    certificate_type: str,
    project_fen: int,
    catalogue_fen: int | None,
    fee_fen: int,
    offset_fen: int,
) -> LineMoney:
    """S = min(standard, fee); the trainee gets back max(0, S − offset)."""
    standard = applicable_standard(certificate_type, project_fen, catalogue_fen)
    amount = line_amount(standard, fee_fen)
    return LineMoney(standard, amount, max(0, amount - offset_fen))


def line_amount(standard_fen: int, fee_fen: int) -> int:
    """A claim line asks the applicable standard, never more than the trainee's fee."""
    return min(standard_fen, fee_fen)


def check_decision(decision: str, amount_fen: int, approved_fen: int | None, reason: str) -> int:
    """A reviewer's decision on a line → the approved amount; reduce/reject need a reason."""
    reason = (reason or "").strip()
    if decision == "approved":
        return amount_fen
    if decision == "rejected":
        if not reason:
            raise ValidationFailed(
                _l("不予通过须填写原因"), code="reason_missing", errors={"reason": _l("请填写")}
            )
        return 0
    if decision == "reduced":
        if not reason:
            raise ValidationFailed(
                _l("核减须填写原因"), code="reason_missing", errors={"reason": _l("请填写")}
            )
        if approved_fen is None or approved_fen <= 0 or approved_fen >= amount_fen:
            raise ValidationFailed(
                _l("核减后的金额须大于 0 且小于申领金额"),
                code="reduced_amount_invalid",
                errors={"approved": _l("金额不正确")},
            )
        return approved_fen
    raise ValidationFailed(_l("未知的审核结论"), code="decision_unknown")


def check_not_own_check(checked_by: int | None, approver: int | None) -> None:
    """The approver is not the person who checked (四眼原则)."""
    if checked_by is not None and checked_by == approver:
        raise RuleViolation(_l("审核人不能审批自己初审的申领"), code="approve_own_check")


def check_payment(amount_fen: int, paid_fen: int, approved_fen: int, reference: str) -> None:
    """A payment is positive, has a bank reference, and never exceeds what is approved."""
    if amount_fen <= 0:
        raise ValidationFailed(_l("支付金额必须大于 0"), code="amount_invalid")
    if not reference.strip() or len(reference.strip()) > 64:
        raise ValidationFailed(
            _l("请填写银行流水号（不超过 64 个字符）"),
            code="bank_reference_invalid",
            errors={"bank_reference": _l("请填写")},
        )
    if paid_fen + amount_fen > approved_fen:
        raise Conflict(
            _l(
                "支付金额超过审批金额：已批准 %(a)s 元，已支付 %(p)s 元",
                a=f"{approved_fen / 100:.2f}",
                p=f"{paid_fen / 100:.2f}",
            ),
            code="overpayment",
        )
