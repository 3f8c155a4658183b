"""Review of submitted claims: district check line by line, finance approval, payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.models import AuditEvent
from voucher.audit.services import record
from voucher.core.clock import business_today
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, ValidationFailed
from voucher.settlement import rules
from voucher.settlement.models import Claim, ClaimLine, ClaimPayment, ClaimStatus, LineDecision

STATUS_LABELS = {
    ClaimStatus.DRAFT: _l("草稿"),
    ClaimStatus.SUBMITTED: _l("已提交，待初审"),
    ClaimStatus.CHECKED: _l("已初审，待财务审批"),
    ClaimStatus.APPROVED: _l("已审批，待支付"),
    ClaimStatus.PAID: _l("已支付"),
}
DECISION_LABELS = {
    LineDecision.PENDING: _l("待审核"),
    LineDecision.APPROVED: _l("通过"),
    LineDecision.REDUCED: _l("核减"),
    LineDecision.REJECTED: _l("不予通过"),
}
ACTION_LABELS = {
    "claim.created": _l("创建申领草稿"),
    "claim.generated": _l("系统生成申领明细"),
    "claim.line_added": _l("加入申领明细"),
    "claim.line_removed": _l("移出申领明细"),
    "claim.details_updated": _l("填写单位与评价机构信息"),
    "claim.submitted": _l("接受诚信承诺并提交"),
    "claim.line_decided": _l("逐条审核"),
    "claim.checked": _l("区人社局初审完成"),
    "claim.approved": _l("财务审批通过"),
    "claim.paid": _l("记录支付"),
}


def _stage(actor: Actor, claim: Claim) -> str:
    """Which review step the actor may take on the claim now: 'check' or 'approve'."""
    if claim.status == ClaimStatus.SUBMITTED and (
        actor.is_system or actor.role in (Role.DISTRICT, Role.FINANCE)
    ):
        return "check"
    if claim.status == ClaimStatus.CHECKED and (actor.is_system or actor.role is Role.FINANCE):
        return "approve"
    raise Conflict(
        _l("该申领当前状态（%(s)s）不能进行此项审核", s=STATUS_LABELS.get(claim.status)),
        code="claim_state",
    )


def decide_line(
    actor: Actor,
    claim_id: int,
    line_id: int,
    *,
    decision: str,
    approved_fen: int | None = None,
    reason: str = "",
) -> ClaimLine:
    """Approve, reduce or reject one line (with a reason for reduce/reject)."""
    actor.require(Role.DISTRICT, Role.FINANCE)
    with unit_of_work() as session:
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        stage = _stage(actor, claim)
        if stage == "approve":
            rules.check_not_own_check(claim.checked_by, actor.user_id)
        line = session.get(ClaimLine, line_id)
        if line is None or line.claim_id != claim.id:
            raise ValidationFailed(_l("该明细不在这份申领中"), code="line_unknown")
        amount = rules.check_decision(decision, line.amount_fen, approved_fen, reason)
        line.decision, line.approved_fen, line.reason = decision, amount, reason.strip()
        record(
            actor,
            "claim.line_decided",
            "claim",
            claim.id,
            {
                "line_id": line.id,
                "stage": stage,
                "decision": decision,
                "approved_fen": amount,
                "reason": line.reason,
            },
        )
    return line


def complete_check(actor: Actor, claim_id: int) -> Claim:
    """Finish the first review: undecided lines pass in full; the claim goes to finance."""
    actor.require(Role.DISTRICT, Role.FINANCE)
    with unit_of_work():
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        if _stage(actor, claim) != "check":
            raise Conflict(_l("该申领不在初审阶段"), code="claim_state")
        for line in claim.lines:
            if line.decision == LineDecision.PENDING:
                line.decision, line.approved_fen = LineDecision.APPROVED, line.amount_fen
        claim.status = ClaimStatus.CHECKED
        claim.checked_by, claim.checked_at = actor.user_id, utcnow()
        checked = sum(line.approved_fen or 0 for line in claim.lines)
        record(actor, "claim.checked", "claim", claim.id, {"checked_fen": checked})
    return claim


def approve_claim(actor: Actor, claim_id: int) -> Claim:
    """Finance approves the checked claim; the approver cannot be who checked it."""
    actor.require(Role.FINANCE)
    with unit_of_work():
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        if _stage(actor, claim) != "approve":
            raise Conflict(_l("该申领不在审批阶段"), code="claim_state")
        rules.check_not_own_check(claim.checked_by, actor.user_id)
        claim.approved_fen = sum(line.approved_fen or 0 for line in claim.lines)
        claim.approved_by, claim.approved_at = actor.user_id, utcnow()
        claim.status = ClaimStatus.APPROVED
        record(
            actor,
            "claim.approved",
            "claim",
            claim.id,
            {"approved_fen": claim.approved_fen, "claimed_fen": claim.total_fen},
        )
    return claim


def record_payment(
    actor: Actor, claim_id: int, *, paid_on: date | None, bank_reference: str, amount_fen: int
) -> ClaimPayment:
    """Record a payment to the unit; the sum paid never exceeds the approved amount."""
    actor.require(Role.FINANCE)
    with unit_of_work() as session:
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        if claim.status not in (ClaimStatus.APPROVED, ClaimStatus.PAID):
            raise Conflict(_l("申领尚未审批通过，不能支付"), code="claim_not_approved")
        if paid_on is None:
            raise ValidationFailed(
                _l("请填写支付日期"), code="paid_on_missing", errors={"paid_on": _l("请填写")}
            )
        if paid_on > business_today():
            raise ValidationFailed(
                _l("支付日期不能晚于今天"),
                code="paid_on_future",
                errors={"paid_on": _l("支付日期不能晚于今天")},
            )
        rules.check_payment(amount_fen, claim.paid_fen, claim.approved_fen or 0, bank_reference)
        payment = ClaimPayment(
            claim_id=claim.id,
            paid_on=paid_on,
            bank_reference=bank_reference.strip(),
            amount_fen=amount_fen,
            recorded_by=actor.user_id,
        )
        session.add(payment)
        claim.paid_fen += amount_fen
        if claim.paid_fen == claim.approved_fen:
            claim.status = ClaimStatus.PAID
        session.flush()
        record(
            actor,
            "claim.paid",
            "claim",
            claim.id,
            {
                "payment_id": payment.id,
                "amount_fen": amount_fen,
                "paid_on": paid_on.isoformat(),
                "bank_reference": payment.bank_reference,
            },
        )
    return payment


@dataclass(frozen=True)
class TimelineEntry:
    """One status change of a claim, as the unit sees it."""

    at: datetime
    action: str
    label: str
    actor: str
    data: dict[str, Any]


def timeline(actor: Actor, claim_id: int) -> list[TimelineEntry]:
    """Every recorded change of the claim, oldest first (from the audit log)."""
    claim = get_visible(Claim, claim_id, actor)
    events = db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.object_type == "claim", AuditEvent.object_id == str(claim.id))
        .order_by(AuditEvent.id)
    ).scalars()
    return [
        TimelineEntry(e.at, e.action, str(ACTION_LABELS.get(e.action, e.action)), e.actor, e.data)
        for e in events
    ]


def get_claim(actor: Actor, claim_id: int) -> Claim:
    """One claim the actor may see."""
    return get_visible(Claim, claim_id, actor)


@dataclass(frozen=True)
class LineView:
    """A claim line with its trainee (masked), occupation and certificate."""

    line: ClaimLine
    person: str
    id_masked: str
    occupation: str
    certificate: str


def line_views(actor: Actor, claim_id: int) -> list[LineView]:
    """The lines of a claim the actor may see, trainees masked."""
    from voucher.catalog.models import CatalogueEntry
    from voucher.core.pii import mask_name
    from voucher.issuance.models import Person, Voucher
    from voucher.redemption.models import Redemption
    from voucher.settlement.models import AssessmentResult

    claim = get_visible(Claim, claim_id, actor)
    rows = db.session.execute(
        select(ClaimLine, Person, CatalogueEntry.name, AssessmentResult)
        .join(Redemption, Redemption.id == ClaimLine.redemption_id)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .join(Person, Person.id == Voucher.person_id)
        .join(CatalogueEntry, CatalogueEntry.id == Voucher.entry_id)
        .outerjoin(AssessmentResult, AssessmentResult.redemption_id == ClaimLine.redemption_id)
        .where(ClaimLine.claim_id == claim.id)
        .order_by(ClaimLine.id)
    ).all()
    out = []
    for line, person, occupation, result in rows:
        certificate = ""
        if result is not None and result.certificate_no:
            kind = rules.CERTIFICATE_LABELS.get(result.certificate_type, "")
            certificate = f"{kind} {result.certificate_no}（{result.issued_on}）"
        out.append(
            LineView(line, mask_name(person.name), person.id_masked, occupation, certificate)
        )
    return out
