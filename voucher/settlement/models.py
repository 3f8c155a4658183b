"""Subsidy claims per unit and their lines (one line per redemption at most)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.accounts.access import Actor
from voucher.db import Base, UTCDateTime, utcnow
from voucher.redemption.models import Redemption
from voucher.units.models import TrainingUnit, unit_scope


class ClaimStatus:
    """Claim lifecycle (the later steps come with the settlement issue)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class Claim(Base):
    """A unit's collective subsidy claim for its vouchers (附件4 第9项)."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.DRAFT)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[ClaimLine]] = relationship(back_populates="claim", order_by="ClaimLine.id")
    unit: Mapped[TrainingUnit] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all claims; a district its units'; an operator their unit's."""
        return unit_scope(cls.unit_id, actor)


class ClaimLine(Base):
    """One redeemed voucher on a claim: the subsidy asked for it, in fen."""

    __tablename__ = "claim_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)

    claim: Mapped[Claim] = relationship(back_populates="lines")
    redemption: Mapped[Redemption] = relationship()
