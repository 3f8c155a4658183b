"""The review side of a round (notice §四): district first review, city scoring, collective
decision, public notice (公示) with objections, and filing with the province.

Every use case loads the application through the caller's scope (another district's application
is "not found"), checks the state and the rules before writing, and audits the change in the
same unit of work. A refusal is a :class:`~voucher.errors.DomainError` with a Chinese message;
nothing is written then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from voucher.accounts.access import Actor, all_visible, get_visible
from voucher.accounts.roles import Role
from voucher.audit.models import AuditEvent
from voucher.audit.services import events_for, record
from voucher.catalog.models import CatalogueEntry
from voucher.core.clock import business_today
from voucher.core.money import format_yuan
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, RuleViolation, ValidationFailed
from voucher.units.labels import (
    action_label,
    review_status_label,
)
from voucher.units.models import (
    AcceptedOccupation,
    Application,
    ApplicationOccupation,
    ApplicationScore,
    ApplicationStatus,
    NoticeObjection,
    TrainingUnit,
    UnitStatus,
)
from voucher.units.rules import (
    check_deadline,
    check_headcount,
    check_project_standard,
    check_score,
    weighted_score,
)
from voucher.units.services import AcceptedItem, accepted_list

S = ApplicationStatus

#: Statuses at or after the district's first review: what the district summary and the city see.
PASSED_OR_LATER = (S.DISTRICT_PASSED, S.APPROVED, S.REJECTED, S.IN_NOTICE, S.ACCEPTED)
#: What a district officer works on: submitted, returned and everything it passed.
DISTRICT_STATUSES = (S.SUBMITTED, S.RETURNED, *PASSED_OR_LATER)

# ---- loading ----------------------------------------------------------------------------------


def _load(actor: Actor, application_id: int) -> Application:
    """The application in the caller's scope, locked for the change (NotFound otherwise)."""
    return get_visible(Application, application_id, actor, for_update=True)


def _require_status(application: Application, *allowed: str, doing: Any) -> None:
    if application.status not in allowed:
        raise Conflict(
            _l(
                "申报当前状态为“%(s)s”，不能%(doing)s",
                s=review_status_label(application.status),
                doing=doing,
            ),
            code="wrong_state",
        )


def _reason(text: str | None, *, message: Any) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ValidationFailed(message, code="reason_required", errors={"reason": str(message)})
    return reason


def get_for_review(actor: Actor, application_id: int) -> Application:
    """One application the district or city officer may see (NotFound otherwise)."""
    actor.require(Role.CITY, Role.DISTRICT)
    return get_visible(Application, application_id, actor)


def list_for_review(
    actor: Actor, *, round_id: int | None = None, statuses: tuple[str, ...] | None = None
) -> list[Application]:
    """Applications in the caller's scope: a district's submitted and later ones, the city's
    passed-by-district and later ones; by id."""
    actor.require(Role.CITY, Role.DISTRICT)
    if statuses is None:
        statuses = DISTRICT_STATUSES if actor.role is Role.DISTRICT else PASSED_OR_LATER
    where: list[Any] = [Application.status.in_(statuses)]
    if round_id is not None:
        where.append(Application.round_id == round_id)
    return sorted(all_visible(Application, actor, *where), key=lambda a: a.id)


# ---- district first review --------------------------------------------------------------------


def district_pass(actor: Actor, application_id: int, *, today: date | None = None) -> Application:
    """The district passes a submitted application into its summary, before its deadline."""
    actor.require(Role.DISTRICT)
    today = today or business_today()
    with unit_of_work():
        application = _load(actor, application_id)
        _require_status(application, S.SUBMITTED, doing=_l("初审通过"))
        deadline = application.round.district_deadline
        check_deadline(today, deadline, who=str(_l("区人社局报送")))
        application.status = S.DISTRICT_PASSED
        application.district_reason = ""
        record(
            actor,
            "application.district_passed",
            "application",
            application.id,
            {"on": today.isoformat(), "deadline": deadline.isoformat()},
        )
    return application


def district_return(
    actor: Actor, application_id: int, reason: str, *, today: date | None = None
) -> Application:
    """The district returns a submitted application with reasons; the unit may edit it again."""
    actor.require(Role.DISTRICT)
    today = today or business_today()
    reason = _reason(reason, message=_l("退回须填写理由"))
    with unit_of_work():
        application = _load(actor, application_id)
        _require_status(application, S.SUBMITTED, doing=_l("退回"))
        deadline = application.round.district_deadline
        check_deadline(today, deadline, who=str(_l("区人社局报送")))
        application.status = S.RETURNED
        application.district_reason = reason
        record(
            actor,
            "application.returned",
            "application",
            application.id,
            {"reason": reason, "on": today.isoformat()},
        )
    return application


# ---- city scoring -----------------------------------------------------------------------------


def _reviewer_key(reviewer_id: int | None, reviewer: str) -> str:
    return f"user:{reviewer_id}" if reviewer_id is not None else f"label:{reviewer}"


def record_scores(
    actor: Actor, application_id: int, scores: Mapping[str, int]
) -> list[ApplicationScore]:
    """One reviewer's score sheet (every criterion of the round, 0–100); replaces their earlier
    sheet for this application."""
    actor.require(Role.CITY)
    with unit_of_work() as session:
        application = _load(actor, application_id)
        _require_status(application, S.DISTRICT_PASSED, doing=_l("评分"))
        criteria = application.round.criteria or []
        keys = [c["key"] for c in criteria]
        errors: dict[str, str] = {}
        unknown = sorted(set(scores) - set(keys))
        if unknown:
            raise ValidationFailed(
                _l("未知的评分项：%(k)s", k="、".join(unknown)), code="criterion_unknown"
            )
        for item in criteria:
            value = scores.get(item["key"])
            if value is None:
                errors[item["key"]] = str(_l("请为“%(c)s”打分", c=item["label"]))
                continue
            try:
                check_score(int(value))
            except RuleViolation as exc:
                errors[item["key"]] = f"{item['label']}：{exc}"
        if errors:
            raise ValidationFailed("；".join(errors.values()), code="score_invalid", errors=errors)
        where = (
            ApplicationScore.reviewer_id == actor.user_id
            if actor.user_id is not None
            else ApplicationScore.reviewer == actor.label
        )
        session.execute(
            delete(ApplicationScore).where(ApplicationScore.application_id == application.id, where)
        )
        now = utcnow()
        rows = [
            ApplicationScore(
                application_id=application.id,
                reviewer_id=actor.user_id,
                reviewer=actor.label[:64],
                criterion=key,
                score=int(scores[key]),
                scored_at=now,
            )
            for key in keys
        ]
        session.add_all(rows)
        sheet = {k: int(scores[k]) for k in keys}
        total = weighted_score(criteria, [("me", k, v) for k, v in sheet.items()])
        record(
            actor,
            "application.scored",
            "application",
            application.id,
            {"scores": sheet, "total": total},
        )
    db.session.expire(application, ["scores"])
    return rows


@dataclass(frozen=True)
class ScoreSheet:
    """One reviewer's scores and weighted total (None while incomplete)."""

    reviewer: str
    reviewer_id: int | None
    scores: dict[str, int]
    total: float | None


@dataclass(frozen=True)
class ScoreSummary:
    """The round's criteria, every reviewer's sheet, and the average weighted score."""

    criteria: list[dict[str, Any]]
    sheets: list[ScoreSheet] = field(default_factory=list)
    weighted: float | None = None

    @property
    def complete_sheets(self) -> int:
        return sum(1 for s in self.sheets if s.total is not None)


def score_summary(application: Application) -> ScoreSummary:
    """Weighted score over the round's criteria (average of complete sheets) and each sheet."""
    criteria = list(application.round.criteria or [])
    rows = db.session.execute(
        select(ApplicationScore)
        .where(ApplicationScore.application_id == application.id)
        .order_by(ApplicationScore.id)
    ).scalars()
    grouped: dict[str, tuple[str, int | None, dict[str, int]]] = {}
    for row in rows:
        key = _reviewer_key(row.reviewer_id, row.reviewer)
        grouped.setdefault(key, (row.reviewer, row.reviewer_id, {}))[2][row.criterion] = row.score
    sheets = [
        ScoreSheet(
            reviewer=name,
            reviewer_id=reviewer_id,
            scores=scores,
            total=weighted_score(criteria, [(key, k, v) for k, v in scores.items()]),
        )
        for key, (name, reviewer_id, scores) in grouped.items()
    ]
    flat = [(key, k, v) for key, (_n, _r, scores) in grouped.items() for k, v in scores.items()]
    return ScoreSummary(criteria=criteria, sheets=sheets, weighted=weighted_score(criteria, flat))


# ---- collective decision ----------------------------------------------------------------------


def catalogue_ceiling(entry: CatalogueEntry | None) -> int | None:
    """The catalogue's highest standard for an entry (None: no entry or no standard set)."""
    if entry is None:
        return None
    return max((s.amount_fen for s in entry.standards), default=None)


def decide(
    actor: Actor,
    application_id: int,
    *,
    approve: bool,
    reason: str = "",
    accepted: Mapping[int, tuple[int, int]] | None = None,
) -> Application:
    """Record the collective decision (集体决策).

    Approving needs at least one complete score sheet and, for each accepted occupation
    (application occupation id → (headcount, standard in fen)), a headcount above 0 and a
    standard of at most 800 yuan unless the catalogue's standard for the entry is higher.
    Rejecting needs a reason. An application in notice with an upheld objection may still be
    rejected.
    """
    actor.require(Role.CITY)
    accepted = dict(accepted or {})
    if not approve:
        reason = _reason(reason, message=_l("不予通过须填写理由"))
    with unit_of_work():
        application = _load(actor, application_id)
        upheld = any(o.upheld for o in application.objections)
        if approve or not (application.status == S.IN_NOTICE and upheld):
            _require_status(application, S.DISTRICT_PASSED, doing=_l("作出决策"))
        data: dict[str, Any] = {"reason": reason.strip()}
        if approve:
            summary = score_summary(application)
            if summary.weighted is None:
                raise RuleViolation(_l("尚无完整的评分表，不能决定通过"), code="scores_missing")
            occupations = {o.id: o for o in application.occupations}
            if not accepted:
                raise ValidationFailed(
                    _l("请至少为一个职业（工种）填写核定人数和补贴标准"),
                    code="accepted_missing",
                )
            unknown = [k for k in accepted if k not in occupations]
            if unknown:
                raise ValidationFailed(_l("该申报没有这个职业（工种）"), code="occupation_unknown")
            errors: dict[str, str] = {}
            for occupation_id, (headcount, standard_fen) in accepted.items():
                occupation = occupations[occupation_id]
                try:
                    check_headcount(headcount)
                    check_project_standard(standard_fen, catalogue_ceiling(occupation.entry))
                except RuleViolation as exc:
                    errors[str(occupation_id)] = f"{occupation.occupation_name}：{exc}"
            if errors:
                raise RuleViolation(
                    "；".join(errors.values()), code="acceptance_invalid", errors=errors
                )
            for occupation in application.occupations:
                headcount, standard_fen = accepted.get(occupation.id, (None, None))
                occupation.accepted_headcount = headcount
                occupation.accepted_standard_fen = standard_fen
            data.update(
                score=summary.weighted,
                sheets=summary.complete_sheets,
                accepted={
                    str(k): {"headcount": h, "standard_fen": s} for k, (h, s) in accepted.items()
                },
            )
        else:
            for occupation in application.occupations:
                occupation.accepted_headcount = None
                occupation.accepted_standard_fen = None
            data["from"] = application.status
        application.status = S.APPROVED if approve else S.REJECTED
        application.decision_reason = reason.strip()
        application.decided_at = utcnow()
        action = "application.approved" if approve else "application.rejected"
        record(actor, action, "application", application.id, data)
    return application


# ---- public notice ----------------------------------------------------------------------------


def start_notice(actor: Actor, application_id: int, *, start: date) -> Application:
    """Publish an approved application for the round's number of notice days (公示)."""
    actor.require(Role.CITY)
    with unit_of_work():
        application = _load(actor, application_id)
        _require_status(application, S.APPROVED, doing=_l("开始公示"))
        days = application.round.notice_days
        application.status = S.IN_NOTICE
        application.notice_start = start
        application.notice_end = start + timedelta(days=days - 1)
        record(
            actor,
            "application.notice_started",
            "application",
            application.id,
            {
                "notice_start": start.isoformat(),
                "notice_end": application.notice_end.isoformat(),
                "days": days,
            },
        )
    return application


def record_objection(
    actor: Actor,
    application_id: int,
    *,
    content: str,
    received_on: date,
    resolution: str = "",
    upheld: bool = False,
) -> NoticeObjection:
    """Record an objection received during the notice and how it was handled."""
    actor.require(Role.CITY)
    content = (content or "").strip()
    if not content:
        message = _l("请填写异议内容")
        raise ValidationFailed(message, code="content_required", errors={"content": str(message)})
    with unit_of_work() as session:
        application = _load(actor, application_id)
        _require_status(application, S.IN_NOTICE, doing=_l("记录公示异议"))
        assert application.notice_start is not None
        if received_on < application.notice_start:
            raise RuleViolation(
                _l(
                    "异议收到日期不能早于公示开始日期 %(d)s", d=application.notice_start.isoformat()
                ),
                code="objection_date_invalid",
            )
        row = NoticeObjection(
            application_id=application.id,
            received_on=received_on,
            content=content,
            resolution=(resolution or "").strip(),
            upheld=bool(upheld),
            recorded_by=actor.user_id,
        )
        session.add(row)
        session.flush()
        record(
            actor,
            "application.objection_recorded",
            "application",
            application.id,
            {
                "objection_id": row.id,
                "received_on": received_on.isoformat(),
                "upheld": bool(upheld),
                "resolution": row.resolution,
            },
        )
    db.session.expire(application, ["objections"])
    return row


# ---- filing with the province -----------------------------------------------------------------


def file_with_province(
    actor: Actor, application_id: int, *, filed_on: date, reference: str
) -> Application:
    """Record the filing with the province after the notice ended without an upheld objection:
    the unit joins the accepted list for the accepted occupations."""
    actor.require(Role.CITY)
    reference = (reference or "").strip()
    if not reference:
        message = _l("请填写备案文号")
        raise ValidationFailed(
            message, code="reference_required", errors={"reference": str(message)}
        )
    with unit_of_work() as session:
        application = _load(actor, application_id)
        _require_status(application, S.IN_NOTICE, doing=_l("报省备案"))
        assert application.notice_end is not None
        if filed_on <= application.notice_end:
            raise RuleViolation(
                _l(
                    "公示期至 %(d)s 结束，公示期满后才能报省备案",
                    d=application.notice_end.isoformat(),
                ),
                code="notice_not_over",
            )
        if any(o.upheld for o in application.objections):
            raise RuleViolation(_l("公示期间有成立的异议，不能报省备案"), code="objection_upheld")
        unit = get_visible(TrainingUnit, application.unit_id, actor, for_update=True)
        accepted_rows = []
        for occupation in application.occupations:
            if occupation.accepted_headcount is None or occupation.accepted_standard_fen is None:
                continue
            accepted_rows.append(_accept(session, unit, occupation))
        application.status = S.ACCEPTED
        application.filed_at = filed_on
        application.filing_reference = reference
        record(
            actor,
            "application.filed",
            "application",
            application.id,
            {
                "filed_on": filed_on.isoformat(),
                "reference": reference,
                "occupations": [o.application_occupation_id for o in accepted_rows],
            },
        )
        if unit.status == UnitStatus.REGISTERED:
            unit.status = UnitStatus.ACCEPTED
            record(
                actor,
                "unit.accepted",
                "training_unit",
                unit.id,
                {"application_id": application.id},
            )
        session.flush()
        for row in accepted_rows:
            record(
                actor,
                "unit.occupation_accepted",
                "training_unit",
                unit.id,
                {
                    "entry_id": row.entry_id,
                    "name": row.name,
                    "headcount": row.headcount,
                    "standard_fen": row.standard_fen,
                    "application_id": application.id,
                },
            )
    return application


def _accept(
    session: Any, unit: TrainingUnit, occupation: ApplicationOccupation
) -> AcceptedOccupation:
    """The accepted-list row of an occupation: a catalogue occupation the unit already holds
    is updated (one row per unit and entry), otherwise a new row."""
    assert occupation.accepted_headcount is not None
    assert occupation.accepted_standard_fen is not None
    row = None
    if occupation.entry_id is not None:
        row = session.execute(
            select(AcceptedOccupation).where(
                AcceptedOccupation.unit_id == unit.id,
                AcceptedOccupation.entry_id == occupation.entry_id,
            )
        ).scalar_one_or_none()
    name = occupation.occupation_name[:64]
    if row is None:
        row = AcceptedOccupation(unit_id=unit.id, entry_id=occupation.entry_id)
    row.name = name
    row.headcount = occupation.accepted_headcount
    row.standard_fen = occupation.accepted_standard_fen
    row.application_occupation_id = occupation.id
    row.accepted_at = utcnow()
    session.add(row)
    return row


# ---- timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One step of an application's history, ready to show."""

    at: Any
    actor: str
    action: str
    label: str
    detail: str


def _detail(event: AuditEvent) -> str:
    data = event.data or {}
    parts: list[str] = []
    if data.get("reason"):
        parts.append(str(_l("理由：%(r)s", r=data["reason"])))
    if data.get("total") is not None:
        parts.append(str(_l("加权得分 %(t)s", t=data["total"])))
    if data.get("score") is not None:
        parts.append(str(_l("平均加权得分 %(t)s", t=data["score"])))
    if isinstance(data.get("accepted"), dict):
        for item in data["accepted"].values():
            parts.append(
                str(
                    _l(
                        "核定 %(h)s 人、%(y)s 元/人",
                        h=item.get("headcount"),
                        y=format_yuan(int(item.get("standard_fen") or 0)),
                    )
                )
            )
    if data.get("notice_start"):
        parts.append(
            str(_l("公示期 %(a)s 至 %(b)s", a=data["notice_start"], b=data.get("notice_end")))
        )
    if "upheld" in data:
        parts.append(str(_l("异议成立")) if data["upheld"] else str(_l("异议不成立")))
    if data.get("resolution"):
        parts.append(str(_l("处理：%(r)s", r=data["resolution"])))
    if data.get("reference"):
        parts.append(str(_l("备案文号：%(r)s", r=data["reference"])))
    return "；".join(parts)


def timeline(actor: Actor, application_id: int) -> list[TimelineItem]:
    """The application's audit events, oldest first, in Chinese."""
    application = get_for_review(actor, application_id)
    return [
        TimelineItem(
            at=e.at, actor=e.actor, action=e.action, label=action_label(e.action), detail=_detail(e)
        )
        for e in events_for("application", application.id)
    ]


# ---- public directory -------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryUnit:
    """An accepted unit as trainees see it, with the occupations it trains."""

    unit_id: int
    name: str
    district: str
    status: str
    occupations: list[AcceptedItem]


def directory(*, district: str | None = None, occupation: str = "") -> list[DirectoryUnit]:
    """Accepted units still on the list (not removed), optionally in one district and with an
    occupation whose name contains ``occupation``."""
    wanted = occupation.strip()
    units: dict[int, DirectoryUnit] = {}
    for item in accepted_list():
        if item.unit_status == UnitStatus.REMOVED:
            continue
        if district and item.district != district:
            continue
        if wanted and wanted not in item.occupation:
            continue
        units.setdefault(
            item.unit_id,
            DirectoryUnit(item.unit_id, item.unit_name, item.district, item.unit_status, []),
        ).occupations.append(item)
    return sorted(units.values(), key=lambda u: (u.district, u.name))
