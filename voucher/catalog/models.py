"""Attachment 5 of the notice: occupations and special abilities, and the city's standards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.db import Base, UTCDateTime, utcnow


class CatalogueEntry(Base):
    """One row of attachment 5; ``seq`` is its position there (the serials repeat)."""

    __tablename__ = "catalogue_entry"
    __table_args__ = (UniqueConstraint("code", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    serial: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(64))
    certificate_type: Mapped[str] = mapped_column(String(20))
    edition_2022: Mapped[bool] = mapped_column(Boolean, default=False)

    standards: Mapped[list[SubsidyStandard]] = relationship(
        back_populates="entry", order_by="SubsidyStandard.level.desc()"
    )


class SubsidyStandard(Base):
    """The city's subsidy standard for one entry and certificate level, in fen."""

    __tablename__ = "subsidy_standard"
    __table_args__ = (UniqueConstraint("entry_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entry.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    entry: Mapped[CatalogueEntry] = relationship(back_populates="standards")
