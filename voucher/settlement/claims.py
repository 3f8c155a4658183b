"""Claim proposal and generation: one set-based query decides every redeemed voucher.

The same SQL answers the proposal page (each voucher with its reason, or none) and generates
the claims (``INSERT … SELECT`` of the lines without a reason) inside ONE transaction: a run
that dies leaves nothing, and the unique ``claim_line.redemption_id`` makes a re-run add each
line once at most.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, bindparam, func, select, text
from sqlalchemy.orm import Session

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.core.clock import business_today
from voucher.core.pii import mask_name
from voucher.db import UTCDateTime, db, unit_of_work, utcnow
from voucher.errors import Conflict, RuleViolation, ValidationFailed
from voucher.policy import POLICY
from voucher.redemption.models import Redemption
from voucher.redemption.services import VOID_GUARDS
from voucher.settlement import rules
from voucher.settlement.models import Claim, ClaimLine, ClaimStatus

GENERATION_LOCK_KEY = 0x636C6169  # "clai": PostgreSQL advisory lock serialising generation runs

# The decision of every redeemed voucher (optionally of one unit, optionally unclaimed only).
# Reason codes: see rules.EXCLUSION_REASONS. Fragments below are constants chosen in code.
_BASE = """
WITH base AS (
  SELECT {r_status} r.id AS redemption_id, r.unit_id, r.fee_fen, r.offset_fen, r.redeemed_at,
         v.person_id, v.entry_id,
         a.id AS result_id, a.passed, a.certificate_no, a.certificate_type, a.level,
         a.issued_on, a.cert_year,
         u.status AS unit_status,
         CASE WHEN ao.standard_fen > :cap THEN :cap ELSE ao.standard_fen END AS project_fen,
         ss.amount_fen AS catalogue_fen,
         cl.id AS line_id,
         COALESCE(pl.n, 0) AS prior_level, COALESCE(py.n, 0) AS prior_year
  FROM redemption r
  JOIN voucher v ON v.id = r.voucher_id
  JOIN training_unit u ON u.id = r.unit_id
  LEFT JOIN assessment_result a ON a.redemption_id = r.id
  LEFT JOIN accepted_occupation ao ON ao.unit_id = r.unit_id AND ao.entry_id = v.entry_id
  LEFT JOIN subsidy_standard ss
         ON ss.entry_id = v.entry_id AND ss.level = a.level AND a.certificate_type <> 'training'
  LEFT JOIN claim_line cl ON cl.redemption_id = r.id
  LEFT JOIN (SELECT person_id, entry_id, level, COUNT(*) AS n FROM claim_line
             WHERE decision <> 'rejected' AND person_id IS NOT NULL
             GROUP BY person_id, entry_id, level) pl
         ON pl.person_id = v.person_id AND pl.entry_id = v.entry_id AND pl.level = a.level
  LEFT JOIN (SELECT person_id, cert_year, COUNT(*) AS n FROM claim_line
             WHERE decision <> 'rejected' AND person_id IS NOT NULL
             GROUP BY person_id, cert_year) py
         ON py.person_id = v.person_id AND py.cert_year = a.cert_year
  WHERE 1 = 1 {where}
),
checked AS (
  SELECT base.*,
    CASE
      WHEN line_id IS NOT NULL THEN 'already_claimed'
      WHEN {voided} THEN 'voided'
      WHEN unit_status = 'removed' AND :removed_blocks = 1 THEN 'unit_removed'
      WHEN result_id IS NULL THEN 'no_result'
      WHEN NOT passed THEN 'failed'
      WHEN certificate_no IS NULL OR issued_on IS NULL THEN 'no_certificate'
      WHEN issued_on < :cutoff THEN 'window_passed'
      WHEN project_fen IS NULL THEN 'no_standard'
      WHEN prior_level > 0 THEN 'same_level_before'
      WHEN prior_year >= :per_year THEN 'yearly_limit'
    END AS reason0
  FROM base
),
ranked AS (
  SELECT checked.*,
    ROW_NUMBER() OVER (PARTITION BY reason0, person_id, entry_id, level
                       ORDER BY redemption_id) AS n_level,
    ROW_NUMBER() OVER (PARTITION BY reason0, person_id, cert_year
                       ORDER BY redemption_id) AS n_year
  FROM checked
),
decided AS (
  SELECT ranked.*,
    CASE
      WHEN reason0 IS NOT NULL THEN reason0
      WHEN n_level > 1 THEN 'same_level_before'
      WHEN prior_year + n_year > :per_year THEN 'yearly_limit'
    END AS reason,
    CASE WHEN certificate_type <> 'training' AND catalogue_fen > project_fen
         THEN catalogue_fen ELSE project_fen END AS standard_fen
  FROM ranked
),
priced AS (
  SELECT decided.*,
    CASE WHEN standard_fen < fee_fen THEN standard_fen ELSE fee_fen END AS amount_fen
  FROM decided
)
"""

_PROPOSAL = (
    _BASE
    + """
SELECT redemption_id, unit_id, person_id, entry_id, result_id, reason, fee_fen, offset_fen,
       standard_fen, amount_fen,
       CASE WHEN amount_fen > offset_fen THEN amount_fen - offset_fen ELSE 0 END AS refund_fen,
       certificate_type, level, certificate_no, issued_on
FROM priced ORDER BY redemption_id
"""
)

_INSERT_LINES = (
    _BASE
    + """
INSERT INTO claim_line (claim_id, redemption_id, amount_fen, result_id, person_id, entry_id,
                        level, cert_year, fee_fen, offset_fen, standard_fen, refund_fen,
                        decision, reason)
SELECT c.id, p.redemption_id, p.amount_fen, p.result_id, p.person_id, p.entry_id,
       p.level, p.cert_year, p.fee_fen, p.offset_fen, p.standard_fen,
       CASE WHEN p.amount_fen > p.offset_fen THEN p.amount_fen - p.offset_fen ELSE 0 END,
       'pending', ''
FROM priced p JOIN claim c ON c.unit_id = p.unit_id AND c.status = 'draft'
WHERE p.reason IS NULL
"""
)

# Every unit with redemptions gets a draft claim first (one index probe per unit); the drafts
# that got no line are removed again before the transaction ends.
_INSERT_DRAFTS = """
INSERT INTO claim (unit_id, status, total_fen, created_at, unit_details, body_details, paid_fen)
SELECT u.id, 'draft', 0, :now, '', '', 0
FROM training_unit u
WHERE NOT EXISTS (SELECT 1 FROM claim c WHERE c.unit_id = u.id AND c.status = 'draft')
  AND EXISTS (SELECT 1 FROM redemption r WHERE r.unit_id = u.id)
  {where}
"""


def _params(today: date) -> dict[str, Any]:
    return {
        "cap": POLICY.project_standard_cap_fen,
        "removed_blocks": 0 if POLICY.removed_unit_keeps_claims else 1,
        "cutoff": rules.window_cutoff(today),
        "per_year": POLICY.project_subsidies_per_year,
    }


def _voided() -> str:
    """The SQL test for a voided redemption (when the redemption model records voids)."""
    return "r_status <> 'active'" if hasattr(Redemption, "status") else "1 = 0"


def _r_status() -> str:
    return "r.status AS r_status," if hasattr(Redemption, "status") else ""


def _sql(template: str, unit_id: int | None, *, unclaimed_only: bool) -> str:
    return template.format(
        where=_where(unit_id, unclaimed_only=unclaimed_only),
        voided=_voided(),
        r_status=_r_status(),
    )


def _where(unit_id: int | None, *, unclaimed_only: bool) -> str:
    parts = []
    if unit_id is not None:
        parts.append(" AND r.unit_id = :unit_id")
    if unclaimed_only:
        parts.append(" AND NOT EXISTS (SELECT 1 FROM claim_line x WHERE x.redemption_id = r.id)")
    return "".join(parts)


@dataclass(frozen=True)
class ProposalRow:
    """One redeemed voucher of the unit: on the proposed claim (reason None) or excluded."""

    redemption_id: int
    person: str
    id_masked: str
    occupation: str
    reason: str | None
    fee_fen: int
    offset_fen: int
    standard_fen: int | None
    amount_fen: int | None
    refund_fen: int | None
    certificate: str

    @property
    def reason_label(self) -> str:
        return str(rules.EXCLUSION_REASONS.get(self.reason or "", self.reason or ""))


@dataclass(frozen=True)
class Proposal:
    """The proposed claim of a unit: the lines, their sums, and every excluded voucher."""

    lines: list[ProposalRow]
    excluded: list[ProposalRow]

    @property
    def total_fen(self) -> int:
        return sum(r.amount_fen or 0 for r in self.lines)

    @property
    def refund_fen(self) -> int:
        return sum(r.refund_fen or 0 for r in self.lines)


def propose(actor: Actor, unit_id: int | None = None) -> Proposal:
    """What a claim generated now would hold for the unit, and why the rest is left out."""
    from voucher.catalog.models import CatalogueEntry
    from voucher.issuance.models import Person

    actor.require(Role.UNIT, Role.DISTRICT, Role.CITY, Role.FINANCE)
    if actor.role is Role.UNIT:
        unit_id = actor.unit_id
    from voucher.units.models import TrainingUnit

    if unit_id is None:
        raise ValidationFailed(_l("请选择培训机构"), code="unit_missing")
    get_visible(TrainingUnit, unit_id, actor)
    params = _params(business_today()) | {"unit_id": unit_id}
    sql = text(_sql(_PROPOSAL, unit_id, unclaimed_only=False)).bindparams(
        bindparam("cutoff", type_=Date)
    )
    rows = db.session.execute(sql, params).mappings().all()
    people = {
        p.id: p
        for p in db.session.execute(
            select(Person).where(Person.id.in_({r["person_id"] for r in rows}))
        ).scalars()
    }
    entries = {
        e.id: e.name
        for e in db.session.execute(
            select(CatalogueEntry).where(CatalogueEntry.id.in_({r["entry_id"] for r in rows}))
        ).scalars()
    }
    lines: list[ProposalRow] = []
    excluded: list[ProposalRow] = []
    for r in rows:
        person = people[r["person_id"]]
        cert = ""
        if r["certificate_no"]:
            cert = (
                f"{rules.CERTIFICATE_LABELS.get(r['certificate_type'], '')} {r['certificate_no']}"
            )
        priced = r["reason"] is None
        row = ProposalRow(
            redemption_id=r["redemption_id"],
            person=mask_name(person.name),
            id_masked=person.id_masked,
            occupation=entries.get(r["entry_id"], ""),
            reason=r["reason"],
            fee_fen=r["fee_fen"],
            offset_fen=r["offset_fen"],
            standard_fen=r["standard_fen"] if priced else None,
            amount_fen=r["amount_fen"] if priced else None,
            refund_fen=r["refund_fen"] if priced else None,
            certificate=cert,
        )
        (lines if priced else excluded).append(row)
    return Proposal(lines, excluded)


@dataclass(frozen=True)
class Generated:
    """What one generation run did."""

    claims: int
    lines: int
    total_fen: int


def generate_in(
    session: Session,
    actor: Actor,
    unit_id: int | None,
    today: date,
    timings: dict[str, float] | None = None,
) -> Generated:
    """The set-based generation inside the caller's transaction (no commit)."""
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        if timings is not None:
            now = time.perf_counter()
            timings[name] = round(now - clock[0], 3)
            clock[0] = now

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": GENERATION_LOCK_KEY})
        # Fresh statistics on the claim tables (cheap: a sample) keep the planner from
        # mistaking an empty or freshly filled claim_line for a tiny one and nesting loops;
        # the window sorts get room to stay in memory.
        session.execute(text("ANALYZE claim_line, claim"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    params = _params(today) | ({"unit_id": unit_id} if unit_id is not None else {})
    mark = session.execute(select(func.coalesce(func.max(ClaimLine.id), 0))).scalar_one()
    claims_mark = session.execute(select(func.coalesce(func.max(Claim.id), 0))).scalar_one()
    lap("prepare")
    one_unit = " AND u.id = :unit_id" if unit_id is not None else ""
    drafts = text(_INSERT_DRAFTS.format(where=one_unit)).bindparams(
        bindparam("now", type_=UTCDateTime)
    )
    session.execute(drafts, {"now": utcnow()} | ({"unit_id": unit_id} if unit_id else {}))
    lap("drafts")
    lines = text(_sql(_INSERT_LINES, unit_id, unclaimed_only=False)).bindparams(
        bindparam("cutoff", type_=Date)
    )
    session.execute(lines, params)
    lap("lines")
    touched = session.execute(
        select(ClaimLine.claim_id, func.count(ClaimLine.id), func.sum(ClaimLine.amount_fen))
        .where(ClaimLine.id > mark)
        .group_by(ClaimLine.claim_id)
        .order_by(ClaimLine.claim_id)
    ).all()
    lap("sums")
    # Drafts opened by this run that got no line go again (same transaction).
    session.execute(
        text(
            "DELETE FROM claim WHERE id > :m AND status = 'draft' "
            "AND NOT EXISTS (SELECT 1 FROM claim_line l WHERE l.claim_id = claim.id)"
        ),
        {"m": claims_mark},
    )
    if touched:
        # A draft's total was its lines' sum before; add what this run put on it.
        session.execute(
            text("UPDATE claim SET total_fen = total_fen + :add WHERE id = :id"),
            [{"id": claim_id, "add": int(total or 0)} for claim_id, _count, total in touched],
        )
    for claim_id, count, total in touched:
        record(
            actor,
            "claim.generated",
            "claim",
            claim_id,
            {"lines_added": int(count), "amount_fen": int(total or 0)},
        )
    session.flush()
    lap("totals_audit")
    return Generated(
        claims=len(touched),
        lines=sum(int(c) for _, c, _ in touched),
        total_fen=sum(int(t or 0) for _, _, t in touched),
    )


def generate_claims(actor: Actor, unit_id: int | None = None) -> Generated:
    """Put every claimable voucher on its unit's draft claim, all in one transaction."""
    actor.require(Role.UNIT)
    if actor.role is Role.UNIT:
        unit_id = actor.unit_id
    with unit_of_work() as session:
        return generate_in(session, actor, unit_id, business_today())


# ---- the unit finishes and submits its claim ------------------------------------------------

MAX_DETAILS = 2000


def _frozen(claim: Claim) -> None:
    if claim.status != ClaimStatus.DRAFT:
        raise Conflict(_l("补贴申领已提交，不能再修改"), code="claim_frozen")


def update_details(actor: Actor, claim_id: int, *, unit_details: str, body_details: str) -> Claim:
    """The unit's and the assessment body's details on a draft claim."""
    actor.require(Role.UNIT)
    with unit_of_work():
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        _frozen(claim)
        unit_details, body_details = unit_details.strip(), body_details.strip()
        if len(unit_details) > MAX_DETAILS or len(body_details) > MAX_DETAILS:
            raise ValidationFailed(_l("说明不超过 2000 个字符"), code="details_too_long")
        claim.unit_details, claim.body_details = unit_details, body_details
        record(actor, "claim.details_updated", "claim", claim.id, {})
    return claim


def remove_line(actor: Actor, claim_id: int, line_id: int) -> Claim:
    """Take a line off a draft claim (the voucher becomes claimable again)."""
    actor.require(Role.UNIT)
    with unit_of_work() as session:
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        _frozen(claim)
        line = session.get(ClaimLine, line_id)
        if line is None or line.claim_id != claim.id:
            raise ValidationFailed(_l("该明细不在这份申领中"), code="line_unknown")
        claim.total_fen -= line.amount_fen
        record(
            actor,
            "claim.line_removed",
            "claim",
            claim.id,
            {"redemption_id": line.redemption_id, "amount_fen": line.amount_fen},
        )
        session.delete(line)
    return claim


def submit_claim(
    actor: Actor,
    claim_id: int,
    *,
    pledge: bool,
    unit_details: str | None = None,
    body_details: str | None = None,
) -> Claim:
    """Submit a draft claim with the integrity pledge (time and user recorded); then frozen."""
    actor.require(Role.UNIT)
    with unit_of_work():
        claim = get_visible(Claim, claim_id, actor, for_update=True)
        _frozen(claim)
        if unit_details is not None:
            claim.unit_details = unit_details.strip()[:MAX_DETAILS]
        if body_details is not None:
            claim.body_details = body_details.strip()[:MAX_DETAILS]
        if not pledge:
            raise RuleViolation(
                _l("请阅读并接受诚信承诺后再提交"),
                code="pledge_missing",
                errors={"pledge": _l("请接受诚信承诺")},
            )
        if not claim.unit_details or not claim.body_details:
            raise ValidationFailed(
                _l("请填写单位信息（联系人、收款账户）和评价机构信息"),
                code="details_missing",
                errors={"unit_details": _l("请填写"), "body_details": _l("请填写")},
            )
        if not claim.lines:
            raise RuleViolation(_l("申领中没有明细，不能提交"), code="claim_empty")
        now = utcnow()
        claim.pledge_at, claim.pledge_by = now, actor.user_id
        claim.submitted_at = now
        claim.status = ClaimStatus.SUBMITTED
        record(
            actor,
            "claim.submitted",
            "claim",
            claim.id,
            {"total_fen": claim.total_fen, "lines": len(claim.lines), "pledge": True},
        )
    return claim


def claims_of(actor: Actor, *, status: str | None = None) -> list[Claim]:
    """The claims the actor may see, newest first."""
    from voucher.accounts.access import visible

    stmt = visible(select(Claim).order_by(Claim.id.desc()), Claim, actor)
    if status:
        stmt = stmt.where(Claim.status == status)
    return list(db.session.execute(stmt).scalars())


def draft_of(actor: Actor) -> Claim | None:
    """The unit's current draft claim, if any."""
    actor.require(Role.UNIT)
    return db.session.execute(
        select(Claim).where(Claim.unit_id == actor.unit_id, Claim.status == ClaimStatus.DRAFT)
    ).scalar_one_or_none()


def refuse_void_of_claimed(session: Any, redemption_id: int) -> None:
    """A redemption on a claim line cannot be voided: the unit takes it off its draft first; a
    submitted claim is frozen (its line is rejected in review instead)."""
    row = session.execute(
        select(Claim.id, Claim.status)
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(ClaimLine.redemption_id == redemption_id)
    ).first()
    if row is None:
        return
    if row.status == ClaimStatus.DRAFT:
        raise Conflict(
            _l("该核销已列入补贴申领草稿（第 %(id)d 号），请先从草稿中移除再作废", id=row.id),
            code="redemption_on_draft_claim",
        )
    raise Conflict(
        _l("该核销已列入已提交的补贴申领（第 %(id)d 号），不能作废", id=row.id),
        code="redemption_claimed",
    )


VOID_GUARDS.append(refuse_void_of_claimed)
