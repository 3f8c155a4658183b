"""Classes (开班备案), redemptions, change requests, identity-check counters, idempotency keys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.accounts.access import Actor
from voucher.db import Base, UTCDateTime, utcnow
from voucher.issuance.models import Voucher
from voucher.units.models import AcceptedOccupation, TrainingUnit, unit_scope


class ClassMode:
    """How a class is taught; online and mixed classes also file platform, courses and hours."""

    OFFLINE = "offline"
    ONLINE = "online"
    MIXED = "mixed"
    ALL = (OFFLINE, ONLINE, MIXED)


class TrainingClass(Base):
    """A class filed (开班备案) by a unit for one of its accepted occupations."""

    __tablename__ = "training_class"
    __table_args__ = (
        CheckConstraint("fee_fen > 0", name="fee_positive"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint("mode IN ('offline', 'online', 'mixed')", name="mode_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("accepted_occupation.id"), index=True)
    #: Copied from the accepted occupation (None for a market-needed occupation).
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(Text)
    teachers: Mapped[str] = mapped_column(Text)
    fee_fen: Mapped[int] = mapped_column(Integer)
    site: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(10), default=ClassMode.OFFLINE)
    platform: Mapped[str] = mapped_column(String(200), default="")
    courses: Mapped[str] = mapped_column(Text, default="")
    online_hours: Mapped[int | None] = mapped_column(Integer)
    filed_on: Mapped[date] = mapped_column(Date)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    unit: Mapped[TrainingUnit] = relationship()
    occupation: Mapped[AcceptedOccupation] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all; a district its units'; an operator their unit's."""
        return unit_scope(cls.unit_id, actor)

    @property
    def occupation_name(self) -> str:
        occupation = self.occupation
        return occupation.entry.name if occupation.entry is not None else occupation.name


class RedemptionStatus:
    """A redemption is active until voided (the voucher then returns to issued)."""

    ACTIVE = "active"
    VOIDED = "voided"


class Redemption(Base):
    """A voucher used at a unit: offset = min(face value, fee); the trainee pays the rest.

    At most one ACTIVE redemption per voucher (a partial unique index); a voided one stays as
    history and the voucher may be redeemed again.
    """

    __tablename__ = "redemption"
    __table_args__ = (
        CheckConstraint("offset_fen >= 0 AND offset_fen <= fee_fen", name="offset_within_fee"),
        Index(
            "uq_redemption_active_voucher",
            "voucher_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("training_class.id"), index=True)
    fee_fen: Mapped[int] = mapped_column(Integer)
    offset_fen: Mapped[int] = mapped_column(Integer)
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    redeemed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(
        String(10), default=RedemptionStatus.ACTIVE, server_default=RedemptionStatus.ACTIVE
    )
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    void_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    voucher: Mapped[Voucher] = relationship()
    unit: Mapped[TrainingUnit] = relationship()
    training_class: Mapped[TrainingClass | None] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all; a district its units'; an operator their unit's."""
        return unit_scope(cls.unit_id, actor)


class ChangeKind:
    """What a change request after the roster locked asks for."""

    DETAILS = "details"
    VOID = "void"


class ChangeStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ClassChangeRequest(Base):
    """A change to a class whose roster has locked: the district officer approves or rejects."""

    __tablename__ = "class_change_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    #: For a void: the redemption to void; for details: None.
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemption.id"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ChangeStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    training_class: Mapped[TrainingClass] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        return unit_scope(cls.unit_id, actor)


class IdCheckCounter(Base):
    """Wrong ID-card characters typed at the desk for one voucher; too many lock it a while."""

    __tablename__ = "id_check_counter"

    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The first answer to an API request made with an ``Idempotency-Key``, per user."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
