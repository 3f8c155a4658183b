"""Class use cases (开班备案): file, edit before the start, roster, change requests after it."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor, all_visible, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.core.clock import business_today
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from voucher.policy import POLICY
from voucher.redemption.models import (
    ChangeKind,
    ChangeStatus,
    ClassChangeRequest,
    Redemption,
    RedemptionStatus,
    TrainingClass,
)
from voucher.redemption.rules import (
    ClassDetails,
    check_filed_in_time,
    clean_class,
    clean_reason,
    roster_locked,
)
from voucher.units.models import AcceptedOccupation, TrainingUnit
from voucher.workcal.services import work_calendar

#: Fields a change request may alter once the roster is locked.
CHANGEABLE = ("end_date", "hours", "plan", "teachers", "site", "platform", "courses")


def _audit_details(details: ClassDetails) -> dict[str, Any]:
    data = asdict(details)
    for key in ("start_date", "end_date"):
        data[key] = data[key].isoformat()
    return data


def unit_occupations(actor: Actor) -> list[AcceptedOccupation]:
    """The occupations the operator's unit is accepted for (what a class may be filed for)."""
    actor.require(Role.UNIT)
    return list(
        db.session.execute(
            select(AcceptedOccupation)
            .where(AcceptedOccupation.unit_id == actor.unit_id)
            .order_by(AcceptedOccupation.id)
        ).scalars()
    )


def file_class(actor: Actor, occupation_id: int, details: ClassDetails) -> TrainingClass:
    """File a class for one of the unit's accepted occupations, on time (working days)."""
    actor.require(Role.UNIT)
    details = clean_class(details)
    today = business_today()
    with unit_of_work() as session:
        unit = get_visible(TrainingUnit, actor.unit_id, actor)
        if not unit.can_redeem:
            raise RuleViolation(
                _l("本机构不在揭榜单位名单内，不能备案开班"), code="unit_not_accepted"
            )
        occupation = session.get(AcceptedOccupation, occupation_id)
        if occupation is None or occupation.unit_id != unit.id:
            raise NotFound(_l("本机构未承接该职业（工种）"), code="occupation_not_accepted")
        check_filed_in_time(
            work_calendar(),
            filed_on=today,
            start_date=details.start_date,
            workdays=POLICY.class_filing_workdays,
        )
        klass = TrainingClass(
            unit_id=unit.id,
            occupation_id=occupation.id,
            entry_id=occupation.entry_id,
            filed_on=today,
            filed_by=actor.user_id,
            **asdict(details),
        )
        session.add(klass)
        session.flush()
        record(
            actor,
            "class.filed",
            "training_class",
            klass.id,
            {"occupation_id": occupation.id, **_audit_details(details)},
        )
    return klass


def _details_of(klass: TrainingClass) -> ClassDetails:
    return ClassDetails(
        name=klass.name,
        start_date=klass.start_date,
        end_date=klass.end_date,
        hours=klass.hours,
        plan=klass.plan,
        teachers=klass.teachers,
        fee_fen=klass.fee_fen,
        site=klass.site,
        mode=klass.mode,
        platform=klass.platform,
        courses=klass.courses,
        online_hours=klass.online_hours,
    )


def _has_active_redemptions(class_id: int) -> bool:
    return (
        db.session.execute(
            select(Redemption.id).where(
                Redemption.class_id == class_id, Redemption.status == RedemptionStatus.ACTIVE
            )
        ).first()
        is not None
    )


def update_class(actor: Actor, class_id: int, details: ClassDetails) -> TrainingClass:
    """Change a class before it starts; a new start date is checked against today's filing
    rule, and the fee is fixed once vouchers were redeemed against it."""
    actor.require(Role.UNIT)
    details = clean_class(details)
    today = business_today()
    with unit_of_work():
        klass = get_visible(TrainingClass, class_id, actor, for_update=True)
        if roster_locked(klass.start_date, today):
            raise RuleViolation(
                _l("班级已开班，名册已锁定：变更须提交申请，由区人社局审批"),
                code="roster_locked",
            )
        before = _details_of(klass)
        if details.start_date != klass.start_date:
            check_filed_in_time(
                work_calendar(),
                filed_on=today,
                start_date=details.start_date,
                workdays=POLICY.class_filing_workdays,
            )
        if details.fee_fen != klass.fee_fen and _has_active_redemptions(klass.id):
            raise RuleViolation(_l("已有学员用培训券抵扣，培训费用不能再修改"), code="fee_fixed")
        if details == before:
            return klass
        for key, value in asdict(details).items():
            setattr(klass, key, value)
        record(
            actor,
            "class.updated",
            "training_class",
            klass.id,
            {"before": _audit_details(before), "after": _audit_details(details)},
        )
    return klass


def list_classes(actor: Actor) -> list[TrainingClass]:
    """Classes in the caller's scope, newest start first."""
    rows = all_visible(TrainingClass, actor)
    return sorted(rows, key=lambda c: (c.start_date, c.id), reverse=True)


def get_class(actor: Actor, class_id: int) -> TrainingClass:
    """One class in scope (404 outside it)."""
    return get_visible(TrainingClass, class_id, actor)


def roster(actor: Actor, class_id: int) -> list[Redemption]:
    """The class's active redemptions (its roster), in redemption order."""
    klass = get_visible(TrainingClass, class_id, actor)
    return list(
        db.session.execute(
            select(Redemption)
            .where(Redemption.class_id == klass.id, Redemption.status == RedemptionStatus.ACTIVE)
            .order_by(Redemption.id)
        ).scalars()
    )


def open_classes(actor: Actor, entry_id: int | None = None) -> list[TrainingClass]:
    """The unit's classes a voucher may still join today (for the redeem form)."""
    from datetime import timedelta

    actor.require(Role.UNIT)
    today = business_today()
    stmt = select(TrainingClass).where(
        TrainingClass.unit_id == actor.unit_id,
        TrainingClass.start_date >= today - timedelta(days=POLICY.class_late_redeem_days),
        TrainingClass.end_date >= today,
    )
    if entry_id is not None:
        stmt = stmt.where(TrainingClass.entry_id == entry_id)
    return list(db.session.execute(stmt.order_by(TrainingClass.start_date)).scalars())


def _parse_changes(klass: TrainingClass, changes: dict[str, Any]) -> dict[str, Any]:
    """Check the requested detail changes by applying them to the class's details."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown or not changes:
        raise ValidationFailed(
            _l("只能申请变更结束日期、课时、计划、教师、地点、平台或课程"),
            code="change_fields_invalid",
        )
    values = dict(changes)
    if "end_date" in values and isinstance(values["end_date"], str):
        try:
            values["end_date"] = date.fromisoformat(values["end_date"])
        except ValueError:
            raise ValidationFailed(_l("日期格式应为 YYYY-MM-DD"), code="date_invalid") from None
    if "hours" in values:
        try:
            values["hours"] = int(values["hours"])
        except (TypeError, ValueError):
            raise ValidationFailed(_l("培训课时应为整数"), code="hours_invalid") from None
    clean_class(replace(_details_of(klass), **values))
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def request_change(
    actor: Actor,
    class_id: int,
    *,
    reason: str,
    changes: dict[str, Any] | None = None,
    redemption_id: int | None = None,
) -> ClassChangeRequest:
    """After the roster locked: ask the district to change details, or to void a redemption."""
    actor.require(Role.UNIT)
    reason = clean_reason(reason)
    with unit_of_work() as session:
        klass = get_visible(TrainingClass, class_id, actor)
        if redemption_id is not None:
            redemption = get_visible(Redemption, redemption_id, actor)
            if redemption.class_id != klass.id or redemption.status != RedemptionStatus.ACTIVE:
                raise Conflict(_l("该核销记录不在本班名册中"), code="not_on_roster")
            kind, cleaned = ChangeKind.VOID, {}
        else:
            kind, cleaned = ChangeKind.DETAILS, _parse_changes(klass, changes or {})
        pending = session.execute(
            select(ClassChangeRequest.id).where(
                ClassChangeRequest.class_id == klass.id,
                ClassChangeRequest.status == ChangeStatus.PENDING,
                ClassChangeRequest.redemption_id == redemption_id
                if redemption_id is not None
                else ClassChangeRequest.kind == ChangeKind.DETAILS,
            )
        ).first()
        if pending:
            raise Conflict(_l("已有同类变更申请在审批中"), code="change_pending")
        change = ClassChangeRequest(
            class_id=klass.id,
            unit_id=klass.unit_id,
            kind=kind,
            redemption_id=redemption_id,
            changes=cleaned,
            reason=reason,
            requested_by=actor.user_id,
        )
        session.add(change)
        session.flush()
        record(
            actor,
            "class.change_requested",
            "training_class",
            klass.id,
            {"change_id": change.id, "kind": kind, "changes": cleaned, "reason": reason},
        )
    return change


def list_changes(actor: Actor, *, pending_only: bool = False) -> list[ClassChangeRequest]:
    """Change requests in scope (a district sees its units'), newest first."""
    where = [ClassChangeRequest.status == ChangeStatus.PENDING] if pending_only else []
    rows = all_visible(ClassChangeRequest, actor, *where)
    return sorted(rows, key=lambda c: c.id, reverse=True)


def decide_change(actor: Actor, change_id: int, *, approve: bool, note: str = "") -> Any:
    """The district officer approves (applies) or rejects a change request; audited."""
    from voucher.redemption.services import void_in_session

    actor.require(Role.DISTRICT, Role.CITY)
    note = (note or "").strip()[:500]
    if not approve and not note:
        raise ValidationFailed(_l("驳回时请填写理由"), code="note_required")
    with unit_of_work():
        change = get_visible(ClassChangeRequest, change_id, actor, for_update=True)
        if change.status != ChangeStatus.PENDING:
            raise Conflict(_l("该申请已处理"), code="change_decided")
        change.status = ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED
        change.decided_at, change.decided_by, change.decision_note = utcnow(), actor.user_id, note
        if approve:
            klass = change.training_class
            if change.kind == ChangeKind.VOID and change.redemption_id is not None:
                void_in_session(actor, change.redemption_id, reason=change.reason)
            else:
                values = dict(change.changes)
                if "end_date" in values:
                    values["end_date"] = date.fromisoformat(values["end_date"])
                clean_class(replace(_details_of(klass), **values))
                for key, value in values.items():
                    setattr(klass, key, value)
        record(
            actor,
            "class.change_approved" if approve else "class.change_rejected",
            "training_class",
            change.class_id,
            {"change_id": change.id, "kind": change.kind, "note": note},
        )
    return change
