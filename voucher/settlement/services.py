"""Settlement use cases (foundation slice: put a redemption on the unit's draft claim)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.db import unit_of_work
from voucher.errors import Conflict
from voucher.redemption.models import Redemption
from voucher.settlement.models import Claim, ClaimLine, ClaimStatus
from voucher.settlement.rules import line_amount
from voucher.units.models import AcceptedOccupation


def add_to_draft_claim(actor: Actor, redemption_id: int) -> ClaimLine:
    """Add a redemption to its unit's draft claim (created on first use)."""
    actor.require(Role.UNIT)
    with unit_of_work() as session:
        redemption = get_visible(Redemption, redemption_id, actor)
        existing = session.execute(
            select(Claim.status)
            .join(ClaimLine, ClaimLine.claim_id == Claim.id)
            .where(ClaimLine.redemption_id == redemption.id)
        ).scalar()
        if existing == ClaimStatus.PAID:
            raise Conflict(_l("该培训券的补贴已支付，不能再申领"), code="already_paid")
        if existing is not None:
            raise Conflict(_l("该核销记录已在补贴申领中"), code="already_claimed")
        standard = session.execute(
            select(AcceptedOccupation.standard_fen).where(
                AcceptedOccupation.unit_id == redemption.unit_id,
                AcceptedOccupation.entry_id == redemption.voucher.entry_id,
            )
        ).scalar_one()
        claim = session.execute(
            select(Claim)
            .where(Claim.unit_id == redemption.unit_id, Claim.status == ClaimStatus.DRAFT)
            .with_for_update()
        ).scalar_one_or_none()
        if claim is None:
            claim = Claim(unit_id=redemption.unit_id)
            session.add(claim)
            session.flush()
            record(actor, "claim.created", "claim", claim.id, {"unit_id": claim.unit_id})
        line = ClaimLine(
            claim_id=claim.id,
            redemption_id=redemption.id,
            amount_fen=line_amount(standard, redemption.fee_fen),
            person_id=redemption.voucher.person_id,
            entry_id=redemption.voucher.entry_id,
            fee_fen=redemption.fee_fen,
            offset_fen=redemption.offset_fen,
            standard_fen=standard,
        )
        line.refund_fen = max(0, line.amount_fen - redemption.offset_fen)
        session.add(line)
        claim.total_fen += line.amount_fen
        session.flush()
        record(
            actor,
            "claim.line_added",
            "claim",
            claim.id,
            {"redemption_id": redemption.id, "amount_fen": line.amount_fen},
        )
    return line
