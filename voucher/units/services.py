"""Training-unit use cases. The accepted list is read by issuance and redemption from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from stdnum.cn import uscc

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.catalog.services import get_entry
from voucher.core.districts import district_code
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, NotFound, ValidationFailed
from voucher.policy import POLICY
from voucher.units.models import AcceptedOccupation, ReviewRound, TrainingUnit, UnitStatus
from voucher.units.rules import (
    DEFAULT_CRITERIA,
    check_criteria,
    check_headcount,
    check_project_standard,
)


def register_unit(actor: Actor, *, name: str, credit_code: str, district: str) -> TrainingUnit:
    """Register a training unit with a valid unified social credit code in a Guangzhou district."""
    code, district_key = _check_unit(actor, credit_code, district)
    with unit_of_work():
        return _insert_unit(actor, name, code, district_key)


def add_unit(actor: Actor, *, name: str, credit_code: str, district: str) -> TrainingUnit:
    """Register a unit inside the caller's unit of work (same checks as :func:`register_unit`)."""
    code, district_key = _check_unit(actor, credit_code, district)
    return _insert_unit(actor, name, code, district_key)


def _check_unit(actor: Actor, credit_code: str, district: str) -> tuple[str, str]:
    actor.require(Role.CITY, Role.DISTRICT)
    code = credit_code.strip().upper()
    if not uscc.is_valid(code):
        raise ValidationFailed(
            _l("统一社会信用代码无效：%(c)s", c=credit_code), code="uscc_invalid"
        )
    district_key = district_code(district)
    if district_key is None:
        raise ValidationFailed(_l("未知的区：%(d)s", d=district), code="district_unknown")
    if actor.role is Role.DISTRICT and district_key != actor.district:
        raise ValidationFailed(_l("只能登记本区的培训机构"), code="district_mismatch")
    return code, district_key


def _insert_unit(actor: Actor, name: str, code: str, district_key: str) -> TrainingUnit:
    session = db.session
    if session.execute(select(TrainingUnit.id).where(TrainingUnit.credit_code == code)).first():
        raise Conflict(_l("该统一社会信用代码已登记"), code="unit_exists")
    unit = TrainingUnit(name=name.strip(), credit_code=code, district=district_key)
    session.add(unit)
    session.flush()
    record(actor, "unit.registered", "training_unit", unit.id, {"district": district_key})
    return unit


def accept_occupation(
    actor: Actor, unit_id: int, entry_id: int, *, headcount: int, standard_fen: int
) -> AcceptedOccupation:
    """Put a unit on the accepted list for one occupation (the city's decision)."""
    actor.require(Role.CITY)
    check_headcount(headcount)
    with unit_of_work() as session:
        unit = get_visible(TrainingUnit, unit_id, actor, for_update=True)
        entry = get_entry(entry_id)
        catalogue_max = max((s.amount_fen for s in entry.standards), default=None)
        check_project_standard(standard_fen, catalogue_max)
        row = AcceptedOccupation(
            unit_id=unit.id,
            entry_id=entry.id,
            name=entry.name,
            headcount=headcount,
            standard_fen=standard_fen,
        )
        session.add(row)
        if unit.status == UnitStatus.REGISTERED:
            unit.status = UnitStatus.ACCEPTED
            record(actor, "unit.accepted", "training_unit", unit.id)
        session.flush()
        record(
            actor,
            "unit.occupation_accepted",
            "training_unit",
            unit.id,
            {"entry_id": entry.id, "headcount": headcount, "standard_fen": standard_fen},
        )
    return row


@dataclass(frozen=True)
class AcceptedItem:
    """One line of the accepted list, as other modules read it."""

    unit_id: int
    unit_name: str
    district: str
    entry_id: int | None
    occupation: str
    headcount: int
    standard_fen: int
    unit_status: str


def accepted_list(*, unit_id: int | None = None, entry_id: int | None = None) -> list[AcceptedItem]:
    """The accepted units and occupations, with headcount, standard and the unit's status."""
    stmt = (
        select(AcceptedOccupation, TrainingUnit)
        .join(TrainingUnit, TrainingUnit.id == AcceptedOccupation.unit_id)
        .order_by(TrainingUnit.id, AcceptedOccupation.id)
    )
    if unit_id is not None:
        stmt = stmt.where(AcceptedOccupation.unit_id == unit_id)
    if entry_id is not None:
        stmt = stmt.where(AcceptedOccupation.entry_id == entry_id)
    return [
        AcceptedItem(
            unit_id=unit.id,
            unit_name=unit.name,
            district=unit.district,
            entry_id=occ.entry_id,
            occupation=occ.name,
            headcount=occ.headcount,
            standard_fen=occ.standard_fen,
            unit_status=unit.status,
        )
        for occ, unit in db.session.execute(stmt)
    ]


def create_round(
    actor: Actor,
    *,
    name: str,
    year: int,
    unit_deadline: date | None = None,
    district_deadline: date | None = None,
    notice_days: int = POLICY.notice_days,
    criteria: list[dict[str, Any]] | None = None,
) -> ReviewRound:
    """Open a solicitation round (city officers); deadlines default to 10 Aug and 25 Aug."""
    actor.require(Role.CITY)
    unit_deadline = unit_deadline or date(year, *POLICY.unit_deadline)
    district_deadline = district_deadline or date(year, *POLICY.district_deadline)
    criteria = criteria or DEFAULT_CRITERIA
    check_criteria(criteria)
    if not name.strip():
        raise ValidationFailed(_l("请填写批次名称"), code="round_name_required")
    if district_deadline < unit_deadline:
        raise ValidationFailed(
            _l("区人社局报送截止日期不能早于培训机构提交截止日期"), code="deadline_order"
        )
    if not 1 <= notice_days <= 60:
        raise ValidationFailed(_l("公示天数应在 1 到 60 天之间"), code="notice_days_invalid")
    with unit_of_work() as session:
        row = ReviewRound(
            name=name.strip(),
            year=year,
            unit_deadline=unit_deadline,
            district_deadline=district_deadline,
            notice_days=notice_days,
            criteria=list(criteria),
        )
        session.add(row)
        session.flush()
        record(
            actor,
            "round.created",
            "review_round",
            row.id,
            {
                "unit_deadline": unit_deadline.isoformat(),
                "district_deadline": district_deadline.isoformat(),
                "notice_days": notice_days,
            },
        )
    return row


def current_round() -> ReviewRound | None:
    """The newest open round, if any."""
    return (
        db.session.execute(
            select(ReviewRound).where(ReviewRound.open.is_(True)).order_by(ReviewRound.id.desc())
        )
        .scalars()
        .first()
    )


def close_round(actor: Actor, round_id: int) -> ReviewRound:
    """Close a round (city officers): it takes no new applications."""
    actor.require(Role.CITY)
    with unit_of_work() as session:
        row = session.get(ReviewRound, round_id)
        if row is None:
            raise NotFound(_l("未找到该征集批次"))
        if not row.open:
            raise Conflict(_l("该征集批次已关闭"), code="round_closed")
        row.open = False
        record(actor, "round.closed", "review_round", row.id)
    return row
