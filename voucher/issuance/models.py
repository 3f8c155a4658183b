"""People, signing keys and vouchers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.catalog.models import CatalogueEntry
from voucher.db import Base, UTCDateTime, utcnow
from voucher.units.models import TrainingUnit


class Person(Base):
    """A trainee. The ID number is stored encrypted, found by keyed hash, shown masked."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City officers manage people; units see holders only through their vouchers."""
        return None if actor.role is Role.CITY else false()


class KeyState:
    """Signing key lifecycle."""

    ACTIVE = "active"
    RETIRED = "retired"
    REVOKED = "revoked"


class SigningKey(Base):
    """An Ed25519 public key with its state; the private key lives outside the database."""

    __tablename__ = "signing_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    state: Mapped[str] = mapped_column(String(10), default=KeyState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VoucherStatus:
    """Voucher lifecycle: issued → redeemed / expired / revoked."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Voucher(Base):
    """A signed training voucher held by one person for one occupation."""

    __tablename__ = "voucher"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('issued', 'redeemed', 'expired', 'revoked')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    human_code: Mapped[str] = mapped_column(String(13), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kid: Mapped[str] = mapped_column(ForeignKey("signing_key.kid"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entry.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("training_unit.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=VoucherStatus.ISSUED)
    token: Mapped[str] = mapped_column(String(256))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    person: Mapped[Person] = relationship()
    entry: Mapped[CatalogueEntry] = relationship()
    unit: Mapped[TrainingUnit | None] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all vouchers; a unit those bound to it; districts none directly."""
        if actor.role in (Role.CITY, Role.FINANCE):
            return None
        if actor.role is Role.UNIT:
            return cls.unit_id == actor.unit_id
        return false()
