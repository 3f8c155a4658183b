"""Training-unit pages: self-registration, profile (附件1 一), applications (附件1 二、三)."""

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
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from voucher.accounts.roles import Role
from voucher.catalog.models import CatalogueEntry
from voucher.core.districts import DISTRICTS
from voucher.core.money import format_yuan, parse_yuan
from voucher.core.spreadsheet import XLSX_MIME
from voucher.db import db
from voucher.errors import DomainError
from voucher.extensions import limiter
from voucher.units import applications as services
from voucher.units import exports
from voucher.units.labels import ACTION_LABELS, status_label
from voucher.units.models import ApplicationStatus
from voucher.units.rules import CATEGORIES, FORMS, NATURES, TEACHER_KINDS
from voucher.web import attachment_header, current_actor, handle_form, show_refusal

bp = Blueprint("units", __name__)

EQUIPMENT_ROWS = 3
MAX_EQUIPMENT_ROWS = 50


def _district_choices() -> list[tuple[str, str]]:
    return list(DISTRICTS.items())


# ---- forms ------------------------------------------------------------------------------------


class RegisterForm(FlaskForm):
    """A training unit registers itself and its operator account."""

    name = StringField(_l("单位名称"), validators=[DataRequired(_l("请填写单位名称"))])
    credit_code = StringField(
        _l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码"))]
    )
    district = SelectField(_l("所在区"), choices=_district_choices)
    contact_name = StringField(_l("联系人"), validators=[DataRequired(_l("请填写联系人"))])
    contact_mobile = StringField(
        _l("联系人手机"), validators=[DataRequired(_l("请填写联系人手机"))]
    )
    username = StringField(
        _l("登录用户名"), validators=[DataRequired(_l("请填写用户名")), Length(max=64)]
    )
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码"))])
    password2 = PasswordField(
        _l("再次输入密码"), validators=[EqualTo("password", _l("两次输入的密码不一致"))]
    )


class FinanceRow(Form):
    """One year of 财务状况 (yuan)."""

    year = HiddenField()
    revenue = StringField(_l("年收入（元）"))
    tax = StringField(_l("年纳税总额（元）"))


class ProfileForm(FlaskForm):
    """Attachment 1 part 1."""

    nature = SelectField(_l("单位性质"), choices=[("", "—")] + [(n, n) for n in NATURES])
    main_field = StringField(_l("主要培训领域"), validators=[Length(max=200)])
    founded_year = StringField(_l("成立年份"))
    registered_capital = StringField(_l("注册资金（万元）"))
    legal_rep_name = StringField(_l("法人代表姓名"), validators=[Length(max=64)])
    legal_rep_title = StringField(_l("法人代表职务"), validators=[Length(max=64)])
    legal_rep_mobile = StringField(_l("法人代表手机"), validators=[Length(max=20)])
    legal_rep_email = StringField(_l("法人代表电子邮箱"), validators=[Length(max=120)])
    contact_name = StringField(_l("联系人姓名"), validators=[Length(max=64)])
    contact_title = StringField(_l("联系人职务"), validators=[Length(max=64)])
    contact_mobile = StringField(_l("联系人手机"), validators=[Length(max=20)])
    contact_email = StringField(_l("联系人电子邮箱"), validators=[Length(max=120)])
    address = StringField(_l("单位所在地"), validators=[Length(max=200)])
    website = StringField(_l("单位网址"), validators=[Length(max=200)])
    own_platform = BooleanField(_l("有自有培训平台"))
    platform_url = StringField(_l("自有培训平台网址"), validators=[Length(max=200)])
    has_violation = BooleanField(_l("有重大违法违纪、失信记录"))
    violation_note = TextAreaField(_l("违法违纪、失信记录说明"))
    staff_total = StringField(_l("可参与施教施训总人数"))
    staff_teachers = StringField(_l("其中：教学和现场实训师资人数"))
    staff_academic = StringField(_l("其中：教务人数"))
    staff_other = StringField(_l("其他"))
    introduction = TextAreaField(
        _l("单位介绍（含行业地位、培训资质、培训基础、创新能力、人才与团队实力等）")
    )


class ApplicationForm(FlaskForm):
    """Attachment 1 part 2 (project) and part 3 (needs, employment plan)."""

    category = SelectField(
        _l("项目类别"), choices=[("", "—")] + [(k, str(v)) for k, v in CATEGORIES.items()]
    )
    name = StringField(
        _l("项目名称"),
        validators=[Length(max=120)],
        description=_l("例：“一老一小”培训项目"),
    )
    districts_served = SelectMultipleField(
        _l("项目承接区域"),
        choices=_district_choices,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    needs_analysis = TextAreaField(_l("需求分析（就业需求、岗位提升需求、技能储备需求等）"))
    employment_plan = TextAreaField(_l("指导就业计划（训后跟踪指导的手段、方式和方法）"))


class EquipmentRow(Form):
    """One line of 设备情况."""

    name = StringField(_l("名称"))
    brand = StringField(_l("品牌"))
    quantity = StringField(_l("数量"))
    ownership = StringField(_l("所有权归属"))


class OccupationForm(FlaskForm):
    """One occupation of an application."""

    entry_id = SelectField(_l("目录中的职业（工种）"), choices=[], validate_choice=False)
    custom_name = StringField(
        _l("或：目录外的市场紧缺急需职业（工种）名称"),
        validators=[Length(max=64)],
        description=_l("目录外的职业（工种）只能申报培训合格证书项目"),
    )
    introduction = TextAreaField(_l("职业（工种）介绍"))
    yearly_headcount = StringField(_l("计划年培训人数（人）"))
    classes = StringField(_l("培训班次"))
    hours = StringField(_l("培训学时"))
    class_size = StringField(_l("班级人数"))
    content = TextAreaField(_l("培训内容与培训时间安排"))
    form = SelectField(_l("培训形式"), choices=[(k, str(v)) for k, v in FORMS.items()])
    online_percent = StringField(_l("线上比例（%，仅线上+线下填写）"))
    materials = TextAreaField(_l("教辅材料（教材、题库等）"))
    skill_standard = TextAreaField(_l("职业技能标准（考核大纲）"))
    assessment = TextAreaField(_l("考核方式"))
    platform = StringField(_l("教学平台系统"), validators=[Length(max=200)])
    certificates = StringField(_l("相关证书"), validators=[Length(max=200)])
    site = TextAreaField(_l("场地情况（地址、面积、自有或租赁、工位数、分布等）"))
    advantages = TextAreaField(_l("单位承接该职业（工种）优势"))
    standard = StringField(_l("建议补贴标准（元/人）"))


for _kind, _label in TEACHER_KINDS.items():
    setattr(OccupationForm, f"teacher_{_kind}", StringField(_l("师资：%(k)s", k=_label)))


def _with_rows(form_class: type, name: str, row: type, count: int) -> type:
    """A subclass of ``form_class`` with a list of ``count`` sub-forms called ``name``."""
    return type(
        form_class.__name__,
        (form_class,),
        {name: FieldList(FormField(row), min_entries=count, max_entries=MAX_EQUIPMENT_ROWS)},
    )


# ---- parsing helpers --------------------------------------------------------------------------


class _Errors(dict[str, str]):
    """Field problems found while reading a form."""

    def integer(self, form: Any, name: str, *, default: int | None = None) -> int | None:
        text = (getattr(form, name).data or "").strip()
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            self[name] = _("请填写整数")
            return default

    def money(self, form: Any, name: str, *, scale: int = 1) -> int | None:
        text = (getattr(form, name).data or "").strip()
        if not text:
            return None
        try:
            return parse_yuan(text) * scale
        except DomainError as exc:
            self[name] = str(exc.message)
            return None


# ---- registration -----------------------------------------------------------------------------


def _register_limit() -> str:
    return current_app.config.get("REGISTER_RATE_LIMIT") or current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/units/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register() -> Any:
    """A training unit registers itself (public); the operator then signs in."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = RegisterForm()
    outcome = handle_form(
        form,
        lambda: services.register_self(
            name=form.name.data or "",
            credit_code=form.credit_code.data or "",
            district=form.district.data or "",
            contact_name=form.contact_name.data or "",
            contact_mobile=form.contact_mobile.data or "",
            username=form.username.data or "",
            password=form.password.data or "",
        ),
        success=_("注册成功，请用刚才设置的用户名和密码登录"),
        then=lambda _result: url_for("accounts.login"),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("units/register.html", form=form), outcome


# ---- profile ----------------------------------------------------------------------------------


def _profile_form(years: list[int], data: services.Profile | None) -> Any:
    cls = _with_rows(ProfileForm, "finances", FinanceRow, len(years))
    if request.method == "POST" or data is None:
        form = cls()
    else:
        values: dict[str, Any] = {k: getattr(data, k) for k in services.PROFILE_FIELDS}
        for key in ("founded_year", "staff_total", "staff_teachers", "staff_academic"):
            values[key] = "" if values[key] is None else str(values[key])
        values["staff_other"] = "" if data.staff_other is None else str(data.staff_other)
        capital = data.registered_capital_fen
        values["registered_capital"] = "" if capital is None else format_yuan(capital // 10_000)
        by_year = {f.year: f for f in data.finances}
        values["finances"] = [
            {
                "year": str(y),
                "revenue": _fen_text(by_year[y].revenue_fen) if y in by_year else "",
                "tax": _fen_text(by_year[y].tax_fen) if y in by_year else "",
            }
            for y in years
        ]
        form = cls(data=values)
    for row, year in zip(form.finances, years, strict=False):
        row.form.year.data = str(year)
    return form


def _fen_text(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen)


def _read_profile(form: Any, years: list[int]) -> services.Profile:
    errors = _Errors()
    profile = services.Profile(
        **{
            k: (getattr(form, k).data or "")
            for k in services.PROFILE_FIELDS
            if k
            not in {
                "founded_year",
                "registered_capital_fen",
                "own_platform",
                "has_violation",
                "staff_total",
                "staff_teachers",
                "staff_academic",
                "staff_other",
            }
        },
        own_platform=bool(form.own_platform.data),
        has_violation=bool(form.has_violation.data),
        founded_year=errors.integer(form, "founded_year"),
        registered_capital_fen=errors.money(form, "registered_capital", scale=10_000),
        staff_total=errors.integer(form, "staff_total"),
        staff_teachers=errors.integer(form, "staff_teachers"),
        staff_academic=errors.integer(form, "staff_academic"),
        staff_other=errors.integer(form, "staff_other"),
    )
    for row, year in zip(form.finances, years, strict=False):
        sub = row.form
        revenue, tax = errors.money(sub, "revenue"), errors.money(sub, "tax")
        for name in ("revenue", "tax"):
            if name in errors:
                errors["finances"] = _("%(y)s年：%(e)s", y=year, e=errors.pop(name))
        profile.finances.append(services.FinanceYear(year, revenue, tax))
    if errors:
        raise services.invalid_fields(errors)
    return profile


@bp.route("/unit/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    """The operator's unit profile (附件1 一、申报主体单位基本情况)."""
    actor = current_actor()
    actor.require(Role.UNIT)
    unit = services.get_unit(actor)
    years = services.finance_years()
    form = _profile_form(years, services.profile_of(unit))
    outcome = handle_form(
        form,
        lambda: services.update_profile(actor, _read_profile(form, years)),
        success=_("单位信息已保存"),
        then=lambda _result: url_for("units.profile"),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("units/profile.html", form=form, unit=unit, years=years), outcome


@bp.route("/units/<int:unit_id>/profile")
@login_required
def unit_profile(unit_id: int) -> Any:
    """A unit's profile, read-only (city officers, the unit's district, the unit itself)."""
    unit = services.get_unit(current_actor(), unit_id)
    return render_template("units/profile_view.html", unit=unit)


# ---- applications -----------------------------------------------------------------------------


def _labels() -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "forms": FORMS,
        "teacher_kinds": TEACHER_KINDS,
        "status_label": status_label,
        "action_labels": ACTION_LABELS,
        "editable": ApplicationStatus.EDITABLE,
        "form_text": exports.form_text,
    }


@bp.route("/unit/applications")
@login_required
def applications() -> Any:
    """The unit's applications."""
    actor = current_actor()
    actor.require(Role.UNIT)
    from voucher.units.services import current_round

    items = services.list_applications(actor)
    return render_template(
        "units/applications.html", items=items, round=current_round(), **_labels()
    )


def _read_application(form: ApplicationForm) -> services.ApplicationInput:
    return services.ApplicationInput(
        category=form.category.data or "",
        name=form.name.data or "",
        districts_served=list(form.districts_served.data or []),
        needs_analysis=form.needs_analysis.data or "",
        employment_plan=form.employment_plan.data or "",
    )


@bp.route("/unit/applications/new", methods=["GET", "POST"])
@login_required
def new_application() -> Any:
    """Start a draft application in the open round."""
    actor = current_actor()
    actor.require(Role.UNIT)
    form = ApplicationForm()
    outcome = handle_form(
        form,
        lambda: services.create_application(actor, _read_application(form)),
        success=_("申报草稿已保存，请添加职业（工种）"),
        then=lambda application: url_for("units.application", application_id=application.id),
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("units/application_form.html", form=form, application=None), outcome


@bp.route("/unit/applications/<int:application_id>")
@login_required
def application(application_id: int) -> Any:
    """One application: what it says, its budget, and its timeline."""
    actor = current_actor()
    item = services.get_application(actor, application_id)
    return render_template(
        "units/application.html",
        item=item,
        events=services.application_timeline(actor, application_id),
        can_edit=actor.role is Role.UNIT and item.status in ApplicationStatus.EDITABLE,
        problems=services.submission_problems(item),
        **_labels(),
    )


def _read_only(item: Any) -> Any | None:
    """A page that would change a submitted application sends the operator back to it."""
    if request.method == "GET" and item.status not in ApplicationStatus.EDITABLE:
        flash(
            _("申报已提交（当前状态：%(s)s），不能再修改", s=status_label(item.status)),
            "info",
        )
        return redirect(url_for("units.application", application_id=item.id))
    return None


@bp.route("/unit/applications/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit_application(application_id: int) -> Any:
    """Change the project part of a draft."""
    actor = current_actor()
    actor.require(Role.UNIT)
    item = services.get_application(actor, application_id)
    if (back := _read_only(item)) is not None:
        return back
    form = ApplicationForm(obj=item) if request.method == "GET" else ApplicationForm()
    outcome = handle_form(
        form,
        lambda: services.update_application(actor, application_id, _read_application(form)),
        success=_("项目信息已保存"),
        then=lambda _result: url_for("units.application", application_id=application_id),
        status_of_refusal=lambda exc: exc.status,
    )
    if isinstance(outcome, Response):
        return outcome
    return render_template("units/application_form.html", form=form, application=item), outcome


@bp.route("/unit/applications/<int:application_id>/submit", methods=["POST"])
@login_required
def submit(application_id: int) -> Any:
    """Submit to the district."""
    actor = current_actor()
    try:
        services.submit_application(actor, application_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "error")
    else:
        flash(_("已提交区人社局"), "success")
    return redirect(url_for("units.application", application_id=application_id))


def _catalogue_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(CatalogueEntry.id, CatalogueEntry.code, CatalogueEntry.name).order_by(
            CatalogueEntry.seq
        )
    )
    choices = [("", _("— 请选择 —"))]
    for entry_id, code, name in rows:
        label = f"{name}（{code}）" if code and code != "/" else name
        choices.append((str(entry_id), label))
    return choices


def _occupation_form(row: Any | None) -> Any:
    equipment = list(row.equipment or []) if row is not None else []
    count = max(EQUIPMENT_ROWS, len(equipment) + 1)
    cls = _with_rows(OccupationForm, "equipment", EquipmentRow, count)
    if request.method == "POST" or row is None:
        form = cls()
    else:
        values: dict[str, Any] = {
            k: getattr(row, k) for k in (*services.OCCUPATION_TEXT_FIELDS, "form")
        }
        values["entry_id"] = str(row.entry_id) if row.entry_id else ""
        values["custom_name"] = row.custom_name
        for key in ("yearly_headcount", "classes", "hours", "class_size", "online_percent"):
            values[key] = str(getattr(row, key))
        values["standard"] = format_yuan(row.standard_fen)
        for kind in TEACHER_KINDS:
            values[f"teacher_{kind}"] = str((row.teachers or {}).get(kind, ""))
        values["equipment"] = [{k: str(v) for k, v in e.items()} for e in equipment]
        form = cls(data=values)
    form.entry_id.choices = _catalogue_choices()
    return form


def _read_occupation(form: Any) -> services.OccupationInput:
    errors = _Errors()
    entry_text = (form.entry_id.data or "").strip()
    entry_id: int | None = None
    if entry_text:
        entry_id = int(entry_text) if entry_text.isdigit() else -1
    teachers: dict[str, int] = {}
    for kind in TEACHER_KINDS:
        value = errors.integer(form, f"teacher_{kind}")
        if value is not None:
            teachers[kind] = value
    equipment = []
    for index, row in enumerate(form.equipment, start=1):
        sub = row.form
        if not any((sub[k].data or "").strip() for k in ("name", "brand", "quantity", "ownership")):
            continue
        quantity = errors.integer(sub, "quantity", default=0)
        if "quantity" in errors:
            errors["equipment"] = _("第 %(n)s 行设备数量：%(e)s", n=index, e=errors.pop("quantity"))
        equipment.append(
            {
                "name": sub["name"].data or "",
                "brand": sub["brand"].data or "",
                "quantity": quantity or 0,
                "ownership": sub["ownership"].data or "",
            }
        )
    standard = errors.money(form, "standard")
    data = services.OccupationInput(
        entry_id=entry_id,
        custom_name=form.custom_name.data or "",
        introduction=form.introduction.data or "",
        yearly_headcount=errors.integer(form, "yearly_headcount", default=0) or 0,
        classes=errors.integer(form, "classes", default=1) or 0,
        content=form.content.data or "",
        hours=errors.integer(form, "hours", default=0) or 0,
        class_size=errors.integer(form, "class_size", default=0) or 0,
        form=form.form.data or "",
        online_percent=errors.integer(form, "online_percent", default=0) or 0,
        materials=form.materials.data or "",
        skill_standard=form.skill_standard.data or "",
        assessment=form.assessment.data or "",
        platform=form.platform.data or "",
        certificates=form.certificates.data or "",
        teachers=teachers,
        site=form.site.data or "",
        equipment=equipment,
        advantages=form.advantages.data or "",
        standard_fen=standard or 0,
    )
    if errors:
        raise services.invalid_fields(errors)
    return data


def _occupation_page(application_id: int, occupation_id: int | None) -> Any:
    actor = current_actor()
    actor.require(Role.UNIT)
    item = services.get_application(actor, application_id)
    if (back := _read_only(item)) is not None:
        return back
    row = None
    if occupation_id is not None:
        row = next((o for o in item.occupations if o.id == occupation_id), None)
        if row is None:
            return render_template("errors/error.html", status=404, message=_("未找到该记录")), 404
    form = _occupation_form(row)
    status = 200
    if request.method == "POST" and "add_equipment" in request.form:
        if len(form.equipment) < MAX_EQUIPMENT_ROWS:
            form.equipment.append_entry()
    elif form.validate_on_submit():
        try:
            data = _read_occupation(form)
            if occupation_id is None:
                services.add_occupation(actor, application_id, data)
            else:
                services.update_occupation(actor, application_id, occupation_id, data)
        except DomainError as exc:
            show_refusal(form, exc)
            status = exc.status
        else:
            flash(_("职业（工种）已保存"), "success")
            return redirect(url_for("units.application", application_id=application_id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "units/occupation_form.html", form=form, item=item, row=row, **_labels()
    ), status


@bp.route("/unit/applications/<int:application_id>/occupations/new", methods=["GET", "POST"])
@login_required
def new_occupation(application_id: int) -> Any:
    """Add an occupation to a draft."""
    return _occupation_page(application_id, None)


@bp.route(
    "/unit/applications/<int:application_id>/occupations/<int:occupation_id>/edit",
    methods=["GET", "POST"],
)
@login_required
def edit_occupation(application_id: int, occupation_id: int) -> Any:
    """Change an occupation of a draft."""
    return _occupation_page(application_id, occupation_id)


@bp.route(
    "/unit/applications/<int:application_id>/occupations/<int:occupation_id>/remove",
    methods=["POST"],
)
@login_required
def remove_occupation(application_id: int, occupation_id: int) -> Any:
    """Remove an occupation from a draft."""
    try:
        services.remove_occupation(current_actor(), application_id, occupation_id)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "error")
    else:
        flash(_("职业（工种）已删除"), "info")
    return redirect(url_for("units.application", application_id=application_id))


def _download(filename: str, data: bytes) -> Response:
    return current_app.response_class(
        data, mimetype=XLSX_MIME, headers={"Content-Disposition": attachment_header(filename)}
    )


@bp.route("/unit/applications/<int:application_id>/export.xlsx")
@login_required
def export_application(application_id: int) -> Any:
    """The application as attachment 1, named 区名+单位名称+联系人+联系方式."""
    return _download(*exports.application_xlsx(current_actor(), application_id))


@bp.route("/unit/applications/attachment2.xlsx")
@login_required
def export_attachment2() -> Any:
    """The unit's attachment-2 summary for the open round."""
    return _download(*exports.attachment2_xlsx(current_actor()))
