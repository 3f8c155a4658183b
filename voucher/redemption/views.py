"""Redemption pages: classes (开班备案), scan and check, redeem, receipt, voids, exports,
and the district's change requests."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from voucher.accounts.roles import Role
from voucher.core.money import format_yuan, parse_yuan
from voucher.core.pii import mask_name
from voucher.core.spreadsheet import XLSX_MIME
from voucher.errors import DomainError
from voucher.extensions import limiter
from voucher.redemption import classes, exports, services
from voucher.redemption.models import ClassMode, RedemptionStatus
from voucher.redemption.rules import ClassDetails, roster_locked
from voucher.web import attachment_header, current_actor, handle_form, show_refusal

bp = Blueprint("redemption", __name__)
bp.add_app_template_filter(mask_name, "mask_name")

MODE_LABELS = {
    ClassMode.OFFLINE: _l("线下"),
    ClassMode.ONLINE: _l("线上"),
    ClassMode.MIXED: _l("线上线下结合"),
}
CHECK_LIMIT = "120 per minute"


class ClassDetailsForm(FlaskForm):
    """A class's details (what a unit may change before the class starts)."""

    name = StringField(_l("班级名称"), validators=[DataRequired(), Length(max=120)])
    start_date = DateField(_l("开班日期"), validators=[DataRequired()])
    end_date = DateField(_l("结束日期"), validators=[DataRequired()])
    hours = IntegerField(_l("总课时"), validators=[DataRequired()])
    fee = StringField(_l("每人培训费用（元）"), validators=[DataRequired()])
    site = StringField(_l("培训地点"), validators=[DataRequired(), Length(max=200)])
    teachers = TextAreaField(_l("授课教师"), validators=[DataRequired()])
    plan = TextAreaField(_l("培训计划"), validators=[DataRequired()])
    mode = SelectField(_l("培训方式"), choices=list(MODE_LABELS.items()))
    platform = StringField(_l("线上平台（线上或结合时必填）"), validators=[Length(max=200)])
    courses = TextAreaField(_l("线上课程（线上或结合时必填）"))
    online_hours = IntegerField(_l("线上课时"), validators=[Optional()])


class ClassForm(ClassDetailsForm):
    """开班备案: the details and the accepted occupation the class is for."""

    occupation_id = SelectField(_l("职业（工种）"), coerce=int, validators=[DataRequired()])


class RedeemForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    class_id = SelectField(_l("培训班级"), coerce=int, validators=[DataRequired()])
    id_last4 = StringField(
        _l("持券人身份证号码后 4 位（请从身份证上读取）"),
        validators=[DataRequired(message=_l("请输入身份证号码后 4 位"))],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"), validators=[DataRequired(), Length(max=500)])


class ChangeForm(FlaskForm):
    reason = TextAreaField(_l("变更原因"), validators=[DataRequired(), Length(max=500)])
    end_date = DateField(_l("新的结束日期"), validators=[Optional()])
    teachers = TextAreaField(_l("新的授课教师"), validators=[Optional()])
    site = StringField(_l("新的培训地点"), validators=[Optional(), Length(max=200)])


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("审批意见（驳回时必填）"), validators=[Length(max=500)])


def _unit_actor() -> Any:
    actor = current_actor()
    actor.require(Role.UNIT)
    return actor


# ---- classes ----------------------------------------------------------------------------------


@bp.route("/unit/classes")
@login_required
def class_list() -> Any:
    """The unit's classes (a district or the city sees those in its scope)."""
    actor = current_actor()
    return render_template(
        "redemption/classes.html", items=classes.list_classes(actor), modes=MODE_LABELS
    )


def _read_class(form: ClassDetailsForm) -> ClassDetails:
    return ClassDetails(
        name=form.name.data or "",
        start_date=form.start_date.data,  # type: ignore[arg-type]
        end_date=form.end_date.data,  # type: ignore[arg-type]
        hours=form.hours.data or 0,
        plan=form.plan.data or "",
        teachers=form.teachers.data or "",
        fee_fen=parse_yuan(form.fee.data or ""),
        site=form.site.data or "",
        mode=form.mode.data or ClassMode.OFFLINE,
        platform=form.platform.data or "",
        courses=form.courses.data or "",
        online_hours=form.online_hours.data,
    )


@bp.route("/unit/classes/new", methods=["GET", "POST"])
@login_required
def new_class() -> Any:
    """开班备案: file a class at least 5 working days before it starts."""
    actor = _unit_actor()
    form = ClassForm()
    form.occupation_id.choices = [
        (o.id, o.entry.name if o.entry else o.name) for o in classes.unit_occupations(actor)
    ]
    outcome = handle_form(
        form,
        lambda: classes.file_class(actor, form.occupation_id.data, _read_class(form)),
        success=_("开班备案已提交"),
        then=lambda klass: url_for("redemption.class_detail", class_id=klass.id),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("redemption/class_form.html", form=form), outcome


@bp.route("/unit/classes/<int:class_id>/edit", methods=["GET", "POST"])
@login_required
def edit_class(class_id: int) -> Any:
    """Change a class's details before it starts (after that: a change request)."""
    actor = _unit_actor()
    klass = classes.get_class(actor, class_id)
    form = ClassDetailsForm(obj=klass)
    if request.method == "GET":
        form.fee.data = format_yuan(klass.fee_fen)
    outcome = handle_form(
        form,
        lambda: classes.update_class(actor, class_id, _read_class(form)),
        success=_("班级信息已保存"),
        then=lambda saved: url_for("redemption.class_detail", class_id=saved.id),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("redemption/class_form.html", form=form, klass=klass), outcome


@bp.route("/unit/classes/<int:class_id>")
@login_required
def class_detail(class_id: int) -> Any:
    """A class with its roster; voids before the start, change requests after."""
    from voucher.core.clock import business_today

    actor = current_actor()
    klass = classes.get_class(actor, class_id)
    return render_template(
        "redemption/class_detail.html",
        klass=klass,
        roster=classes.roster(actor, class_id),
        locked=roster_locked(klass.start_date, business_today()),
        changes=[c for c in classes.list_changes(actor) if c.class_id == klass.id],
        modes=MODE_LABELS,
        change_form=ChangeForm(),
        void_form=ReasonForm(),
        is_unit=actor.role is Role.UNIT,
    )


@bp.route("/unit/classes/<int:class_id>/changes", methods=["POST"])
@login_required
def request_change(class_id: int) -> Any:
    """Ask the district to change a locked class (details, or voiding one trainee)."""
    actor = _unit_actor()
    form = ChangeForm()
    redemption_id = request.form.get("redemption_id", type=int)
    if form.validate_on_submit():
        changes: dict[str, Any] = {}
        if redemption_id is None:
            if form.end_date.data:
                changes["end_date"] = form.end_date.data.isoformat()
            if (form.teachers.data or "").strip():
                changes["teachers"] = form.teachers.data
            if (form.site.data or "").strip():
                changes["site"] = form.site.data
        try:
            classes.request_change(
                actor,
                class_id,
                reason=form.reason.data or "",
                changes=changes,
                redemption_id=redemption_id,
            )
            flash(_("变更申请已提交，等待区人社局审批"), "success")
        except DomainError as exc:
            show_refusal(form, exc)
    else:
        flash(_("请填写变更原因"), "error")
    return redirect(url_for("redemption.class_detail", class_id=class_id))


# ---- scan, check, redeem ----------------------------------------------------------------------


@bp.route("/scan")
@login_required
def scan() -> Any:
    """The desk's scan page: camera, handheld scanner (types + Enter) or the typed code."""
    _unit_actor()
    return render_template("redemption/scan.html")


def _check_page(text_in: str) -> Any:
    actor = _unit_actor()
    check = services.check_voucher(actor, text_in)
    form = RedeemForm(token=check.token)
    form.class_id.choices = [
        (c.id, f"{c.name}（{c.start_date.isoformat()}）") for c in check.classes
    ]
    return render_template("redemption/check.html", check=check, form=form)


@bp.route("/scan/check")
@login_required
@limiter.limit(CHECK_LIMIT)
def check() -> Any:
    """Show at once whether a scanned or typed voucher is valid here, and why not."""
    return _check_page(request.args.get("code", ""))


@bp.route("/V/<token>")
@bp.route("/v/<token>")
@login_required
@limiter.limit(CHECK_LIMIT)
def scanned_url(token: str) -> Any:
    """The QR's URL (HTTPS://HOST/V/<BASE32>, any letter case) opens the check page."""
    return _check_page(token)


@bp.route("/redeem", methods=["POST"])
@login_required
def redeem() -> Any:
    """Redeem the checked voucher into the chosen class, then show the receipt."""
    actor = _unit_actor()
    form = RedeemForm()
    form.class_id.choices = [(c.id, c.name) for c in classes.open_classes(actor)]
    if form.validate_on_submit():
        try:
            result = services.redeem_fast(
                actor,
                form.token.data or "",
                class_id=form.class_id.data,
                id_last4=form.id_last4.data or "",
            )
        except DomainError as exc:
            flash(str(exc.message), "error")
            return _check_page(form.token.data or ""), 422
        flash(_("核销成功"), "success")
        return redirect(url_for("redemption.receipt", redemption_id=result.id))
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return _check_page(form.token.data or ""), 422


@bp.route("/redemptions/<int:redemption_id>/receipt")
@login_required
def receipt(redemption_id: int) -> Any:
    """A printable receipt: offset, what the trainee pays, the class."""
    item = services.get_redemption(current_actor(), redemption_id)
    return render_template("redemption/receipt.html", r=item)


# ---- redemptions, voids, exports --------------------------------------------------------------


@bp.route("/unit/redemptions")
@login_required
def redemption_list() -> Any:
    """Redemptions in scope, newest first."""
    actor = current_actor()
    return render_template(
        "redemption/redemptions.html",
        items=services.list_redemptions(actor),
        summary=services.daily_summary(actor),
        void_form=ReasonForm(),
        active=RedemptionStatus.ACTIVE,
    )


@bp.route("/redemptions/<int:redemption_id>/void", methods=["POST"])
@login_required
def void(redemption_id: int) -> Any:
    """Void a redemption with a reason (unit before the start; district officer after)."""
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.void_redemption(current_actor(), redemption_id, reason=form.reason.data or "")
            flash(_("核销已作废，培训券恢复为可用"), "success")
        except DomainError as exc:
            flash(str(exc.message), "error")
    else:
        flash(_("请填写作废原因"), "error")
    return redirect(request.form.get("next") or url_for("redemption.redemption_list"))


def _download(filename: str, data: bytes) -> Response:
    return current_app.response_class(
        data, mimetype=XLSX_MIME, headers={"Content-Disposition": attachment_header(filename)}
    )


@bp.route("/unit/redemptions.xlsx")
@login_required
def export_redemptions() -> Any:
    return _download(*exports.redemptions_xlsx(current_actor()))


@bp.route("/unit/redemptions/daily.xlsx")
@login_required
def export_daily() -> Any:
    return _download(*exports.daily_summary_xlsx(current_actor()))


# ---- district: change requests ----------------------------------------------------------------


@bp.route("/district/class-changes")
@login_required
def change_list() -> Any:
    """Change requests of classes in the officer's district (pending first)."""
    actor = current_actor()
    actor.require(Role.DISTRICT, Role.CITY)
    items = classes.list_changes(actor)
    items.sort(key=lambda c: (c.status != "pending", -c.id))
    return render_template("redemption/changes.html", items=items, form=DecisionForm())


@bp.route("/class-changes/<int:change_id>/decision", methods=["POST"])
@login_required
def decide(change_id: int) -> Any:
    """Approve or reject one change request."""
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            classes.decide_change(
                current_actor(),
                change_id,
                approve=request.form.get("decision") == "approve",
                note=form.note.data or "",
            )
            flash(_("已处理"), "success")
        except DomainError as exc:
            flash(str(exc.message), "error")
    return redirect(url_for("redemption.change_list"))
