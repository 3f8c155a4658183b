"""The trainee's view of claims in their name, and the "I did not attend" flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor, visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.catalog.models import CatalogueEntry
from voucher.core.pii import mask_name
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, NotFound, ValidationFailed
from voucher.issuance.models import Person
from voucher.settlement.models import AttendanceFlag, Claim, ClaimLine, ClaimStatus
from voucher.units.models import TrainingUnit

MAX_NOTE = 500


@dataclass(frozen=True)
class ClaimInMyName:
    """A claim line a unit made for the trainee."""

    line_id: int
    unit: str
    occupation: str
    amount_fen: int
    refund_fen: int
    status: str
    submitted_at: datetime | None
    flagged: bool


def claims_in_name(person_id: int) -> list[ClaimInMyName]:
    """Every submitted claim line in the person's name (drafts are the unit's own business)."""
    rows = db.session.execute(
        select(ClaimLine, Claim, TrainingUnit.name, CatalogueEntry.name, AttendanceFlag.id)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .join(TrainingUnit, TrainingUnit.id == Claim.unit_id)
        .outerjoin(CatalogueEntry, CatalogueEntry.id == ClaimLine.entry_id)
        .outerjoin(AttendanceFlag, AttendanceFlag.line_id == ClaimLine.id)
        .where(ClaimLine.person_id == person_id, Claim.status != ClaimStatus.DRAFT)
        .order_by(ClaimLine.id.desc())
    ).all()
    return [
        ClaimInMyName(
            line.id,
            unit,
            entry or "",
            line.amount_fen,
            line.refund_fen,
            claim.status,
            claim.submitted_at,
            flag is not None,
        )
        for line, claim, unit, entry, flag in rows
    ]


def flag_not_attended(person_id: int, line_id: int, note: str = "") -> AttendanceFlag:
    """The trainee says they did not attend: the flag goes to the unit's district officer."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(_l("说明不超过 500 个字"), code="note_too_long")
    with unit_of_work() as session:
        row = session.execute(
            select(ClaimLine, Claim)
            .join(Claim, Claim.id == ClaimLine.claim_id)
            .where(
                ClaimLine.id == line_id,
                ClaimLine.person_id == person_id,
                Claim.status != ClaimStatus.DRAFT,
            )
        ).first()
        if row is None:
            raise NotFound(_l("未找到该记录"))
        line, claim = row
        if session.execute(
            select(AttendanceFlag.id).where(AttendanceFlag.line_id == line.id)
        ).first():
            raise Conflict(_l("您已经反映过这条记录"), code="flag_exists")
        flag = AttendanceFlag(
            line_id=line.id, person_id=person_id, unit_id=claim.unit_id, note=note
        )
        session.add(flag)
        session.flush()
        trainee = Actor(user_id=None, role=None, label=f"trainee:{person_id}")
        record(trainee, "claim.trainee_flagged", "claim", claim.id, {"line_id": line.id})
    return flag


@dataclass(frozen=True)
class FlagRow:
    """A flag as the district officer sees it."""

    flag: AttendanceFlag
    person: str
    id_masked: str
    unit: str
    claim_id: int


def flags_for(actor: Actor) -> list[FlagRow]:
    """Flags on the district's units (city and finance: all)."""
    actor.require(Role.DISTRICT, Role.CITY, Role.FINANCE)
    stmt = visible(
        select(AttendanceFlag, Person, TrainingUnit.name, ClaimLine.claim_id)
        .join(Person, Person.id == AttendanceFlag.person_id)
        .join(TrainingUnit, TrainingUnit.id == AttendanceFlag.unit_id)
        .join(ClaimLine, ClaimLine.id == AttendanceFlag.line_id)
        .order_by(AttendanceFlag.id.desc()),
        AttendanceFlag,
        actor,
    )
    return [
        FlagRow(f, mask_name(p.name), p.id_masked, unit, claim_id)
        for f, p, unit, claim_id in db.session.execute(stmt).all()
    ]
