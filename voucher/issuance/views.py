"""Issuance pages: people, quotas, batches with progress, vouchers with QR, trainee self-service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from voucher.accounts.roles import Role
from voucher.core.clock import business_today, to_business_time
from voucher.core.humancode import format_human_code
from voucher.core.money import parse_yuan
from voucher.core.pii import mask_name, mask_phone
from voucher.core.qr import qr_png, qr_svg
from voucher.core.spreadsheet import XLSX_MIME
from voucher.db import db
from voucher.errors import DomainError
from voucher.extensions import limiter
from voucher.issuance import batches, rules, services
from voucher.issuance.models import BatchStatus, Voucher, VoucherStatus
from voucher.units.models import AcceptedOccupation
from voucher.web import attachment_header, current_actor, handle_form, show_refusal

bp = Blueprint("issuance", __name__)

BATCH_LABELS = {
    BatchStatus.PENDING: _l("排队中"),
    BatchStatus.CHECKING: _l("正在逐行核验"),
    BatchStatus.WRITING: _l("正在写入"),
    BatchStatus.DONE: _l("已发放"),
    BatchStatus.REFUSED: _l("未发放（有不符合条件的行）"),
    BatchStatus.FAILED: _l("处理失败（未发放）"),
}


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "voucher_status": services.status_label,
        "batch_status": lambda s: str(BATCH_LABELS.get(s, s)),
        "residence_labels": rules.RESIDENCE_BASES,
        "group_codes": list(rules.TARGET_GROUPS),
    }


@bp.app_template_filter("mask_phone")
def _mask_phone(phone: str) -> str:
    return mask_phone(phone)


@bp.app_template_filter("mask_name")
def _mask_name(name: str) -> str:
    return mask_name(name)


# ---- forms ------------------------------------------------------------------------------------


class GroupForm(Form):
    """One target-group membership with its evidence."""

    member = BooleanField(_l("属于该群体"))
    source = StringField(_l("证明来源"), validators=[Length(max=64)])
    reference = StringField(_l("证明编号"), validators=[Length(max=64)])
    evidence_date = DateField(_l("证明日期"), validators=[Optional()])
    graduation_year = IntegerField(_l("毕业年份"), validators=[Optional()])
    release_date = DateField(_l("释放日期"), validators=[Optional()])


class PersonForm(FlaskForm):
    """Register or edit a trainee."""

    id_number = StringField(_l("身份证号码"), validators=[Length(max=30)])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=64)])
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码"))])
    residence_basis = SelectField(
        _l("居住依据"),
        choices=[("", _l("（未登记）"))] + [(k, v) for k, v in rules.RESIDENCE_BASES.items()],
        validate_choice=False,  # checked by the service, with the Chinese message
    )
    residence_source = StringField(_l("依据来源"), validators=[Length(max=64)])
    residence_reference = StringField(_l("依据编号"), validators=[Length(max=64)])
    residence_date = DateField(_l("依据日期"), validators=[Optional()])
    establishment_staff = BooleanField(rules.EXCLUSIONS["establishment"])
    full_time_student = BooleanField(_l("全日制在校学生"))
    pensioner = BooleanField(rules.EXCLUSIONS["pensioner"])


for _code in rules.TARGET_GROUPS:
    setattr(PersonForm, f"group_{_code}", FormField(GroupForm, label=rules.TARGET_GROUPS[_code]))


def _facts_from(form: PersonForm) -> services.PersonFactsInput:
    groups = []
    for code in rules.TARGET_GROUPS:
        sub = getattr(form, f"group_{code}")
        if sub.member.data:
            groups.append(
                services.GroupInput(
                    group=code,
                    source=sub.source.data or "",
                    reference=sub.reference.data or "",
                    evidence_date=sub.evidence_date.data,
                    graduation_year=sub.graduation_year.data,
                    release_date=sub.release_date.data,
                )
            )
    return services.PersonFactsInput(
        residence_basis=form.residence_basis.data or None,
        residence_source=form.residence_source.data or "",
        residence_reference=form.residence_reference.data or "",
        residence_date=form.residence_date.data,
        groups=tuple(groups),
        establishment_staff=form.establishment_staff.data,
        full_time_student=form.full_time_student.data,
        pensioner=form.pensioner.data,
    )


def _fill(form: PersonForm, person: Any) -> None:
    form.name.data = person.name
    form.phone.data = person.phone
    form.residence_basis.data = person.residence_basis or ""
    form.residence_source.data = person.residence_source
    form.residence_reference.data = person.residence_reference
    form.residence_date.data = person.residence_date
    form.establishment_staff.data = person.establishment_staff
    form.full_time_student.data = person.full_time_student
    form.pensioner.data = person.pensioner
    for g in person.groups:
        sub = getattr(form, f"group_{g.group}", None)
        if sub is None:
            continue
        sub.member.data = True
        sub.source.data = g.source
        sub.reference.data = g.reference
        sub.evidence_date.data = g.evidence_date
        sub.graduation_year.data = g.graduation_year
        sub.release_date.data = g.release_date


def _quota_choices() -> list[tuple[int, str]]:
    return [(q.id, f"#{q.id} {q.name}（剩余 {q.remaining}）") for q in services.open_quotas()]


class IssueForm(FlaskForm):
    """An officer issues one voucher to a person from a quota."""

    quota_id = SelectField(_l("发券指标"), coerce=int, choices=_quota_choices)


class QuotaForm(FlaskForm):
    """Create a quota from an accepted occupation."""

    occupation = SelectField(_l("揭榜职业（工种）"), coerce=int)
    directed = SelectField(
        _l("使用范围"),
        choices=[("1", _l("定向：仅限该揭榜单位")), ("0", _l("通用：该职业任一揭榜单位"))],
    )
    groups = SelectMultipleField(
        _l("面向重点群体"),
        choices=[(k, v) for k, v in rules.GROUP_SHORT.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    planned = IntegerField(_l("计划发放数量"), validators=[DataRequired(_l("请填写计划数量"))])
    amount = StringField(_l("券面金额（元，留空取揭榜标准）"))
    level = SelectField(
        _l("对应证书等级（可选）"),
        choices=[
            ("", "—"),
            ("5", "五级"),
            ("4", "四级"),
            ("3", "三级"),
            ("2", "二级"),
            ("1", "一级"),
        ],
    )
    valid_from = DateField(_l("发券开始日期"), validators=[DataRequired(_l("请填写日期"))])
    valid_until = DateField(_l("发券截止日期"), validators=[DataRequired(_l("请填写日期"))])
    voucher_days = IntegerField(_l("培训券有效天数"), default=90)
    name = StringField(_l("指标名称（可选）"), validators=[Length(max=120)])


class BatchForm(FlaskForm):
    """Upload a list for a quota."""

    file = FileField(_l("发券名单（.xlsx 或 .csv）"))


class RevokeForm(FlaskForm):
    """Revoke a voucher with a reason."""

    reason = StringField(_l("撤销原因"), validators=[DataRequired(_l("请填写撤销原因"))])


class ApplyForm(FlaskForm):
    """A trainee applies on the phone."""

    id_number = StringField(_l("身份证号码"), validators=[DataRequired(_l("请填写身份证号码"))])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名"))])
    phone = StringField(_l("手机号码"), validators=[DataRequired(_l("请填写手机号码"))])
    quota_id = SelectField(_l("申领项目"), coerce=int, choices=_quota_choices)


def _city() -> Any:
    actor = current_actor()
    actor.require(Role.CITY)
    return actor


# ---- people -----------------------------------------------------------------------------------


@bp.route("/issuance/people")
@login_required
def people() -> Any:
    """人员名册."""
    actor = _city()
    query = request.args.get("q", "")
    return render_template(
        "issuance/people.html", people=services.list_people(actor, query), q=query
    )


@bp.route("/issuance/people/new", methods=["GET", "POST"])
@login_required
def new_person() -> Any:
    """登记人员."""
    actor = _city()
    form = PersonForm()
    outcome = handle_form(
        form,
        lambda: services.register_person(
            actor,
            id_number=form.id_number.data or "",
            name=form.name.data,
            phone=form.phone.data,
            facts=_facts_from(form),
        ),
        success=_("已登记"),
        then=lambda p: url_for("issuance.person", person_id=p.id),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("issuance/person_form.html", form=form, person=None), outcome


@bp.route("/issuance/people/<int:person_id>", methods=["GET", "POST"])
@login_required
def person(person_id: int) -> Any:
    """人员详情：编辑、发券、名下培训券."""
    actor = _city()
    record = services.get_person(actor, person_id)
    form = PersonForm()
    if request.method == "GET":
        _fill(form, record)
    outcome = handle_form(
        form,
        lambda: services.update_person(
            actor, person_id, name=form.name.data, phone=form.phone.data, facts=_facts_from(form)
        ),
        success=_("已保存"),
        then=lambda p: url_for("issuance.person", person_id=p.id),
    )
    if isinstance(outcome, Response):
        return outcome
    return (
        render_template(
            "issuance/person.html",
            form=form,
            person=record,
            issue_form=IssueForm(prefix="issue"),
            vouchers=services.list_vouchers(actor, person_id=person_id),
        ),
        outcome,
    )


@bp.route("/issuance/people/<int:person_id>/issue", methods=["POST"])
@login_required
def issue_to_person(person_id: int) -> Any:
    """Officer issues one voucher."""
    actor = _city()
    form = IssueForm(prefix="issue")
    if form.validate_on_submit():
        try:
            voucher = services.issue_from_quota(
                actor, quota_id=form.quota_id.data, person_id=person_id
            )
        except DomainError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for("issuance.person", person_id=person_id))
        flash(_("已发放培训券"), "success")
        return redirect(url_for("issuance.voucher", voucher_id=voucher.id))
    flash(_("请选择发券指标"), "error")
    return redirect(url_for("issuance.person", person_id=person_id))


# ---- quotas -----------------------------------------------------------------------------------


def _occupation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(AcceptedOccupation).where(AcceptedOccupation.entry_id.is_not(None))
    ).scalars()
    return [
        (o.id, f"{o.unit.name} · {o.name} · 核定 {o.headcount} 人")
        for o in rows
        if o.unit.can_redeem
    ]


@bp.route("/issuance/quotas", methods=["GET", "POST"])
@login_required
def quotas() -> Any:
    """发券指标."""
    actor = _city()
    form = QuotaForm()
    form.occupation.choices = _occupation_choices()
    if request.method == "GET":
        today = business_today()
        form.valid_from.data = today
        form.valid_until.data = today + timedelta(days=180)
        form.groups.data = ["unemployed"]

    def create() -> Any:
        occupation = db.session.get(AcceptedOccupation, form.occupation.data)
        assert occupation is not None and occupation.entry_id is not None
        amount = parse_yuan(form.amount.data) if (form.amount.data or "").strip() else None
        return services.create_quota(
            actor,
            entry_id=occupation.entry_id,
            unit_id=occupation.unit_id if form.directed.data == "1" else None,
            groups=form.groups.data or [],
            planned=form.planned.data or 0,
            valid_from=form.valid_from.data,
            valid_until=form.valid_until.data,
            amount_fen=amount,
            level=form.level.data or None,
            name=form.name.data or "",
            voucher_days=form.voucher_days.data or 90,
        )

    outcome = handle_form(
        form,
        create,
        success=_("已创建发券指标"),
        then=lambda q: url_for("issuance.quota", quota_id=q.id),
    )
    if isinstance(outcome, Response):
        return outcome
    return (
        render_template("issuance/quotas.html", form=form, quotas=services.list_quotas(actor)),
        outcome,
    )


@bp.route("/issuance/quotas/<int:quota_id>", methods=["GET", "POST"])
@login_required
def quota(quota_id: int) -> Any:
    """指标详情与批量发券."""
    actor = _city()
    record = services.get_quota(actor, quota_id)
    form = BatchForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            flash(_("请选择要上传的文件"), "error")
            status = 422
        else:
            try:
                batch = batches.start_batch(
                    actor, quota_id=quota_id, filename=upload.filename, data=upload.read()
                )
            except DomainError as exc:
                show_refusal(form, exc)
                status = 422
            else:
                batches.launch(actor, batch.id, _read_again(upload))
                return redirect(url_for("issuance.batch", batch_id=batch.id), code=303)
    return (
        render_template(
            "issuance/quota.html",
            quota=record,
            form=form,
            batches=batches.list_batches(actor, quota_id),
            groups=rules.GROUP_SHORT,
        ),
        status,
    )


def _read_again(upload: Any) -> bytes:
    upload.stream.seek(0)
    return upload.read()


@bp.route("/issuance/quotas/<int:quota_id>/close", methods=["POST"])
@login_required
def close_quota(quota_id: int) -> Any:
    """Stop issuing from a quota."""
    actor = _city()
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            services.close_quota(actor, quota_id)
            flash(_("指标已关闭"), "success")
        except DomainError as exc:
            flash(str(exc.message), "error")
    return redirect(url_for("issuance.quota", quota_id=quota_id))


@bp.route("/issuance/template.xlsx")
@login_required
def batch_template() -> Any:
    """发券名单模板."""
    _city()
    return Response(
        batches.template_xlsx(),
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": attachment_header("发券名单模板.xlsx")},
    )


# ---- batches ----------------------------------------------------------------------------------


@bp.route("/issuance/batches")
@login_required
def batch_list() -> Any:
    """批量发券批次."""
    return render_template("issuance/batches.html", batches=batches.list_batches(_city()))


@bp.route("/issuance/batches/<int:batch_id>")
@login_required
def batch(batch_id: int) -> Any:
    """批次进度（处理中每 2 秒自动刷新）与错误."""
    actor = _city()
    record = batches.get_batch(actor, batch_id)
    errors = batches.batch_errors(actor, batch_id, limit=200) if record.error_count else []
    return render_template(
        "issuance/batch.html",
        batch=record,
        errors=errors,
        running=record.status in BatchStatus.RUNNING,
    )


@bp.route("/issuance/batches/<int:batch_id>/progress")
@login_required
def batch_progress(batch_id: int) -> Any:
    """Progress as JSON (for scripts and pollers)."""
    record = batches.get_batch(_city(), batch_id)
    return jsonify(
        {
            "id": record.id,
            "status": record.status,
            "total": record.total,
            "checked": record.checked,
            "issued": record.issued,
            "errors": record.error_count,
            "message": record.message,
        }
    )


@bp.route("/issuance/batches/<int:batch_id>/errors.xlsx")
@login_required
def batch_report(batch_id: int) -> Any:
    """错误报告下载."""
    data = batches.error_report(_city(), batch_id)
    return Response(
        data,
        mimetype=XLSX_MIME,
        headers={"Content-Disposition": attachment_header(f"批次{batch_id}错误报告.xlsx")},
    )


# ---- vouchers ---------------------------------------------------------------------------------


@bp.route("/issuance/vouchers")
@login_required
def vouchers() -> Any:
    """培训券列表."""
    actor = current_actor()
    status = request.args.get("status") or None
    page = max(1, request.args.get("page", 1, type=int))
    items = services.list_vouchers(actor, status=status, limit=100, offset=(page - 1) * 100)
    return render_template(
        "issuance/vouchers.html",
        vouchers=items,
        status=status,
        page=page,
        labels=services.STATUS_LABELS,
    )


@bp.route("/issuance/vouchers/<int:voucher_id>", methods=["GET", "POST"])
@login_required
def voucher(voucher_id: int) -> Any:
    """培训券详情：二维码、短码、撤销."""
    actor = current_actor()
    record = services.get_voucher(actor, voucher_id)
    form = RevokeForm()
    status = 200
    if request.method == "POST":
        outcome = handle_form(
            form,
            lambda: services.revoke_voucher(actor, voucher_id, form.reason.data),
            success=_("已撤销该培训券"),
            then=lambda v: url_for("issuance.voucher", voucher_id=v.id),
        )
        if isinstance(outcome, Response):
            return outcome
        status = outcome
    payload = services.voucher_payload(record)
    return (
        render_template(
            "issuance/voucher.html",
            voucher=record,
            qr=Markup(qr_svg(payload)),  # noqa: S704 — SVG built by qrcode from our own payload
            code=format_human_code(record.human_code),
            holder=services.holder_view(record),
            status_label=services.status_label(record.status),
            form=form,
            can_revoke=actor.role is Role.CITY and record.status == VoucherStatus.ISSUED,
        ),
        status,
    )


@bp.route("/issuance/vouchers/<int:voucher_id>/qr.png")
@login_required
def voucher_png(voucher_id: int) -> Any:
    """二维码 PNG（打印用）."""
    record = services.get_voucher(current_actor(), voucher_id)
    return Response(
        qr_png(services.voucher_payload(record), box_size=10),
        mimetype="image/png",
        headers={"Content-Disposition": attachment_header(f"培训券{record.human_code}.png")},
    )


# ---- self-service -----------------------------------------------------------------------------


def _apply_limit() -> str:
    return current_app.config.get("APPLY_RATE_LIMIT", "10 per minute")


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit(_apply_limit, methods=["POST"])
def apply() -> Any:
    """学员自助申领培训券（手机）."""
    form = ApplyForm()
    status = 200
    issued: Voucher | None = None
    failures: dict[str, Any] = {}
    if form.validate_on_submit():
        try:
            issued = services.self_apply(
                id_number=form.id_number.data,
                name=form.name.data,
                phone=form.phone.data,
                quota_id=form.quota_id.data,
            )
        except DomainError as exc:
            status = 422
            failures = exc.errors if exc.code == "not_eligible" else {}
            show_refusal(form, exc)
    elif request.method == "POST":
        status = 422
    context: dict[str, Any] = {"form": form, "failures": failures, "voucher": None}
    if issued is not None:
        context.update(
            voucher=issued,
            qr=Markup(qr_svg(services.voucher_payload(issued))),  # noqa: S704 — our own SVG
            code=format_human_code(issued.human_code),
            expires=to_business_time(issued.expires_at).date() - timedelta(days=1),
        )
    return render_template("issuance/apply.html", **context), status
