"""Training units and the accepted list (揭榜单位名单) that issuance and redemption rely on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.catalog.models import CatalogueEntry
from voucher.db import Base, UTCDateTime, utcnow


class UnitStatus:
    """Lifecycle of a training unit on the accepted list."""

    REGISTERED = "registered"
    ACCEPTED = "accepted"
    WARNED = "warned"
    REMOVED = "removed"


class TrainingUnit(Base):
    """A training unit (承训单位), located in one district."""

    __tablename__ = "training_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(16), default=UnitStatus.REGISTERED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occupations: Mapped[list[AcceptedOccupation]] = relationship(back_populates="unit")

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all units; a district its own; an operator their unit."""
        if actor.role in (Role.CITY, Role.FINANCE):
            return None
        if actor.role is Role.DISTRICT:
            return cls.district == actor.district
        if actor.role is Role.UNIT:
            return cls.id == actor.unit_id
        return false()

    @property
    def can_redeem(self) -> bool:
        """Only a unit on the accepted list (accepted, or warned but not removed) redeems."""
        return self.status in (UnitStatus.ACCEPTED, UnitStatus.WARNED)


class AcceptedOccupation(Base):
    """One occupation a unit was accepted for: headcount and per-person standard (fen)."""

    __tablename__ = "accepted_occupation"
    __table_args__ = (UniqueConstraint("unit_id", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entry.id"), index=True)
    headcount: Mapped[int] = mapped_column(Integer)
    standard_fen: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[TrainingUnit] = relationship(back_populates="occupations")
    entry: Mapped[CatalogueEntry] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """Visible as its unit is; everyone signed in may read the accepted list itself."""
        return None if actor.role is not None else true()


def unit_scope(
    unit_id: Mapped[int] | Mapped[int | None], actor: Actor
) -> ColumnElement[bool] | None:
    """The scope of rows that belong to a unit: all for city and finance, a district's units,
    an operator's own unit."""
    if actor.role in (Role.CITY, Role.FINANCE):
        return None
    if actor.role is Role.UNIT:
        return unit_id == actor.unit_id
    if actor.role is Role.DISTRICT:
        return unit_id.in_(select(TrainingUnit.id).where(TrainingUnit.district == actor.district))
    return false()
