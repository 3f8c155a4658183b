"""The training unit's side of a round: self-registration, profile (附件1 一) and project
applications (附件1 二、三): draft, edit, submit to the district by the round's deadline.

Services take plain values, own their transaction and audit every change. Every refusal is a
:class:`~voucher.errors.DomainError` with a Chinese message (and per-field ``errors`` where a
form can show them), raised before anything is written or inside a rolled-back unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from voucher.accounts.access import Actor, all_visible, get_visible
from voucher.accounts.models import User
from voucher.accounts.roles import Role
from voucher.accounts.rules import check_password_strength
from voucher.audit.models import AuditEvent
from voucher.audit.services import events_for, record
from voucher.catalog.models import CatalogueEntry
from voucher.core.clock import business_today
from voucher.core.districts import DISTRICTS, district_code
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, DomainError, NotFound, RuleViolation, ValidationFailed
from voucher.units.labels import status_label
from voucher.units.models import (
    Application,
    ApplicationOccupation,
    ApplicationStatus,
    ReviewRound,
    TrainingUnit,
    UnitFinance,
)
from voucher.units.rules import (
    CATEGORIES,
    NATURES,
    TEACHER_KINDS,
    check_deadline,
    check_form,
    check_headcount,
    check_project_standard,
)
from voucher.units.services import add_unit, current_round

SELF_REGISTRATION = "self-registration"
MOBILE = re.compile(r"1[3-9][0-9]{9}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_FOUNDED_YEAR = 1900
FINANCE_YEARS = 3
TRAINING_CERTIFICATE = "培训合格证书"  # what a market-needed occupation leads to (notice §七(一))


def invalid_fields(
    errors: Mapping[str, Any], *, code: str = "validation_failed"
) -> ValidationFailed:
    """One error carrying every field problem; its message lists them all."""
    texts = {k: str(v) for k, v in errors.items()}
    return ValidationFailed("；".join(dict.fromkeys(texts.values())), code=code, errors=texts)


def _text(value: str | None) -> str:
    """Trimmed text with runs of white space made one space (full-width characters kept)."""
    return " ".join((value or "").split())


# ---- self-registration ----------------------------------------------------------------------


def register_self(
    *,
    name: str,
    credit_code: str,
    district: str,
    contact_name: str,
    contact_mobile: str,
    username: str,
    password: str,
) -> tuple[TrainingUnit, User]:
    """A training unit registers itself: the unit and its operator account, in one transaction."""
    actor = Actor.system(SELF_REGISTRATION)
    errors: dict[str, Any] = {}
    name, contact_name, username = name.strip(), contact_name.strip(), username.strip()
    contact_mobile = contact_mobile.strip()
    if not name or len(name) > 120:
        errors["name"] = _l("请填写单位名称（不超过 120 个字符）")
    if not contact_name:
        errors["contact_name"] = _l("请填写联系人")
    if not MOBILE.fullmatch(contact_mobile):
        errors["contact_mobile"] = _l("手机号码应为 11 位数字")
    if not username or len(username) > 64:
        errors["username"] = _l("用户名不能为空且不超过 64 个字符")
    try:
        check_password_strength(password)
    except DomainError as exc:
        errors["password"] = exc.message
    if errors:
        raise invalid_fields(errors)
    with unit_of_work() as session:
        try:
            unit = add_unit(actor, name=name, credit_code=credit_code, district=district)
        except DomainError as exc:
            key = "district" if exc.code.startswith("district") else "credit_code"
            exc.errors = {key: str(exc.message)}
            raise
        unit.contact_name = contact_name
        unit.contact_mobile = contact_mobile
        if session.execute(select(User.id).where(User.username == username)).first():
            message = _l("用户名 %(u)s 已存在", u=username)
            raise Conflict(message, code="username_taken", errors={"username": str(message)})
        user = User(
            username=username,
            display_name=contact_name[:64],
            password_hash=generate_password_hash(password),
            role=Role.UNIT.value,
            unit_id=unit.id,
        )
        session.add(user)
        session.flush()
        record(actor, "user.created", "user", user.id, {"role": Role.UNIT.value, "unit": unit.id})
        record(actor, "unit.self_registered", "training_unit", unit.id, {"user_id": user.id})
    return unit, user


# ---- profile (附件1 一) ------------------------------------------------------------------------


@dataclass
class FinanceYear:
    """One year of 财务状况 (fen; None when not filled in)."""

    year: int
    revenue_fen: int | None = None
    tax_fen: int | None = None


@dataclass
class Profile:
    """Attachment 1 part 1, as the unit fills it in (money in fen)."""

    nature: str = ""
    main_field: str = ""
    founded_year: int | None = None
    registered_capital_fen: int | None = None
    legal_rep_name: str = ""
    legal_rep_title: str = ""
    legal_rep_mobile: str = ""
    legal_rep_email: str = ""
    contact_name: str = ""
    contact_title: str = ""
    contact_mobile: str = ""
    contact_email: str = ""
    address: str = ""
    website: str = ""
    own_platform: bool = False
    platform_url: str = ""
    has_violation: bool = False
    violation_note: str = ""
    staff_total: int | None = None
    staff_teachers: int | None = None
    staff_academic: int | None = None
    staff_other: int | None = None
    introduction: str = ""
    finances: list[FinanceYear] = field(default_factory=list)


PROFILE_FIELDS = [f for f in Profile.__dataclass_fields__ if f != "finances"]


def finance_years(today: date | None = None) -> list[int]:
    """The three years of 财务状况 asked for: the three before the open round's year."""
    rnd = current_round()
    year = rnd.year if rnd is not None else (today or business_today()).year
    return list(range(year - FINANCE_YEARS, year))


def profile_of(unit: TrainingUnit) -> Profile:
    """A unit's current profile as plain values."""
    data = {f: getattr(unit, f) for f in PROFILE_FIELDS}
    finances = [FinanceYear(f.year, f.revenue_fen, f.tax_fen) for f in unit.finances]
    return Profile(**data, finances=finances)


def check_profile(profile: Profile, *, today: date | None = None) -> None:
    """Refuse an incomplete or inconsistent profile, naming every field at fault."""
    today = today or business_today()
    errors: dict[str, Any] = {}
    if profile.nature not in NATURES:
        errors["nature"] = _l("请从表中选择单位性质")
    for key, label in (("legal_rep_name", _l("法人代表姓名")), ("contact_name", _l("联系人姓名"))):
        if not getattr(profile, key).strip():
            errors[key] = _l("请填写%(f)s", f=label)
    if not profile.contact_mobile.strip():
        errors["contact_mobile"] = _l("请填写联系人手机")
    for key in ("legal_rep_mobile", "contact_mobile"):
        value = getattr(profile, key).strip()
        if value and not MOBILE.fullmatch(value):
            errors[key] = _l("手机号码应为 11 位数字")
    for key in ("legal_rep_email", "contact_email"):
        value = getattr(profile, key).strip()
        if value and not EMAIL.fullmatch(value):
            errors[key] = _l("电子邮箱格式不正确")
    if profile.founded_year is not None and not (
        MIN_FOUNDED_YEAR <= profile.founded_year <= today.year
    ):
        errors["founded_year"] = _l(
            "成立年份应在 %(a)s 至 %(b)s 年之间", a=MIN_FOUNDED_YEAR, b=today.year
        )
    if profile.registered_capital_fen is not None and profile.registered_capital_fen < 0:
        errors["registered_capital"] = _l("注册资金不能为负数")
    if profile.own_platform and not profile.platform_url.strip():
        errors["platform_url"] = _l("有自有培训平台的，请填写平台网址")
    if profile.has_violation and not profile.violation_note.strip():
        errors["violation_note"] = _l("有违法违纪、失信记录的，请说明情况")
    staff = {
        k: getattr(profile, k)
        for k in ("staff_total", "staff_teachers", "staff_academic", "staff_other")
    }
    for key, value in staff.items():
        if value is not None and value < 0:
            errors[key] = _l("人数不能为负数")
    parts = sum(v or 0 for k, v in staff.items() if k != "staff_total")
    if "staff_total" not in errors and parts > (staff["staff_total"] or 0):
        errors["staff_total"] = _l(
            "师资、教务和其他人数之和（%(p)s）不能超过施教施训总人数", p=parts
        )
    years = [f.year for f in profile.finances]
    if len(set(years)) != len(years):
        errors["finances"] = _l("财务状况的年份不能重复")
    for f in profile.finances:
        if not MIN_FOUNDED_YEAR <= f.year <= today.year + 1:
            errors["finances"] = _l("财务状况的年份不正确：%(y)s", y=f.year)
        if (f.revenue_fen or 0) < 0 or (f.tax_fen or 0) < 0:
            errors["finances"] = _l("年收入和纳税总额不能为负数")
    if errors:
        raise invalid_fields(errors)


def get_unit(actor: Actor, unit_id: int | None = None) -> TrainingUnit:
    """A unit's profile: the operator's own (no id), or one in the caller's scope."""
    actor.require(Role.CITY, Role.DISTRICT, Role.UNIT)
    if unit_id is None:
        if actor.unit_id is None:
            raise NotFound(_l("未找到该记录"))
        unit_id = actor.unit_id
    return get_visible(TrainingUnit, unit_id, actor)


def update_profile(actor: Actor, profile: Profile, *, today: date | None = None) -> TrainingUnit:
    """The unit's operator saves its attachment-1 part-1 profile (with three years' finance)."""
    actor.require(Role.UNIT)
    check_profile(profile, today=today)
    with unit_of_work() as session:
        unit = get_visible(TrainingUnit, actor.unit_id, actor, for_update=True)
        changed = []
        for key in PROFILE_FIELDS:
            value = getattr(profile, key)
            value = value.strip() if isinstance(value, str) else value
            if getattr(unit, key) != value:
                setattr(unit, key, value)
                changed.append(key)
        existing = {f.year: f for f in unit.finances}
        for item in profile.finances:
            row = existing.get(item.year)
            if row is None:
                if item.revenue_fen is None and item.tax_fen is None:
                    continue
                row = UnitFinance(unit_id=unit.id, year=item.year)
                unit.finances.append(row)
            if (row.revenue_fen, row.tax_fen) != (item.revenue_fen, item.tax_fen):
                row.revenue_fen, row.tax_fen = item.revenue_fen, item.tax_fen
                changed.append(f"finance_{item.year}")
        session.flush()
        record(actor, "unit.profile_updated", "training_unit", unit.id, {"fields": changed})
    return unit


# ---- applications (附件1 二、三) ---------------------------------------------------------------


@dataclass
class ApplicationInput:
    """The project part of an application."""

    category: str
    name: str
    districts_served: list[str] = field(default_factory=list)
    needs_analysis: str = ""
    employment_plan: str = ""


@dataclass
class OccupationInput:
    """One occupation of an application (catalogue entry, or a market-needed one by name)."""

    entry_id: int | None = None
    custom_name: str = ""
    introduction: str = ""
    yearly_headcount: int = 0
    classes: int = 1
    content: str = ""
    hours: int = 0
    class_size: int = 0
    form: str = "offline"
    online_percent: int = 0
    materials: str = ""
    skill_standard: str = ""
    assessment: str = ""
    platform: str = ""
    certificates: str = ""
    teachers: dict[str, int] = field(default_factory=dict)
    site: str = ""
    equipment: list[dict[str, Any]] = field(default_factory=list)
    advantages: str = ""
    standard_fen: int = 0


OCCUPATION_TEXT_FIELDS = (
    "introduction",
    "content",
    "materials",
    "skill_standard",
    "assessment",
    "platform",
    "certificates",
    "site",
    "advantages",
)


def _check_application(data: ApplicationInput) -> list[str]:
    """Validate the project part; return the served districts as codes."""
    errors: dict[str, Any] = {}
    if data.category not in CATEGORIES:
        errors["category"] = _l("请选择项目类别")
    if not data.name.strip() or len(data.name.strip()) > 120:
        errors["name"] = _l("请填写项目名称（不超过 120 个字符）")
    served: list[str] = []
    for item in data.districts_served:
        code = district_code(item)
        if code is None:
            errors["districts_served"] = _l("未知的区：%(d)s", d=item)
        elif code not in served:
            served.append(code)
    if errors:
        raise invalid_fields(errors)
    return sorted(served, key=list(DISTRICTS).index)


def _catalogue_max(entry: CatalogueEntry | None) -> int | None:
    if entry is None:
        return None
    return max((s.amount_fen for s in entry.standards), default=None)


def _check_occupation(data: OccupationInput) -> tuple[str, CatalogueEntry | None, str]:
    """Validate one occupation row; return (occupation key, catalogue entry, certificates)."""
    errors: dict[str, Any] = {}
    entry: CatalogueEntry | None = None
    custom = _text(data.custom_name)
    certificates = data.certificates.strip()
    if data.entry_id is not None:
        entry = db.session.get(CatalogueEntry, data.entry_id)
        if entry is None:
            errors["entry_id"] = _l("目录中没有该职业（工种）")
        key = f"entry:{data.entry_id}"
    elif custom:
        if len(custom) > 64:
            errors["custom_name"] = _l("职业（工种）名称不超过 64 个字符")
        key = f"custom:{custom}"
        if not certificates:
            certificates = TRAINING_CERTIFICATE
        elif TRAINING_CERTIFICATE not in certificates:
            errors["certificates"] = _l(
                "目录外的市场紧缺急需职业（工种）只能申报培训合格证书项目（通知第七条第一项）"
            )
    else:
        errors["entry_id"] = _l("请从目录中选择职业（工种），或填写目录外的职业（工种）名称")
        key = ""
    for name, rule, args in (
        ("yearly_headcount", check_headcount, (data.yearly_headcount,)),
        ("form", check_form, (data.form, data.online_percent)),
        ("standard", check_project_standard, (data.standard_fen, _catalogue_max(entry))),
    ):
        try:
            rule(*args)
        except RuleViolation as exc:
            errors["online_percent" if exc.code == "online_percent_invalid" else name] = exc.message
    if data.classes < 1:
        errors["classes"] = _l("培训班次至少为 1")
    for name in ("hours", "class_size"):
        if getattr(data, name) < 0:
            errors[name] = _l("不能为负数")
    teachers = data.teachers
    if any(k not in TEACHER_KINDS for k in teachers) or any(v < 0 for v in teachers.values()):
        errors["teachers"] = _l("师资人数不能为负数")
    elif any(v > teachers.get("total", 0) for k, v in teachers.items() if k != "total"):
        errors["teachers"] = _l("各类师资人数不能超过师资总人数")
    for row in data.equipment:
        if not str(row.get("name", "")).strip() or int(row.get("quantity") or 0) < 1:
            errors["equipment"] = _l("每台设备须填写名称，数量至少为 1")
    if len(certificates) > 200 or len(data.platform) > 200:
        errors["certificates" if len(certificates) > 200 else "platform"] = _l("不超过 200 个字符")
    if errors:
        raise invalid_fields(errors)
    return key, entry, certificates


def _locked(application: Application) -> Conflict:
    return Conflict(
        _l(
            "申报已提交（当前状态：%(s)s），不能再修改",
            s=status_label(application.status),
        ),
        code="application_locked",
    )


def _editable(actor: Actor, application_id: int) -> Application:
    """Load the operator's own application for change; refuse it once submitted."""
    actor.require(Role.UNIT)
    application = get_visible(Application, application_id, actor, for_update=True)
    if application.status not in ApplicationStatus.EDITABLE:
        raise _locked(application)
    return application


def _duplicate(application: Application, key: str, exclude_id: int | None, name: str) -> None:
    stmt = select(ApplicationOccupation.application_id).where(
        ApplicationOccupation.round_id == application.round_id,
        ApplicationOccupation.unit_id == application.unit_id,
        ApplicationOccupation.occupation_key == key,
    )
    if exclude_id is not None:
        stmt = stmt.where(ApplicationOccupation.id != exclude_id)
    other = db.session.execute(stmt).scalars().first()
    if other is not None:
        raise _duplicate_error(name, other)


def _duplicate_error(name: str, other: int | None = None) -> Conflict:
    message = _l(
        "本单位在本批次已申报过“%(n)s”%(where)s，同一职业（工种）每批次只能申报一次",
        n=name,
        where=f"（申报编号 {other}）" if other else "",
    )
    return Conflict(message, code="occupation_duplicate", errors={"entry_id": str(message)})


def _flush_unique(name: str) -> None:
    """Flush; the unique (round, unit, occupation) constraint is the last guard."""
    try:
        db.session.flush()
    except IntegrityError:
        raise _duplicate_error(name) from None


def _apply_occupation(
    row: ApplicationOccupation, data: OccupationInput, entry: CatalogueEntry | None, certs: str
) -> None:
    row.entry_id = entry.id if entry is not None else None
    row.custom_name = "" if entry is not None else _text(data.custom_name)
    for name in OCCUPATION_TEXT_FIELDS:
        setattr(row, name, getattr(data, name).strip())
    row.certificates = certs
    row.yearly_headcount = data.yearly_headcount
    row.classes = data.classes
    row.hours = data.hours
    row.class_size = data.class_size
    row.form = data.form
    row.online_percent = {"offline": 0, "online": 100}.get(data.form, data.online_percent)
    row.teachers = {k: int(v) for k, v in data.teachers.items() if k in TEACHER_KINDS}
    row.equipment = [
        {
            "name": str(e.get("name", "")).strip(),
            "brand": str(e.get("brand", "")).strip(),
            "quantity": int(e.get("quantity") or 0),
            "ownership": str(e.get("ownership", "")).strip(),
        }
        for e in data.equipment
    ]
    row.standard_fen = data.standard_fen


def _occupation_label(data: OccupationInput, entry: CatalogueEntry | None) -> str:
    return entry.name if entry is not None else _text(data.custom_name)


def create_application(
    actor: Actor,
    data: ApplicationInput,
    occupations: Sequence[OccupationInput] = (),
    *,
    round_id: int | None = None,
) -> Application:
    """Start a draft application in the open round (optionally with its occupations)."""
    actor.require(Role.UNIT)
    served = _check_application(data)
    checked = [(o, *_check_occupation(o)) for o in occupations]
    with unit_of_work() as session:
        unit = get_visible(TrainingUnit, actor.unit_id, actor)
        rnd = session.get(ReviewRound, round_id) if round_id is not None else current_round()
        if rnd is None or not rnd.open:
            raise RuleViolation(_l("当前没有开放的征集批次"), code="round_closed")
        application = Application(
            round_id=rnd.id,
            unit_id=unit.id,
            district=unit.district,
            category=data.category,
            name=data.name.strip(),
            districts_served=served,
            needs_analysis=data.needs_analysis.strip(),
            employment_plan=data.employment_plan.strip(),
            status=ApplicationStatus.DRAFT,
        )
        session.add(application)
        session.flush()
        record(
            actor,
            "application.created",
            "application",
            application.id,
            {"round_id": rnd.id, "category": data.category, "name": application.name},
        )
        for item, key, entry, certs in checked:
            _add_occupation_row(actor, application, item, key, entry, certs)
    return application


def update_application(actor: Actor, application_id: int, data: ApplicationInput) -> Application:
    """Change the project part of a draft (or returned) application."""
    served = _check_application(data)
    with unit_of_work():
        application = _editable(actor, application_id)
        application.category = data.category
        application.name = data.name.strip()
        application.districts_served = served
        application.needs_analysis = data.needs_analysis.strip()
        application.employment_plan = data.employment_plan.strip()
        record(actor, "application.updated", "application", application.id)
    return application


def _add_occupation_row(
    actor: Actor,
    application: Application,
    data: OccupationInput,
    key: str,
    entry: CatalogueEntry | None,
    certs: str,
) -> ApplicationOccupation:
    name = _occupation_label(data, entry)
    _duplicate(application, key, None, name)
    row = ApplicationOccupation(
        application_id=application.id,
        round_id=application.round_id,
        unit_id=application.unit_id,
        occupation_key=key,
    )
    _apply_occupation(row, data, entry, certs)
    application.occupations.append(row)
    _flush_unique(name)
    record(
        actor,
        "application.occupation_added",
        "application",
        application.id,
        {"occupation_id": row.id, "occupation": key, "headcount": row.yearly_headcount},
    )
    return row


def add_occupation(
    actor: Actor, application_id: int, data: OccupationInput
) -> ApplicationOccupation:
    """Add an occupation to a draft application (one per unit and occupation in a round)."""
    key, entry, certs = _check_occupation(data)
    with unit_of_work():
        application = _editable(actor, application_id)
        row = _add_occupation_row(actor, application, data, key, entry, certs)
    return row


def _own_occupation(application: Application, occupation_id: int) -> ApplicationOccupation:
    for row in application.occupations:
        if row.id == occupation_id:
            return row
    raise NotFound(_l("未找到该记录"))


def update_occupation(
    actor: Actor, application_id: int, occupation_id: int, data: OccupationInput
) -> ApplicationOccupation:
    """Change one occupation of a draft application."""
    key, entry, certs = _check_occupation(data)
    with unit_of_work():
        application = _editable(actor, application_id)
        row = _own_occupation(application, occupation_id)
        name = _occupation_label(data, entry)
        _duplicate(application, key, row.id, name)
        row.occupation_key = key
        _apply_occupation(row, data, entry, certs)
        _flush_unique(name)
        record(
            actor,
            "application.occupation_updated",
            "application",
            application.id,
            {"occupation_id": row.id, "occupation": key, "headcount": row.yearly_headcount},
        )
    return row


def remove_occupation(actor: Actor, application_id: int, occupation_id: int) -> None:
    """Remove one occupation from a draft application."""
    with unit_of_work() as session:
        application = _editable(actor, application_id)
        row = _own_occupation(application, occupation_id)
        key = row.occupation_key
        application.occupations.remove(row)
        session.delete(row)
        record(
            actor,
            "application.occupation_removed",
            "application",
            application.id,
            {"occupation_id": occupation_id, "occupation": key},
        )


def submission_problems(application: Application) -> list[str]:
    """Why an application cannot be submitted yet (empty when complete)."""
    problems: list[str] = []
    if application.category not in CATEGORIES:
        problems.append(str(_l("请选择项目类别")))
    if not application.name.strip():
        problems.append(str(_l("请填写项目名称")))
    if not application.districts_served:
        problems.append(str(_l("请至少选择一个项目承接区域")))
    if not application.needs_analysis.strip():
        problems.append(str(_l("请填写需求分析")))
    if not application.employment_plan.strip():
        problems.append(str(_l("请填写指导就业计划")))
    if not application.occupations:
        problems.append(str(_l("请至少填写一个职业（工种）")))
    for row in application.occupations:
        for rule, args in (
            (check_headcount, (row.yearly_headcount,)),
            (check_project_standard, (row.standard_fen, _catalogue_max(row.entry))),
            (check_form, (row.form, row.online_percent)),
        ):
            try:
                rule(*args)
            except RuleViolation as exc:
                problems.append(f"{row.occupation_name}：{exc.message}")
    return problems


def submit_application(
    actor: Actor, application_id: int, *, today: date | None = None
) -> Application:
    """Submit a complete draft (or returned) application to the district before the deadline."""
    today = today or business_today()
    with unit_of_work():
        application = _editable(actor, application_id)
        rnd = application.round
        if not rnd.open:
            raise RuleViolation(_l("该征集批次已关闭，不能再提交"), code="round_closed")
        check_deadline(today, rnd.unit_deadline, who=str(_l("培训机构向区人社局提交的")))
        problems = submission_problems(application)
        if problems:
            raise ValidationFailed(
                _l("申报材料不完整，不能提交：%(p)s", p="；".join(problems)),
                code="application_incomplete",
                errors={"application": problems},
            )
        previous = application.status
        application.status = ApplicationStatus.SUBMITTED
        application.submitted_at = utcnow()
        record(
            actor,
            "application.submitted",
            "application",
            application.id,
            {
                "from": previous,
                "budget_fen": application.budget_fen,
                "on": today.isoformat(),
                "deadline": rnd.unit_deadline.isoformat(),
            },
        )
    return application


def get_application(actor: Actor, application_id: int) -> Application:
    """One application in the caller's scope (NotFound otherwise)."""
    return get_visible(Application, application_id, actor)


def list_applications(actor: Actor, *, round_id: int | None = None) -> list[Application]:
    """The applications in the caller's scope, newest first."""
    where = [Application.round_id == round_id] if round_id is not None else []
    return sorted(all_visible(Application, actor, *where), key=lambda a: a.id, reverse=True)


def application_timeline(actor: Actor, application_id: int) -> list[AuditEvent]:
    """The audit events of an application the caller may see, oldest first."""
    application = get_application(actor, application_id)
    return events_for("application", application.id)
