"""Review pages: the district's first review and summary, the city's scoring, decision, notice and
filing, district monitoring of accepted units, and the public directory of accepted units.

Views parse the form, call one service and redirect (303) on success; a refused action shows
the page again with the reason (422) and nothing changed. Another district's object answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from voucher.accounts.access import get_visible
from voucher.accounts.roles import Role
from voucher.core.districts import DISTRICTS, district_code
from voucher.core.money import parse_yuan
from voucher.core.spreadsheet import XLSX_MIME
from voucher.errors import DomainError, Forbidden, NotFound, ValidationFailed
from voucher.units import monitoring, review
from voucher.units.exports import form_text
from voucher.units.labels import review_status_label
from voucher.units.models import Application, ApplicationStatus, TrainingUnit
from voucher.units.review_exports import district_summary_xlsx
from voucher.units.rules import CATEGORIES
from voucher.units.services import current_round
from voucher.web import attachment_header, current_actor

bp = Blueprint("review", __name__)

S = ApplicationStatus


# ---- forms ------------------------------------------------------------------------------------


class ActionForm(FlaskForm):
    """A button with a CSRF token; ``back`` says which page to show again on a refusal."""

    back = HiddenField(default="detail")


class ReturnForm(ActionForm):
    """District: return with reasons."""

    reason = TextAreaField(_l("退回理由"), validators=[Length(max=2000)])


class DecisionForm(FlaskForm):
    """City: the collective decision (per-occupation fields are read from the request)."""

    decision = SelectField(
        _l("集体决策"), choices=[("approve", _l("通过")), ("reject", _l("不予通过"))]
    )
    reason = TextAreaField(_l("决策意见 / 不予通过理由"), validators=[Length(max=2000)])


class NoticeForm(FlaskForm):
    """City: start the public notice."""

    start = DateField(_l("公示开始日期"), validators=[DataRequired(_l("请填写日期"))])


class ObjectionForm(FlaskForm):
    """City: an objection received during the notice."""

    content = TextAreaField(_l("异议内容"), validators=[Length(max=4000)])
    received_on = DateField(_l("收到日期"), validators=[DataRequired(_l("请填写日期"))])
    resolution = TextAreaField(_l("核实处理情况"), validators=[Length(max=4000)])
    upheld = BooleanField(_l("异议成立"))


class FilingForm(FlaskForm):
    """City: filing with the province."""

    filed_on = DateField(_l("报省备案日期"), validators=[DataRequired(_l("请填写日期"))])
    reference = StringField(_l("备案文号"), validators=[Length(max=120)])


class EvaluateForm(FlaskForm):
    """District: a phase evaluation."""

    rating = SelectField(_l("评估结果"), choices=list(monitoring.RATINGS.items()))
    note = TextAreaField(_l("评估意见"), validators=[Length(max=4000)])


class WarnForm(FlaskForm):
    """District: a warning with a correction deadline."""

    note = TextAreaField(_l("警告内容（需整改的问题）"), validators=[Length(max=4000)])
    deadline = DateField(_l("整改期限"), validators=[DataRequired(_l("请填写整改期限"))])


class NoteForm(FlaskForm):
    """A note with a CSRF token (correction, removal)."""

    note = TextAreaField(_l("说明"), validators=[Optional(), Length(max=4000)])


def _form_error(form: FlaskForm) -> ValidationFailed:
    messages = [str(m) for errors in form.errors.values() for m in errors]
    return ValidationFailed("；".join(messages) or _("提交的内容有误"))


def _act(
    form: FlaskForm, action: Callable[[], Any], success: str, done: str, again: Callable[[], Any]
) -> Any:
    """Validate, call the service, redirect; show ``again`` with the reason (422) on refusal."""
    try:
        if not form.validate_on_submit():
            raise _form_error(form)
        action()
    except (NotFound, Forbidden):
        raise
    except DomainError as exc:
        flash(str(exc), "error")
        return again(), 422
    flash(success, "success")
    return redirect(done, code=303)


# ---- district ---------------------------------------------------------------------------------


def _round_id() -> int | None:
    rnd = current_round()
    return rnd.id if rnd is not None else None


def _grouped(applications: list[Application], order: tuple[str, ...]) -> list[tuple[str, Any]]:
    groups = [(s, [a for a in applications if a.status == s]) for s in order]
    return [(review_status_label(s), items) for s, items in groups if items]


def _district_page() -> str:
    actor = current_actor()
    actor.require(Role.DISTRICT)
    applications = review.list_for_review(actor, round_id=_round_id())
    return render_template(
        "review/district.html",
        actor=actor,
        rnd=current_round(),
        groups=_grouped(applications, review.DISTRICT_STATUSES),
        pass_form=ActionForm(back="list"),
        return_form=ReturnForm(back="list"),
    )


@bp.route("/review/district")
@login_required
def district() -> Any:
    """The district's applications by status, with pass / return and the summary export."""
    return _district_page()


@bp.route("/review/district/export.xlsx")
@login_required
def district_export() -> Any:
    """附件3 申报汇总表 (a district's own; the city names the district)."""
    actor = current_actor()
    district = request.args.get("district") or None
    if actor.role is Role.CITY and district_code(district or "") is None:
        flash(_("请选择要导出的区"), "error")
        return redirect(url_for("review.city"))
    filename, data = district_summary_xlsx(actor, district=district)
    return current_app.response_class(
        data, mimetype=XLSX_MIME, headers={"Content-Disposition": attachment_header(filename)}
    )


def _again(application_id: int) -> Callable[[], Any]:
    def show() -> Any:
        if request.form.get("back") == "list":
            return _district_page()
        return _application_page(application_id)

    return show


@bp.route("/review/applications/<int:application_id>/pass", methods=["POST"])
@login_required
def district_pass(application_id: int) -> Any:
    """District: pass into the summary."""
    actor = current_actor()
    form = ActionForm()
    done = url_for("review.district") if form.back.data == "list" else _detail(application_id)
    return _act(
        form,
        lambda: review.district_pass(actor, application_id),
        _("已初审通过，纳入本区汇总表"),
        done,
        _again(application_id),
    )


@bp.route("/review/applications/<int:application_id>/return", methods=["POST"])
@login_required
def district_return(application_id: int) -> Any:
    """District: return to the unit with reasons."""
    actor = current_actor()
    form = ReturnForm()
    done = url_for("review.district") if form.back.data == "list" else _detail(application_id)
    return _act(
        form,
        lambda: review.district_return(actor, application_id, form.reason.data or ""),
        _("已退回培训机构修改"),
        done,
        _again(application_id),
    )


# ---- city -------------------------------------------------------------------------------------


@bp.route("/review/city")
@login_required
def city() -> Any:
    """The applications the districts passed, by status."""
    actor = current_actor()
    actor.require(Role.CITY)
    applications = review.list_for_review(actor, round_id=_round_id())
    return render_template(
        "review/city.html",
        rnd=current_round(),
        groups=_grouped(applications, review.PASSED_OR_LATER),
        districts=DISTRICTS,
    )


def _detail(application_id: int) -> str:
    return url_for("review.application", application_id=application_id)


def _application_page(
    application_id: int,
    *,
    decision_form: DecisionForm | None = None,
    objection_form: ObjectionForm | None = None,
) -> str:
    actor = current_actor()
    application = review.get_for_review(actor, application_id)
    summary = review.score_summary(application)
    mine = next(
        (s.scores for s in summary.sheets if s.reviewer_id == actor.user_id),
        {},
    )
    return render_template(
        "review/application.html",
        actor=actor,
        is_city=actor.role is Role.CITY,
        is_district=actor.role is Role.DISTRICT,
        a=application,
        S=S,
        status=review_status_label(application.status),
        category=str(CATEGORIES.get(application.category, application.category)),
        summary=summary,
        mine=mine,
        ceilings={o.id: review.catalogue_ceiling(o.entry) for o in application.occupations},
        form_text=form_text,
        timeline=review.timeline(actor, application.id),
        action_form=ActionForm(),
        return_form=ReturnForm(),
        decision_form=decision_form or DecisionForm(formdata=None),
        notice_form=NoticeForm(formdata=None),
        objection_form=objection_form or ObjectionForm(formdata=None),
        filing_form=FilingForm(formdata=None),
        values=request.form,
    )


@bp.route("/review/applications/<int:application_id>")
@login_required
def application(application_id: int) -> Any:
    """One application: occupations, scores, decision, notice, filing and its timeline."""
    current_actor().require(Role.CITY, Role.DISTRICT)
    return _application_page(application_id)


def _int(text: str, label: str) -> int:
    value = (text or "").strip()
    if not value.lstrip("-").isdigit():
        raise ValidationFailed(_("%(f)s须为整数", f=label))
    return int(value)


@bp.route("/review/applications/<int:application_id>/scores", methods=["POST"])
@login_required
def scores(application_id: int) -> Any:
    """City: this reviewer's score sheet."""
    actor = current_actor()
    actor.require(Role.CITY)
    application = review.get_for_review(actor, application_id)

    def save() -> None:
        sheet = {
            c["key"]: _int(request.form.get(f"score_{c['key']}", ""), c["label"])
            for c in application.round.criteria
        }
        review.record_scores(actor, application_id, sheet)

    return _act(
        ActionForm(), save, _("评分已保存"), _detail(application_id), _again(application_id)
    )


@bp.route("/review/applications/<int:application_id>/decision", methods=["POST"])
@login_required
def decision(application_id: int) -> Any:
    """City: approve with per-occupation headcount and standard (yuan), or reject with reasons."""
    actor = current_actor()
    actor.require(Role.CITY)
    application = review.get_for_review(actor, application_id)
    form = DecisionForm()

    def decide() -> None:
        approve = form.decision.data == "approve"
        accepted: dict[int, tuple[int, int]] = {}
        if approve:
            for occupation in application.occupations:
                headcount = request.form.get(f"headcount_{occupation.id}", "").strip()
                standard = request.form.get(f"standard_{occupation.id}", "").strip()
                if not headcount and not standard:
                    continue
                name = occupation.occupation_name
                accepted[occupation.id] = (
                    _int(headcount, _("%(n)s的核定人数", n=name)),
                    parse_yuan(standard) if standard else 0,
                )
        review.decide(
            actor, application_id, approve=approve, reason=form.reason.data or "", accepted=accepted
        )

    return _act(
        form,
        decide,
        _("集体决策已记录"),
        _detail(application_id),
        lambda: _application_page(application_id, decision_form=form),
    )


@bp.route("/review/applications/<int:application_id>/notice", methods=["POST"])
@login_required
def notice(application_id: int) -> Any:
    """City: start the public notice."""
    actor = current_actor()
    form = NoticeForm()
    return _act(
        form,
        lambda: review.start_notice(actor, application_id, start=_date(form.start.data)),
        _("已开始公示"),
        _detail(application_id),
        _again(application_id),
    )


def _date(value: date | None) -> date:
    if value is None:
        raise ValidationFailed(_("请填写日期"))
    return value


@bp.route("/review/applications/<int:application_id>/objections", methods=["POST"])
@login_required
def objections(application_id: int) -> Any:
    """City: record an objection and its handling."""
    actor = current_actor()
    form = ObjectionForm()
    return _act(
        form,
        lambda: review.record_objection(
            actor,
            application_id,
            content=form.content.data or "",
            received_on=_date(form.received_on.data),
            resolution=form.resolution.data or "",
            upheld=bool(form.upheld.data),
        ),
        _("异议已记录"),
        _detail(application_id),
        lambda: _application_page(application_id, objection_form=form),
    )


@bp.route("/review/applications/<int:application_id>/filing", methods=["POST"])
@login_required
def filing(application_id: int) -> Any:
    """City: record the filing with the province."""
    actor = current_actor()
    form = FilingForm()
    return _act(
        form,
        lambda: review.file_with_province(
            actor,
            application_id,
            filed_on=_date(form.filed_on.data),
            reference=form.reference.data or "",
        ),
        _("已报省备案，该单位已列入揭榜单位名单"),
        _detail(application_id),
        _again(application_id),
    )


# ---- monitoring -------------------------------------------------------------------------------


@bp.route("/review/monitoring")
@login_required
def monitoring_index() -> Any:
    """The units the caller monitors."""
    units = monitoring.monitored_units(current_actor())
    return render_template("review/monitoring_index.html", units=units)


def _unit_page(unit_id: int) -> str:
    actor = current_actor()
    actor.require(Role.DISTRICT, Role.CITY)
    records = monitoring.records_for(actor, unit_id)
    unit = get_visible(TrainingUnit, unit_id, actor)
    return render_template(
        "review/monitoring_unit.html",
        unit=unit,
        records=records,
        warnings=monitoring.warnings_of(unit.id),
        kinds=monitoring.KIND_LABELS,
        ratings=monitoring.RATINGS,
        occupations=list(unit.occupations),
        evaluate_form=EvaluateForm(formdata=None),
        warn_form=WarnForm(formdata=None),
        note_form=NoteForm(formdata=None),
        monitored=unit.status in monitoring.MONITORED,
    )


@bp.route("/review/units/<int:unit_id>/monitoring")
@login_required
def unit_monitoring(unit_id: int) -> Any:
    """A unit's evaluations, warnings, corrections and removal."""
    return _unit_page(unit_id)


def _unit_done(unit_id: int) -> str:
    return url_for("review.unit_monitoring", unit_id=unit_id)


@bp.route("/review/units/<int:unit_id>/monitoring/evaluate", methods=["POST"])
@login_required
def evaluate(unit_id: int) -> Any:
    """Record a phase evaluation."""
    actor = current_actor()
    form = EvaluateForm()
    return _act(
        form,
        lambda: monitoring.evaluate(actor, unit_id, form.note.data or "", form.rating.data or ""),
        _("阶段评估已记录"),
        _unit_done(unit_id),
        lambda: _unit_page(unit_id),
    )


@bp.route("/review/units/<int:unit_id>/monitoring/warn", methods=["POST"])
@login_required
def warn(unit_id: int) -> Any:
    """Warn with a correction deadline."""
    actor = current_actor()
    form = WarnForm()
    return _act(
        form,
        lambda: monitoring.warn(actor, unit_id, form.note.data or "", _date(form.deadline.data)),
        _("提醒警告已记录"),
        _unit_done(unit_id),
        lambda: _unit_page(unit_id),
    )


@bp.route("/review/units/<int:unit_id>/monitoring/<int:record_id>/corrected", methods=["POST"])
@login_required
def corrected(unit_id: int, record_id: int) -> Any:
    """Record a warning's correction."""
    actor = current_actor()
    form = NoteForm()
    return _act(
        form,
        lambda: monitoring.mark_corrected(actor, record_id, form.note.data or ""),
        _("整改情况已记录"),
        _unit_done(unit_id),
        lambda: _unit_page(unit_id),
    )


@bp.route("/review/units/<int:unit_id>/monitoring/remove", methods=["POST"])
@login_required
def remove(unit_id: int) -> Any:
    """Remove from the accepted list after an uncorrected warning."""
    actor = current_actor()
    form = NoteForm()
    return _act(
        form,
        lambda: monitoring.remove(actor, unit_id, form.note.data or ""),
        _("已退出揭榜单位名单"),
        _unit_done(unit_id),
        lambda: _unit_page(unit_id),
    )


# ---- public directory -------------------------------------------------------------------------


@bp.route("/directory")
def directory() -> Any:
    """揭榜单位名录 for trainees: accepted units and their occupations (no login)."""
    district = district_code(request.args.get("district", "")) or ""
    query = request.args.get("q", "").strip()[:40]
    units = review.directory(district=district or None, occupation=query)
    return render_template(
        "review/directory.html", units=units, districts=DISTRICTS, district=district, q=query
    )
