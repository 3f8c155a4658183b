"""Settlement demo data: results for unit2's redeemed trainees and one submitted claim, so the
running instance shows a recorded certificate and a claim waiting for review.

unit2 (越秀区) only: unit1 stays free for walking a claim through by hand (and in tests). Does
nothing when there is no redemption yet; safe to run again.
"""

from __future__ import annotations

from sqlalchemy import select

from voucher.accounts.models import User
from voucher.accounts.services import actor_for
from voucher.core.clock import business_today, to_business_time
from voucher.db import db
from voucher.errors import DomainError
from voucher.redemption.models import Redemption
from voucher.settlement.claims import draft_of, generate_claims, submit_claim
from voucher.settlement.models import AssessmentResult
from voucher.settlement.results import ResultInput, record_result

DEMO_UNIT = "unit2"


def load_settlement_demo() -> None:
    """Record a passed result for each of unit2's redeemed trainees, then claim and submit."""
    user = db.session.execute(select(User).where(User.username == DEMO_UNIT)).scalar_one_or_none()
    if user is None or user.unit_id is None:
        return
    actor = actor_for(user)
    pending = db.session.execute(
        select(Redemption)
        .outerjoin(AssessmentResult, AssessmentResult.redemption_id == Redemption.id)
        .where(Redemption.unit_id == user.unit_id, AssessmentResult.id.is_(None))
        .order_by(Redemption.id)
    ).scalars()
    for redemption in list(pending):
        if getattr(redemption, "status", "active") != "active":
            continue
        redeemed_on = to_business_time(redemption.redeemed_at).date()
        try:
            record_result(
                actor,
                redemption.id,
                ResultInput(
                    passed=True,
                    occupation=redemption.voucher.entry.name,
                    certificate_type="培训合格证书",
                    certificate_no=f"DEMO-GZ-{redemption.id:06d}",
                    issued_on=max(redeemed_on, business_today()),
                    assessment_body="广州市职业技能鉴定指导中心（演示）",
                ),
            )
        except DomainError:
            continue  # e.g. a certificate kind the occupation does not issue: leave it
    generate_claims(actor)
    draft = draft_of(actor)
    if draft is not None and draft.lines:
        submit_claim(
            actor,
            draft.id,
            pledge=True,
            unit_details="联系人 赵老师 13800000020；收款账户 中国银行越秀支行（演示）",
            body_details="广州市职业技能鉴定指导中心（演示）",
        )
