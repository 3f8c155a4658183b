"""A unit's exports: the attachment-2 summary and its application (attachment 1) as xlsx."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.core.districts import district_name
from voucher.core.money import format_yuan
from voucher.core.spreadsheet import write_xlsx
from voucher.units.applications import get_application, get_unit, list_applications
from voucher.units.models import Application, ApplicationOccupation, TrainingUnit
from voucher.units.rules import CATEGORIES, FORMS, TEACHER_KINDS
from voucher.units.services import current_round

#: The per-occupation columns shared by attachments 2 and 3, in the forms' order.
OCCUPATION_HEADERS = (
    "拟申报职业培训项目",
    "拟申报职业（工种）",
    "拟开设培训班次",
    "拟培训人数（人）",
    "培训形式",
    "相关证书",
    "建议补贴标准（元/人）",
)
#: Attachment 2's column headers, in the form's order.
ATTACHMENT2_HEADERS = ("序号", *OCCUPATION_HEADERS)
#: The row (1-based, as in Excel) that holds the headers: title and unit information come first.
ATTACHMENT2_HEADER_ROW = 3
ATTACHMENT2_TITLE = "“揭榜领题”机制职业技能培训项目申报汇总表（应征单位填写）"
_UNSAFE_FILENAME = re.compile(r'[\\/:*?"<>|\r\n\t]')


def form_text(occupation: ApplicationOccupation) -> str:
    """培训形式 as written on the forms: 全线下 / 全线上 / 线上+线下（线上 30%）."""
    label = str(FORMS.get(occupation.form, occupation.form))
    if occupation.form == "mixed":
        return _("%(f)s（线上 %(p)s%%）", f=label, p=occupation.online_percent)
    return label


def occupation_columns(application: Application, occupation: ApplicationOccupation) -> list[Any]:
    """One occupation's cells under OCCUPATION_HEADERS."""
    return [
        application.name,
        occupation.occupation_name,
        occupation.classes,
        occupation.yearly_headcount,
        form_text(occupation),
        occupation.certificates,
        format_yuan(occupation.standard_fen),
    ]


def attachment2_xlsx(actor: Actor, *, round_id: int | None = None) -> tuple[str, bytes]:
    """附件2 申报汇总表 of the operator's unit for a round (the open one by default)."""
    actor.require(Role.UNIT)
    unit = get_unit(actor)
    if round_id is None:
        rnd = current_round()
        round_id = rnd.id if rnd is not None else None
    applications = sorted(
        (a for a in list_applications(actor) if round_id is None or a.round_id == round_id),
        key=lambda a: a.id,
    )
    preamble = [
        [ATTACHMENT2_TITLE],
        [
            "单位：",
            unit.name,
            "单位性质：",
            unit.nature,
            "填报人：",
            unit.contact_name,
            "联系方式：",
            unit.contact_mobile,
        ],
    ]
    pairs = [(a, o) for a in applications for o in a.occupations]
    rows = ([n, *occupation_columns(a, o)] for n, (a, o) in enumerate(pairs, start=1))
    data = write_xlsx(ATTACHMENT2_HEADERS, rows, title="申报汇总表", preamble=preamble)
    return f"附件2申报汇总表-{_safe(unit.name)}.xlsx", data


def _safe(text: str) -> str:
    return _UNSAFE_FILENAME.sub("", text).strip()


def application_filename(unit: TrainingUnit) -> str:
    """征集表命名：区名+单位名称+联系人+联系方式 (notice §七(二))."""
    name = "".join(
        (district_name(unit.district), unit.name, unit.contact_name, unit.contact_mobile)
    )
    return _safe(name) + ".xlsx"


def _yuan(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen)


def _wan(fen: int | None) -> str:
    return "" if fen is None else format_yuan(fen // 10_000)


def _count(value: int | None) -> Any:
    return "" if value is None else value


def profile_rows(unit: TrainingUnit) -> list[list[Any]]:
    """附件1 一、申报主体单位基本情况 as label/value rows."""
    rows: list[list[Any]] = [
        ["一、申报主体单位基本情况", ""],
        ["单位名称", unit.name],
        ["统一社会信用代码", unit.credit_code],
        ["所在区", district_name(unit.district)],
        ["主要培训领域", unit.main_field],
        ["成立年份", _count(unit.founded_year)],
        ["注册资金（万元）", _wan(unit.registered_capital_fen)],
        ["单位性质", unit.nature],
        ["单位法人代表", f"{unit.legal_rep_name} {unit.legal_rep_title}".strip()],
        ["法人代表手机", unit.legal_rep_mobile],
        ["法人代表电子邮箱", unit.legal_rep_email],
        ["单位联系人", f"{unit.contact_name} {unit.contact_title}".strip()],
        ["联系人手机", unit.contact_mobile],
        ["联系人电子邮箱", unit.contact_email],
        ["单位所在地", unit.address],
        ["单位网址", unit.website],
        ["自有培训平台", f"有（网址：{unit.platform_url}）" if unit.own_platform else "无"],
        [
            "是否有重大违法违纪、失信记录",
            f"有：{unit.violation_note}" if unit.has_violation else "无",
        ],
        ["可参与施教施训总人数", _count(unit.staff_total)],
        ["其中：教学和现场实训师资人数", _count(unit.staff_teachers)],
        ["其中：教务人数", _count(unit.staff_academic)],
        ["其他", _count(unit.staff_other)],
        ["单位介绍", unit.introduction],
    ]
    for finance in unit.finances:
        rows.append(
            [
                f"{finance.year}年 年收入 / 年纳税总额（元）",
                f"{_yuan(finance.revenue_fen)} / {_yuan(finance.tax_fen)}",
            ]
        )
    return rows


def occupation_rows(occupation: ApplicationOccupation, number: int) -> list[list[Any]]:
    """One occupation of 附件1 二 as label/value rows."""
    entry = occupation.entry
    name = occupation.occupation_name
    if entry is not None and entry.code and entry.code != "/":
        name = f"{name}（{entry.code}）"
    elif entry is None:
        name = f"{name}（目录外，市场紧缺急需）"
    teachers = occupation.teachers or {}
    rows: list[list[Any]] = [
        [f"职业（工种）{number}", name],
        ["职业（工种）介绍", occupation.introduction],
        ["计划年培训人数（人）", occupation.yearly_headcount],
        ["培训班次", occupation.classes],
        ["培训学时", occupation.hours],
        ["班级人数", occupation.class_size],
        ["培训内容与时间安排", occupation.content],
        ["培训形式", form_text(occupation)],
        ["教辅材料", occupation.materials],
        ["职业技能标准（考核大纲）", occupation.skill_standard],
        ["考核方式", occupation.assessment],
        ["教学平台系统", occupation.platform],
        ["相关证书", occupation.certificates],
    ]
    rows += [[f"师资：{label}", teachers.get(key, 0)] for key, label in TEACHER_KINDS.items()]
    rows.append(["场地情况", occupation.site])
    for index, item in enumerate(occupation.equipment or [], start=1):
        rows.append(
            [
                f"设备 {index}（名称 / 品牌 / 数量 / 所有权归属）",
                f"{item.get('name', '')} / {item.get('brand', '')} / "
                f"{item.get('quantity', '')} / {item.get('ownership', '')}",
            ]
        )
    rows += [
        ["承接优势", occupation.advantages],
        ["建议补贴标准（元/人）", format_yuan(occupation.standard_fen)],
        ["经费预算（元）", format_yuan(occupation.budget_fen)],
    ]
    return rows


def application_rows(application: Application) -> list[list[Any]]:
    """The whole of attachment 1 for one application, label/value."""
    rows: list[list[Any]] = [
        ["“揭榜领题”机制职业技能培训项目申报表", ""],
        *profile_rows(application.unit),
    ]
    rows += [
        ["二、申报项目信息", ""],
        ["项目类别", str(CATEGORIES.get(application.category, application.category))],
        ["项目名称", application.name],
        ["项目承接区域", "、".join(district_name(d) for d in application.districts_served)],
    ]
    for number, occupation in enumerate(application.occupations, start=1):
        rows += occupation_rows(occupation, number)
    headcount = sum(o.yearly_headcount for o in application.occupations)
    standards = sorted({o.standard_fen for o in application.occupations})
    rows += [
        ["三、申报项目有效性情况", ""],
        ["需求分析", application.needs_analysis],
        ["指导就业计划", application.employment_plan],
        ["培训对象人数（人）", headcount],
        ["经费预算标准（元/人）", "、".join(format_yuan(s) for s in standards)],
        ["经费预算总额（元）", format_yuan(application.budget_fen)],
    ]
    return rows


def application_xlsx(actor: Actor, application_id: int) -> tuple[str, bytes]:
    """One application as attachment 1 (one sheet), named 区名+单位名称+联系人+联系方式."""
    application = get_application(actor, application_id)
    return application_filename(application.unit), write_xlsx(
        (), application_rows(application), title="申报表"
    )
