"""Redemptions: one per voucher, enforced by a unique constraint."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.accounts.access import Actor
from voucher.db import Base, UTCDateTime, utcnow
from voucher.issuance.models import Voucher
from voucher.units.models import TrainingUnit, unit_scope


class Redemption(Base):
    """A voucher used at a unit: offset = min(face value, fee); the trainee pays the rest."""

    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("offset_fen >= 0 AND offset_fen <= fee_fen", name="offset_within_fee"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    fee_fen: Mapped[int] = mapped_column(Integer)
    offset_fen: Mapped[int] = mapped_column(Integer)
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redeemed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    voucher: Mapped[Voucher] = relationship()
    unit: Mapped[TrainingUnit] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all; a district its units'; an operator their unit's."""
        return unit_scope(cls.unit_id, actor)
