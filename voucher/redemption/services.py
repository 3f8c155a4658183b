"""Redemption use cases (foundation slice: verify and redeem once against the fee)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.db import unit_of_work
from voucher.errors import Conflict
from voucher.issuance.models import Voucher, VoucherStatus
from voucher.issuance.services import resolve_voucher
from voucher.redemption.models import Redemption
from voucher.redemption.rules import check_fee, check_scope, offset_for
from voucher.units.models import AcceptedOccupation, TrainingUnit

STATUS_MESSAGES = {
    VoucherStatus.REDEEMED: _l("这张培训券已经核销过"),
    VoucherStatus.EXPIRED: _l("这张培训券已过期"),
    VoucherStatus.REVOKED: _l("这张培训券已被撤销"),
}


def redeem(actor: Actor, token_text: str, *, fee_fen: int) -> Redemption:
    """Redeem a scanned voucher at the actor's unit, exactly once (conditional update)."""
    actor.require(Role.UNIT)
    check_fee(fee_fen)
    with unit_of_work() as session:
        _claims, voucher = resolve_voucher(token_text)
        unit = get_visible(TrainingUnit, actor.unit_id, actor)
        accepted = session.execute(
            select(AcceptedOccupation.id).where(
                AcceptedOccupation.unit_id == unit.id,
                AcceptedOccupation.entry_id == voucher.entry_id,
            )
        ).first()
        check_scope(
            voucher_unit_id=voucher.unit_id,
            unit_id=unit.id,
            unit_can_redeem=unit.can_redeem,
            occupation_accepted=accepted is not None,
        )
        changed = session.execute(
            update(Voucher)
            .where(Voucher.id == voucher.id, Voucher.status == VoucherStatus.ISSUED)
            .values(status=VoucherStatus.REDEEMED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            current = session.execute(
                select(Voucher.status).where(Voucher.id == voucher.id)
            ).scalar_one()
            raise Conflict(
                STATUS_MESSAGES.get(current, _l("这张培训券当前不能核销")),
                code=f"voucher_{current}",
            )
        redemption = Redemption(
            voucher_id=voucher.id,
            unit_id=unit.id,
            fee_fen=fee_fen,
            offset_fen=offset_for(voucher.amount_fen, fee_fen),
            redeemed_by=actor.user_id,
        )
        session.add(redemption)
        session.flush()
        record(
            actor,
            "voucher.redeemed",
            "voucher",
            voucher.id,
            {"redemption_id": redemption.id, "unit_id": unit.id, "fee_fen": fee_fen},
        )
    return redemption
