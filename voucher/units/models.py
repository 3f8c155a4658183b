"""Training units and the accepted list (揭榜单位名单) that issuance and redemption rely on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
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

    # Attachment 1, part 1 (申报主体单位基本情况); filled in by the unit itself.
    nature: Mapped[str] = mapped_column(String(32), default="")
    main_field: Mapped[str] = mapped_column(String(200), default="")
    founded_year: Mapped[int | None] = mapped_column(Integer)
    registered_capital_fen: Mapped[int | None] = mapped_column(BigInteger)
    legal_rep_name: Mapped[str] = mapped_column(String(64), default="")
    legal_rep_title: Mapped[str] = mapped_column(String(64), default="")
    legal_rep_mobile: Mapped[str] = mapped_column(String(20), default="")
    legal_rep_email: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_title: Mapped[str] = mapped_column(String(64), default="")
    contact_mobile: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    own_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_url: Mapped[str] = mapped_column(String(200), default="")
    has_violation: Mapped[bool] = mapped_column(Boolean, default=False)
    violation_note: Mapped[str] = mapped_column(Text, default="")
    staff_total: Mapped[int | None] = mapped_column(Integer)
    staff_teachers: Mapped[int | None] = mapped_column(Integer)
    staff_academic: Mapped[int | None] = mapped_column(Integer)
    staff_other: Mapped[int | None] = mapped_column(Integer)
    introduction: Mapped[str] = mapped_column(Text, default="")

    occupations: Mapped[list[AcceptedOccupation]] = relationship(back_populates="unit")
    finances: Mapped[list[UnitFinance]] = relationship(
        back_populates="unit", order_by="UnitFinance.year", cascade="all, delete-orphan"
    )

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
    #: None for a market-needed occupation outside the catalogue (notice §七(一)).
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    headcount: Mapped[int] = mapped_column(Integer)
    standard_fen: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The application occupation the acceptance came from (None for a direct acceptance).
    application_occupation_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_occupation.id")
    )

    unit: Mapped[TrainingUnit] = relationship(back_populates="occupations")
    entry: Mapped[CatalogueEntry | None] = relationship()

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


class UnitFinance(Base):
    """Attachment 1 财务状况: a year's revenue and tax, in fen."""

    __tablename__ = "unit_finance"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    tax_fen: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[TrainingUnit] = relationship(back_populates="finances")


class ReviewRound(Base):
    """One solicitation round (征集批次) with its deadlines, notice period and scoring criteria."""

    __tablename__ = "review_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    year: Mapped[int] = mapped_column(Integer)
    unit_deadline: Mapped[date] = mapped_column(Date)
    district_deadline: Mapped[date] = mapped_column(Date)
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    #: [{"key": "quality", "label": "培训质量", "weight": 30}, …]; weights add up to 100.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApplicationStatus:
    """Lifecycle of a project application (notice §四)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # to the district
    RETURNED = "returned"  # by the district, with reasons; editable again
    DISTRICT_PASSED = "district_passed"  # in the district's summary to the city
    APPROVED = "approved"  # collective decision: accept (before the public notice)
    REJECTED = "rejected"  # collective decision: reject, with reasons
    IN_NOTICE = "in_notice"  # 公示
    ACCEPTED = "accepted"  # filed with the province: the unit is on the accepted list

    EDITABLE = (DRAFT, RETURNED)


class Application(Base):
    """A project application (附件1 parts 2–3) of one unit in one round."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    category: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    districts_served: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_analysis: Mapped[str] = mapped_column(Text, default="")
    employment_plan: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.DRAFT, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    district_reason: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_start: Mapped[date | None] = mapped_column(Date)
    notice_end: Mapped[date | None] = mapped_column(Date)
    filed_at: Mapped[date | None] = mapped_column(Date)
    filing_reference: Mapped[str] = mapped_column(String(120), default="")

    round: Mapped[ReviewRound] = relationship()
    unit: Mapped[TrainingUnit] = relationship()
    occupations: Mapped[list[ApplicationOccupation]] = relationship(
        back_populates="application",
        order_by="ApplicationOccupation.id",
        cascade="all, delete-orphan",
    )
    scores: Mapped[list[ApplicationScore]] = relationship(back_populates="application")
    objections: Mapped[list[NoticeObjection]] = relationship(back_populates="application")

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City sees all; a district its district's; a unit its own; finance none."""
        return review_scope(cls.district, cls.unit_id, actor)

    @property
    def budget_fen(self) -> int:
        """经费预算总额: Σ headcount × standard over the occupations (computed, never typed)."""
        return sum(o.budget_fen for o in self.occupations)


class ApplicationOccupation(Base):
    """One occupation of an application: the plan, resources and the suggested standard."""

    __tablename__ = "application_occupation"
    __table_args__ = (
        # one application per unit and occupation in a round (notice §四; a second is refused)
        UniqueConstraint("round_id", "unit_id", "occupation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"))
    #: "entry:<id>" for a catalogue occupation, "custom:<name>" for one outside it (§七(一)).
    occupation_key: Mapped[str] = mapped_column(String(100))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("catalogue_entry.id"))
    custom_name: Mapped[str] = mapped_column(String(64), default="")
    introduction: Mapped[str] = mapped_column(Text, default="")
    yearly_headcount: Mapped[int] = mapped_column(Integer)
    classes: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[int] = mapped_column(Integer, default=0)
    class_size: Mapped[int] = mapped_column(Integer, default=0)
    form: Mapped[str] = mapped_column(String(10), default="offline")
    online_percent: Mapped[int] = mapped_column(Integer, default=0)
    materials: Mapped[str] = mapped_column(Text, default="")
    skill_standard: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(String(200), default="")
    certificates: Mapped[str] = mapped_column(String(200), default="")
    teachers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    site: Mapped[str] = mapped_column(Text, default="")
    equipment: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    advantages: Mapped[str] = mapped_column(Text, default="")
    standard_fen: Mapped[int] = mapped_column(Integer)
    accepted_headcount: Mapped[int | None] = mapped_column(Integer)
    accepted_standard_fen: Mapped[int | None] = mapped_column(Integer)

    application: Mapped[Application] = relationship(back_populates="occupations")
    entry: Mapped[CatalogueEntry | None] = relationship()

    @property
    def occupation_name(self) -> str:
        """The catalogue name, or the market-needed occupation's own name."""
        return self.entry.name if self.entry is not None else self.custom_name

    @property
    def budget_fen(self) -> int:
        """Headcount × suggested standard per person."""
        return self.yearly_headcount * self.standard_fen


class ApplicationScore(Base):
    """One reviewer's score for one criterion of an application (量化标准评审)."""

    __tablename__ = "application_score"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id", "criterion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewer: Mapped[str] = mapped_column(String(64))
    criterion: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="scores")


class NoticeObjection(Base):
    """An objection received during the public notice (公示), and how it was handled."""

    __tablename__ = "notice_objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(Text, default="")
    upheld: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    application: Mapped[Application] = relationship(back_populates="objections")


class MonitoringKind:
    """District monitoring of accepted units (notice §七(三))."""

    EVALUATION = "evaluation"  # 阶段化评估
    WARNING = "warning"  # 提醒警告, with a correction deadline
    CORRECTED = "corrected"  # the warning was corrected
    REMOVAL = "removal"  # 退出揭榜单位名单


class MonitoringRecord(Base):
    """A phase evaluation, warning, correction or removal recorded by the district."""

    __tablename__ = "monitoring_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("training_unit.id"), index=True)
    district: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    rating: Mapped[str] = mapped_column(String(16), default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    #: For a correction: the warning it closes.
    warning_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_record.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    @classmethod
    def scope_clause(cls, actor: Actor) -> ColumnElement[bool] | None:
        """City sees all; a district its district's; a unit its own; finance none."""
        return review_scope(cls.district, cls.unit_id, actor)


def review_scope(
    district: Mapped[str], unit_id: Mapped[int], actor: Actor
) -> ColumnElement[bool] | None:
    """Scope of the 揭榜领题 records: the city all, a district its own, a unit its own."""
    if actor.role is Role.CITY:
        return None
    if actor.role is Role.DISTRICT:
        return district == actor.district
    if actor.role is Role.UNIT:
        return unit_id == actor.unit_id
    return false()
