"""People, signing keys and vouchers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
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
    # Residence basis (notice §二): hukou / social_insurance / unemployment, with its evidence.
    residence_basis: Mapped[str | None] = mapped_column(String(20))
    residence_source: Mapped[str] = mapped_column(String(64), default="", server_default="")
    residence_reference: Mapped[str] = mapped_column(String(64), default="", server_default="")
    residence_date: Mapped[date | None] = mapped_column(Date)
    # Exclusions (notice §二).
    establishment_staff: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    full_time_student: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pensioner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    groups: Mapped[list[PersonGroup]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonGroup.id"
    )

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City officers manage people; units see holders only through their vouchers."""
        return None if actor.role is Role.CITY else false()


class PersonGroup(Base):
    """A target-group membership with its evidence (source, reference, date)."""

    __tablename__ = "person_group"
    __table_args__ = (UniqueConstraint("person_id", "group"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64), default="")
    reference: Mapped[str] = mapped_column(String(64), default="")
    evidence_date: Mapped[date | None] = mapped_column(Date)
    graduation_year: Mapped[int | None] = mapped_column(Integer)
    release_date: Mapped[date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="groups")


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
    quota_id: Mapped[int | None] = mapped_column(ForeignKey("quota.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("issuance_batch.id"), index=True)
    level: Mapped[str | None] = mapped_column(String(8))
    status_reason: Mapped[str | None] = mapped_column(String(200))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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


class Quota(Base):
    """Vouchers the city plans for one occupation: face value, target groups, window, plan.

    ``unit_id`` set: 定向 (bound to that accepted unit); None: 通用 (any accepted unit for the
    occupation). ``issued`` moves only by a conditional UPDATE that keeps it within ``planned``.
    """

    __tablename__ = "quota"
    __table_args__ = (
        CheckConstraint("issued <= planned", name="issued_within_plan"),
        CheckConstraint("issued >= 0", name="issued_not_negative"),
        CheckConstraint("planned > 0", name="planned_positive"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("valid_until >= valid_from", name="window_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entry.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("training_unit.id"), index=True)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[str | None] = mapped_column(String(8))
    amount_fen: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    voucher_days: Mapped[int] = mapped_column(Integer)
    planned: Mapped[int] = mapped_column(Integer)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    entry: Mapped[CatalogueEntry] = relationship()
    unit: Mapped[TrainingUnit | None] = relationship()

    @property
    def remaining(self) -> int:
        """Vouchers still to issue."""
        return self.planned - self.issued

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City officers manage quotas; others see none through the officer pages."""
        return None if actor.role is Role.CITY else false()


class BatchStatus:
    """Bulk issuance lifecycle."""

    PENDING = "pending"
    CHECKING = "checking"
    WRITING = "writing"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"
    RUNNING = (PENDING, CHECKING, WRITING)


class IssuanceBatch(Base):
    """One uploaded list for one quota; the same file (SHA-256) never issues twice."""

    __tablename__ = "issuance_batch"
    __table_args__ = (UniqueConstraint("quota_id", "file_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quota_id: Mapped[int] = mapped_column(ForeignKey("quota.id"), index=True)
    file_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default=BatchStatus.PENDING)
    total: Mapped[int] = mapped_column(Integer, default=0)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    quota: Mapped[Quota] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City officers only."""
        return None if actor.role is Role.CITY else false()


class BatchError(Base):
    """One refused row of a batch and the rule it broke."""

    __tablename__ = "issuance_batch_error"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("issuance_batch.id", ondelete="CASCADE"), index=True
    )
    row: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
