"""Reconciliation: the funnel planned → issued → redeemed → qualified → claimed → approved →
paid per unit, project or district and period; drill-down to lines; the invariants check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.catalog.models import CatalogueEntry
from voucher.core.clock import start_of_business_day
from voucher.core.districts import district_name
from voucher.core.pii import mask_name
from voucher.db import db
from voucher.errors import ValidationFailed
from voucher.issuance.models import Person, Voucher
from voucher.redemption.models import Redemption
from voucher.settlement.models import (
    AssessmentResult,
    Claim,
    ClaimLine,
    ClaimPayment,
    ClaimStatus,
)
from voucher.units.models import AcceptedOccupation, TrainingUnit

STAGES = ("planned", "issued", "redeemed", "qualified", "claimed", "approved", "paid")
STAGE_LABELS = {
    "planned": _l("计划"),
    "issued": _l("已发券"),
    "redeemed": _l("已核销"),
    "qualified": _l("考核合格"),
    "claimed": _l("已申领"),
    "approved": _l("已审批"),
    "paid": _l("已支付"),
}
DIMENSIONS = {"unit": _l("培训机构"), "project": _l("项目（机构×职业）"), "district": _l("区")}
SUBMITTED_UP = (ClaimStatus.SUBMITTED, ClaimStatus.CHECKED, ClaimStatus.APPROVED, ClaimStatus.PAID)
APPROVED_UP = (ClaimStatus.APPROVED, ClaimStatus.PAID)


@dataclass
class FunnelRow:
    """One group's counts and amounts (fen) per stage."""

    key: Any
    label: str
    unit_id: int | None = None
    entry_id: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    fen: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))

    def add(self, stage: str, count: int, fen: int) -> None:
        self.counts[stage] += int(count or 0)
        self.fen[stage] += int(fen or 0)


@dataclass(frozen=True)
class Period:
    """A closed range of business dates (either end open)."""

    start: date | None = None
    end: date | None = None

    def on_instant(self, column: Any) -> list[Any]:
        out = []
        if self.start:
            out.append(column >= start_of_business_day(self.start))
        if self.end:
            out.append(column < start_of_business_day(self.end + timedelta(days=1)))
        return out

    def on_date(self, column: Any) -> list[Any]:
        out = []
        if self.start:
            out.append(column >= self.start)
        if self.end:
            out.append(column <= self.end)
        return out


def _scope_units(actor: Actor) -> Any:
    """A clause limiting unit ids to what the actor may reconcile (None = all)."""
    actor.require(Role.CITY, Role.FINANCE, Role.DISTRICT)
    if actor.role is Role.DISTRICT:
        return select(TrainingUnit.id).where(TrainingUnit.district == actor.district)
    return None


def _by_unit_entry(actor: Actor, period: Period) -> Iterator[tuple[str, int, int, int, int]]:
    """(stage, unit_id, entry_id, count, fen) rows, one GROUP BY per stage."""
    units = _scope_units(actor)

    def scoped(stmt: Any, unit_col: Any) -> Any:
        return stmt if units is None else stmt.where(unit_col.in_(units))

    ao = AcceptedOccupation
    used = aliased(Redemption)
    used_on = used.voucher_id == Voucher.id
    if hasattr(Redemption, "status"):
        used_on = used_on & (used.status == "active")
    issued_unit = func.coalesce(Voucher.unit_id, used.unit_id)
    queries = {
        "planned": scoped(
            select(
                ao.unit_id,
                ao.entry_id,
                func.sum(ao.headcount),
                func.sum(ao.headcount * ao.standard_fen),
            ).group_by(ao.unit_id, ao.entry_id),
            ao.unit_id,
        ),
        # A 通用 voucher counts for the unit that redeemed it; until then under 通用券.
        "issued": scoped(
            select(issued_unit, Voucher.entry_id, func.count(), func.sum(Voucher.amount_fen))
            .outerjoin(used, used_on)
            .where(*period.on_instant(Voucher.issued_at))
            .group_by(issued_unit, Voucher.entry_id),
            issued_unit,
        ),
        "redeemed": scoped(
            select(
                Redemption.unit_id, Voucher.entry_id, func.count(), func.sum(Redemption.offset_fen)
            )
            .join(Voucher, Voucher.id == Redemption.voucher_id)
            .where(*period.on_instant(Redemption.redeemed_at))
            .group_by(Redemption.unit_id, Voucher.entry_id),
            Redemption.unit_id,
        ),
        "qualified": scoped(
            select(
                AssessmentResult.unit_id,
                AssessmentResult.entry_id,
                func.count(),
                sa.literal(0),
            )
            .where(AssessmentResult.passed, AssessmentResult.certificate_no.is_not(None))
            .where(*period.on_date(AssessmentResult.issued_on))
            .group_by(AssessmentResult.unit_id, AssessmentResult.entry_id),
            AssessmentResult.unit_id,
        ),
        "claimed": scoped(
            select(Claim.unit_id, Voucher.entry_id, func.count(), func.sum(ClaimLine.amount_fen))
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .join(Redemption, Redemption.id == ClaimLine.redemption_id)
            .join(Voucher, Voucher.id == Redemption.voucher_id)
            .where(Claim.status.in_(SUBMITTED_UP), *period.on_instant(Claim.submitted_at))
            .group_by(Claim.unit_id, Voucher.entry_id),
            Claim.unit_id,
        ),
        "approved": scoped(
            select(Claim.unit_id, Voucher.entry_id, func.count(), func.sum(ClaimLine.approved_fen))
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .join(Redemption, Redemption.id == ClaimLine.redemption_id)
            .join(Voucher, Voucher.id == Redemption.voucher_id)
            .where(Claim.status.in_(APPROVED_UP), ClaimLine.approved_fen > 0)
            .where(*period.on_instant(Claim.approved_at))
            .group_by(Claim.unit_id, Voucher.entry_id),
            Claim.unit_id,
        ),
    }
    for stage, stmt in queries.items():
        for unit_id, entry_id, count, fen in db.session.execute(stmt):
            yield stage, unit_id, entry_id, count, fen
    # Paid: lines of fully paid claims (count) and the payments themselves (yuan), attributed
    # to occupations in proportion is not needed: a paid claim pays each approved line in full.
    paid = scoped(
        select(Claim.unit_id, Voucher.entry_id, func.count(), func.sum(ClaimLine.approved_fen))
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .join(Redemption, Redemption.id == ClaimLine.redemption_id)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .where(Claim.status == ClaimStatus.PAID, ClaimLine.approved_fen > 0)
        .where(
            Claim.id.in_(select(ClaimPayment.claim_id).where(*period.on_date(ClaimPayment.paid_on)))
        )
        .group_by(Claim.unit_id, Voucher.entry_id),
        Claim.unit_id,
    )
    for unit_id, entry_id, count, fen in db.session.execute(paid):
        yield "paid", unit_id, entry_id, count, fen


def funnel(actor: Actor, dimension: str = "unit", period: Period | None = None) -> list[FunnelRow]:
    """The funnel grouped by unit, project (unit × occupation) or district, with a total row
    last."""
    if dimension not in DIMENSIONS:
        raise ValidationFailed(_l("未知的汇总维度"), code="dimension_unknown")
    period = period or Period()
    if period.start and period.end and period.start > period.end:
        raise ValidationFailed(_l("开始日期不能晚于结束日期"), code="period_invalid")
    units = {u.id: u for u in db.session.execute(select(TrainingUnit)).scalars()}
    entries: dict[int, str] = {}
    rows: dict[Any, FunnelRow] = {}
    total = FunnelRow(key="total", label=str(_l("合计")))
    raw = list(_by_unit_entry(actor, period))
    wanted = {e for _, _, e, _, _ in raw if e is not None}
    if wanted:
        entries = dict(
            db.session.execute(
                select(CatalogueEntry.id, CatalogueEntry.name).where(CatalogueEntry.id.in_(wanted))
            ).all()
        )
    general = str(_l("通用券（未指定机构）"))
    for stage, unit_id, entry_id, count, fen in raw:
        unit = units.get(unit_id) if unit_id is not None else None
        if dimension == "unit":
            key, label = unit_id, unit.name if unit else general
        elif dimension == "district":
            key = unit.district if unit else None
            label = district_name(unit.district) if unit else general
        else:
            key = (unit_id, entry_id)
            label = f"{unit.name if unit else general} · {entries.get(entry_id, '—')}"
        row = rows.get(key)
        if row is None:
            row = rows[key] = FunnelRow(key=key, label=label)
            row.unit_id = unit_id
            row.entry_id = entry_id if dimension == "project" else None
        row.add(stage, count, fen)
        total.add(stage, count, fen)
    ordered = sorted(rows.values(), key=lambda r: (r.unit_id is None, r.label))
    return [*ordered, total]


def _line_stmt(actor: Actor, unit_id: int | None, entry_id: int | None) -> Any:
    units = _scope_units(actor)
    stmt = (
        select(ClaimLine, Claim, Person, CatalogueEntry, TrainingUnit)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .join(Redemption, Redemption.id == ClaimLine.redemption_id)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .join(Person, Person.id == Voucher.person_id)
        .join(CatalogueEntry, CatalogueEntry.id == Voucher.entry_id)
        .join(TrainingUnit, TrainingUnit.id == Claim.unit_id)
        .order_by(ClaimLine.id)
    )
    if units is not None:
        stmt = stmt.where(Claim.unit_id.in_(units))
    if unit_id is not None:
        stmt = stmt.where(Claim.unit_id == unit_id)
    if entry_id is not None:
        stmt = stmt.where(Voucher.entry_id == entry_id)
    return stmt


LINE_HEADERS = (
    "申领编号",
    "申领状态",
    "培训机构",
    "职业（工种）",
    "姓名",
    "身份证号码",
    "培训费（元）",
    "抵扣（元）",
    "补贴标准（元）",
    "申领金额（元）",
    "应退学员（元）",
    "审核结论",
    "核定金额（元）",
    "原因",
)


def line_rows(
    actor: Actor, unit_id: int | None = None, entry_id: int | None = None, *, limit: int = 0
) -> Iterator[tuple[Any, ...]]:
    """Claim lines as table rows (names and ID numbers masked), streamed."""
    from voucher.core.money import format_yuan
    from voucher.settlement.review import DECISION_LABELS, STATUS_LABELS

    stmt = _line_stmt(actor, unit_id, entry_id)
    if limit:
        stmt = stmt.limit(limit)
    result = db.session.execute(stmt.execution_options(yield_per=2000))
    for line, claim, person, entry, unit in result:
        yield (
            claim.id,
            str(STATUS_LABELS.get(claim.status, claim.status)),
            unit.name,
            entry.name,
            mask_name(person.name),
            person.id_masked,
            format_yuan(line.fee_fen),
            format_yuan(line.offset_fen),
            format_yuan(line.standard_fen),
            format_yuan(line.amount_fen),
            format_yuan(line.refund_fen),
            str(DECISION_LABELS.get(line.decision, line.decision)),
            "" if line.approved_fen is None else format_yuan(line.approved_fen),
            line.reason,
        )


# ---- invariants -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    """One broken invariant."""

    rule: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.subject}: {self.detail}"


def check_invariants() -> list[Breach]:
    """Every breach of: one claim line per redemption, line sums = claim totals, paid ≤
    approved (and = payments), issued ≤ planned."""
    session = db.session
    breaches: list[Breach] = []
    for redemption_id, n in session.execute(
        select(ClaimLine.redemption_id, func.count())
        .group_by(ClaimLine.redemption_id)
        .having(func.count() > 1)
    ):
        breaches.append(
            Breach("one_line_per_redemption", f"redemption {redemption_id}", f"{n} claim lines")
        )
    copies = session.execute(
        select(ClaimLine.id)
        .join(Redemption, Redemption.id == ClaimLine.redemption_id)
        .join(Voucher, Voucher.id == Redemption.voucher_id)
        .where(
            sa.or_(
                ClaimLine.person_id != Voucher.person_id,
                ClaimLine.entry_id != Voucher.entry_id,
            )
        )
        .order_by(ClaimLine.id)
    ).scalars()
    for line_id in copies:
        breaches.append(
            Breach("line_copy", f"claim line {line_id}", "holder or occupation differs")
        )
    sums = (
        select(
            ClaimLine.claim_id.label("claim_id"),
            func.sum(ClaimLine.amount_fen).label("amount"),
            func.sum(func.coalesce(ClaimLine.approved_fen, 0)).label("approved"),
        )
        .group_by(ClaimLine.claim_id)
        .subquery()
    )
    paid = (
        select(
            ClaimPayment.claim_id.label("claim_id"), func.sum(ClaimPayment.amount_fen).label("p")
        )
        .group_by(ClaimPayment.claim_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Claim.id,
            Claim.status,
            Claim.total_fen,
            Claim.approved_fen,
            Claim.paid_fen,
            func.coalesce(sums.c.amount, 0),
            func.coalesce(sums.c.approved, 0),
            func.coalesce(paid.c.p, 0),
        )
        .outerjoin(sums, sums.c.claim_id == Claim.id)
        .outerjoin(paid, paid.c.claim_id == Claim.id)
        .order_by(Claim.id)
    )
    for cid, status, total, approved, paid_fen, line_sum, approved_sum, payments in rows:
        subject = f"claim {cid}"
        if total != line_sum:
            breaches.append(Breach("line_sum", subject, f"total {total} ≠ lines {line_sum}"))
        if status in APPROVED_UP and approved != approved_sum:
            breaches.append(
                Breach("approved_sum", subject, f"approved {approved} ≠ lines {approved_sum}")
            )
        if paid_fen > (approved or 0):
            breaches.append(Breach("paid_le_approved", subject, f"paid {paid_fen} > {approved}"))
        if paid_fen != payments:
            breaches.append(Breach("paid_sum", subject, f"paid {paid_fen} ≠ payments {payments}"))
    breaches.extend(_issued_vs_planned())
    return breaches


def _issued_vs_planned() -> list[Breach]:
    session = db.session
    out: list[Breach] = []
    ao = AcceptedOccupation
    planned = (
        select(ao.unit_id, ao.entry_id, func.sum(ao.headcount).label("planned"))
        .group_by(ao.unit_id, ao.entry_id)
        .subquery()
    )
    issued = session.execute(
        select(Voucher.unit_id, Voucher.entry_id, func.count(), planned.c.planned)
        .outerjoin(
            planned,
            (planned.c.unit_id == Voucher.unit_id) & (planned.c.entry_id == Voucher.entry_id),
        )
        .where(Voucher.unit_id.is_not(None))
        .group_by(Voucher.unit_id, Voucher.entry_id, planned.c.planned)
    )
    for unit_id, entry_id, count, plan in issued:
        if count > (plan or 0):
            out.append(
                Breach(
                    "issued_le_planned",
                    f"unit {unit_id} entry {entry_id}",
                    f"issued {count} > planned {plan or 0}",
                )
            )
    inspector = sa.inspect(session.connection())
    if "quota" in inspector.get_table_names():
        columns = {c["name"] for c in inspector.get_columns("quota")}
        if {"id", "planned"} <= columns:
            voucher_cols = {c["name"] for c in inspector.get_columns("voucher")}
            counted = (
                "(SELECT COUNT(*) FROM voucher v WHERE v.quota_id = q.id)"
                if "quota_id" in voucher_cols
                else "q.issued"
            )
            # The quota table belongs to issuance; read it by name so settlement does not
            # depend on its model. Only constant fragments are joined in.
            sql = sa.text("SELECT q.id, q.planned, " + counted + " FROM quota q ORDER BY q.id")  # noqa: S608
            for quota_id, plan, count in session.execute(sql):
                if count > plan:
                    out.append(
                        Breach("issued_le_planned", f"quota {quota_id}", f"{count} > {plan}")
                    )
    return out
