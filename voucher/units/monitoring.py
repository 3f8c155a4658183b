"""District monitoring of accepted units (notice §七(三)): phase evaluations, warnings with a
correction deadline, corrections, and removal from the accepted list (退出揭榜单位名单) after a
warning that was not corrected in time.

District officers act on their district's units (another district's unit is "not found"); the
city may act on every unit. A removed unit redeems no new vouchers (``TrainingUnit.can_redeem``);
what it trained before stays claimable (``POLICY.removed_unit_keeps_claims``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor, all_visible, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.core.clock import business_today
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, RuleViolation, ValidationFailed
from voucher.units.labels import unit_status_label
from voucher.units.models import MonitoringKind, MonitoringRecord, TrainingUnit, UnitStatus
from voucher.units.rules import can_remove

K = MonitoringKind

#: Phase-evaluation ratings (阶段化评估结果).
RATINGS = {
    "excellent": _l("优秀"),
    "good": _l("良好"),
    "pass": _l("合格"),
    "fail": _l("不合格"),
}
KIND_LABELS = {
    K.EVALUATION: _l("阶段评估"),
    K.WARNING: _l("提醒警告"),
    K.CORRECTED: _l("已整改"),
    K.REMOVAL: _l("退出揭榜单位名单"),
}
MONITORED = (UnitStatus.ACCEPTED, UnitStatus.WARNED)


def _note(text: str | None, message: object) -> str:
    note = (text or "").strip()
    if not note:
        raise ValidationFailed(str(message), code="note_required", errors={"note": str(message)})
    return note


def _unit(actor: Actor, unit_id: int) -> TrainingUnit:
    actor.require(Role.DISTRICT, Role.CITY)
    return get_visible(TrainingUnit, unit_id, actor, for_update=True)


def _monitored(unit: TrainingUnit) -> None:
    if unit.status not in MONITORED:
        raise Conflict(
            _l("该机构不在揭榜单位名单上（当前状态：%(s)s）", s=unit_status_label(unit.status)),
            code="wrong_state",
        )


def _add(
    actor: Actor, unit: TrainingUnit, kind: str, note: str, **extra: object
) -> MonitoringRecord:
    row = MonitoringRecord(
        unit_id=unit.id,
        district=unit.district,
        kind=kind,
        note=note,
        recorded_by=actor.user_id,
        **extra,
    )
    db.session.add(row)
    db.session.flush()
    return row


def records_for(actor: Actor, unit_id: int) -> list[MonitoringRecord]:
    """The unit's monitoring records in the caller's scope, oldest first."""
    unit = get_visible(TrainingUnit, unit_id, actor)
    return sorted(
        all_visible(MonitoringRecord, actor, MonitoringRecord.unit_id == unit.id),
        key=lambda r: r.id,
    )


@dataclass(frozen=True)
class WarningState:
    """A warning with its correction (if any)."""

    warning: MonitoringRecord
    corrected_by: MonitoringRecord | None

    @property
    def corrected(self) -> bool:
        return self.corrected_by is not None


def warnings_of(unit_id: int) -> list[WarningState]:
    """Every warning of a unit and whether it was corrected."""
    rows = list(
        db.session.execute(
            select(MonitoringRecord)
            .where(
                MonitoringRecord.unit_id == unit_id,
                MonitoringRecord.kind.in_((K.WARNING, K.CORRECTED)),
            )
            .order_by(MonitoringRecord.id)
        ).scalars()
    )
    corrections = {r.warning_id: r for r in rows if r.kind == K.CORRECTED}
    return [
        WarningState(warning=r, corrected_by=corrections.get(r.id))
        for r in rows
        if r.kind == K.WARNING
    ]


def monitored_units(actor: Actor) -> list[TrainingUnit]:
    """The units the caller monitors (a district's own, the city's all), by id."""
    actor.require(Role.DISTRICT, Role.CITY)
    return sorted(
        all_visible(TrainingUnit, actor, TrainingUnit.status != UnitStatus.REGISTERED),
        key=lambda u: u.id,
    )


def evaluate(actor: Actor, unit_id: int, note: str, rating: str) -> MonitoringRecord:
    """Record a phase evaluation (阶段化评估) of an accepted unit."""
    note = _note(note, _l("请填写评估意见"))
    if rating not in RATINGS:
        raise ValidationFailed(
            str(_l("请选择评估结果")), code="rating_invalid", errors={"rating": "invalid"}
        )
    with unit_of_work():
        unit = _unit(actor, unit_id)
        _monitored(unit)
        row = _add(actor, unit, K.EVALUATION, note, rating=rating)
        record(
            actor,
            "unit.evaluated",
            "training_unit",
            unit.id,
            {"record_id": row.id, "rating": rating, "note": note},
        )
    return row


def warn(
    actor: Actor, unit_id: int, note: str, deadline: date, *, today: date | None = None
) -> MonitoringRecord:
    """Warn an accepted unit with a correction deadline (提醒警告); the unit becomes WARNED."""
    today = today or business_today()
    note = _note(note, _l("请填写警告内容"))
    if deadline <= today:
        raise ValidationFailed(
            str(_l("整改期限应晚于今天（%(d)s）", d=today.isoformat())),
            code="deadline_invalid",
            errors={"deadline": "invalid"},
        )
    with unit_of_work():
        unit = _unit(actor, unit_id)
        _monitored(unit)
        row = _add(actor, unit, K.WARNING, note, deadline=deadline)
        previous = unit.status
        unit.status = UnitStatus.WARNED
        record(
            actor,
            "unit.warned",
            "training_unit",
            unit.id,
            {"record_id": row.id, "deadline": deadline.isoformat(), "note": note, "from": previous},
        )
    return row


def mark_corrected(actor: Actor, record_id: int, note: str = "") -> MonitoringRecord:
    """Record that a warning was corrected; with no open warning left the unit is ACCEPTED again."""
    actor.require(Role.DISTRICT, Role.CITY)
    with unit_of_work():
        warning = get_visible(MonitoringRecord, record_id, actor)
        if warning.kind != K.WARNING:
            raise Conflict(_l("只能对提醒警告记录整改"), code="not_a_warning")
        unit = _unit(actor, warning.unit_id)
        _monitored(unit)
        states = warnings_of(unit.id)
        if any(s.warning.id == warning.id and s.corrected for s in states):
            raise Conflict(_l("该警告已记录整改"), code="already_corrected")
        row = _add(
            actor,
            unit,
            K.CORRECTED,
            (note or "").strip() or str(_l("已按要求整改")),
            warning_id=warning.id,
        )
        open_left = [s for s in states if not s.corrected and s.warning.id != warning.id]
        data: dict[str, object] = {"record_id": row.id, "warning_id": warning.id}
        if not open_left and unit.status == UnitStatus.WARNED:
            unit.status = UnitStatus.ACCEPTED
            data["status"] = UnitStatus.ACCEPTED
        record(actor, "unit.corrected", "training_unit", unit.id, data)
    return row


def remove(actor: Actor, unit_id: int, note: str, *, today: date | None = None) -> MonitoringRecord:
    """Remove a unit from the accepted list after a warning whose deadline passed uncorrected."""
    today = today or business_today()
    note = _note(note, _l("请填写退出理由"))
    with unit_of_work():
        unit = _unit(actor, unit_id)
        _monitored(unit)
        states = warnings_of(unit.id)
        pairs = [(s.warning.deadline or today, s.corrected) for s in states]
        if not can_remove(pairs, today):
            open_deadlines = sorted(d for d, corrected in pairs if not corrected)
            if open_deadlines:
                message = _l(
                    "整改期限 %(d)s 尚未届满，期满仍未整改才能退出揭榜单位名单",
                    d=open_deadlines[0].isoformat(),
                )
            else:
                message = _l("该机构没有未整改的提醒警告，不能退出揭榜单位名单")
            raise RuleViolation(message, code="removal_not_allowed")
        row = _add(actor, unit, K.REMOVAL, note)
        previous = unit.status
        unit.status = UnitStatus.REMOVED
        record(
            actor,
            "unit.removed",
            "training_unit",
            unit.id,
            {"record_id": row.id, "note": note, "from": previous, "on": today.isoformat()},
        )
    return row
