"""Settlement: assessment results and certificates, subsidy claims and their lines, payments,
and trainees' "I did not attend" flags."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.catalog.models import CatalogueEntry
from voucher.db import Base, UTCDateTime, utcnow
from voucher.redemption.models import Redemption
from voucher.units.models import TrainingUnit, unit_scope


class CertificateType:
    """Certificates that qualify a trainee for the subsidy (附件4 第5项)."""

    TRAINING = "training"  # 培训合格证书
    SKILL = "skill"  # 职业技能等级证书, levels 5 → 1
    SPECIAL = "special"  # 专项能力证书


class AssessmentResult(Base):
    """The assessment outcome of one redeemed trainee, with the certificate if they passed."""

    __tablename__ = "assessment_result"
    __table_args__ = (
        CheckConstraint(
            "certificate_type IN ('', 'training', 'skill', 'special')", name="certificate_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("catalogue_entry.id"))
    passed: Mapped[bool] = mapped_column(Boolean)
    certificate_type: Mapped[str] = mapped_column(String(10), default="", server_default="")
    #: "5".."1" for a skill-level certificate, "special" for special ability, "" otherwise.
    level: Mapped[str] = mapped_column(String(8), default="", server_default="")
    certificate_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    issued_on: Mapped[date | None] = mapped_column(Date)
    cert_year: Mapped[int | None] = mapped_column(Integer)
    assessment_body: Mapped[str] = mapped_column(String(120), default="", server_default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    redemption: Mapped[Redemption] = relationship()
    entry: Mapped[CatalogueEntry] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """As its unit: city and finance all, a district its units', an operator their own."""
        return unit_scope(cls.unit_id, actor)


class ClaimStatus:
    """Claim lifecycle: draft → submitted → checked (district) → approved (finance) → paid."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHECKED = "checked"
    APPROVED = "approved"
    PAID = "paid"


class LineDecision:
    """A reviewer's decision on one line."""

    PENDING = "pending"
    APPROVED = "approved"
    REDUCED = "reduced"
    REJECTED = "rejected"


class Claim(Base):
    """A unit's collective subsidy claim for its vouchers (附件4 第9项)."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.DRAFT)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Unit information the claim carries (contact, bank account) and the assessment body's.
    unit_details: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_details: Mapped[str] = mapped_column(Text, default="", server_default="")
    pledge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pledge_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_fen: Mapped[int | None] = mapped_column(Integer)
    paid_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    lines: Mapped[list[ClaimLine]] = relationship(back_populates="claim", order_by="ClaimLine.id")
    unit: Mapped[TrainingUnit] = relationship()
    payments: Mapped[list[ClaimPayment]] = relationship(
        back_populates="claim", order_by="ClaimPayment.id"
    )

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City and finance see all claims; a district its units'; an operator their unit's."""
        return unit_scope(cls.unit_id, actor)


class ClaimLine(Base):
    """One redeemed voucher on a claim: the subsidy asked for it and what review decided."""

    __tablename__ = "claim_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemption.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    # Copies of the redemption's result, holder and occupation, taken by the same statement
    # that writes the line, so the set-based rules (once per person and level, yearly limit)
    # read one table. No foreign keys: redemption_id's key already ties the line to them, a
    # per-row key check here tripled the cost of generation, and `voucher settlement check`
    # verifies the copies still match.
    result_id: Mapped[int | None] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8), default="", server_default="")
    cert_year: Mapped[int | None] = mapped_column(Integer)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offset_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    standard_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: What the unit owes the trainee back: max(0, amount − offset) (DESIGN §3).
    refund_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    decision: Mapped[str] = mapped_column(
        String(10), default=LineDecision.PENDING, server_default=LineDecision.PENDING
    )
    approved_fen: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    claim: Mapped[Claim] = relationship(back_populates="lines")
    redemption: Mapped[Redemption] = relationship()


class ClaimPayment(Base):
    """A payment of an approved claim to the unit (date, bank reference, amount)."""

    __tablename__ = "claim_payment"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    bank_reference: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    claim: Mapped[Claim] = relationship(back_populates="payments")


class AttendanceFlag(Base):
    """A trainee says they did not attend the training a unit claimed for (我没有参加培训)."""

    __tablename__ = "attendance_flag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("claim_line.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    line: Mapped[ClaimLine] = relationship()
    unit: Mapped[TrainingUnit] = relationship()

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """District officers (their units'), city and finance; never the unit flagged."""
        if actor.role is Role.UNIT:
            return false()
        return unit_scope(cls.unit_id, actor)
