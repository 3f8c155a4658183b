"""Attachment 3: the district's summary of applications it passed (各区人社部门填写), as xlsx."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import select

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.core.districts import district_code, district_name
from voucher.core.money import format_yuan
from voucher.db import db
from voucher.errors import ValidationFailed
from voucher.units.models import Application, ApplicationOccupation, ReviewRound
from voucher.units.review import PASSED_OR_LATER
from voucher.units.rules import FORMS
from voucher.units.services import current_round

#: Attachment 3's column headers, exactly and in the form's order.
ATTACHMENT3_HEADERS = (
    "序号",
    "单位名称",
    "单位性质",
    "拟申报职业培训项目",
    "拟申报职业（工种）",
    "拟开设培训班次",
    "拟培训人数（人）",
    "培训形式",
    "相关证书",
    "建议补贴标准（元/人）",
)
#: The row (1-based, as in Excel) holding the headers: the title and 填报单位 line come first.
ATTACHMENT3_HEADER_ROW = 3
ATTACHMENT3_TITLE = "“揭榜领题”机制职业技能培训项目申报汇总表（各区人社部门填写）"


def form_text(occupation: ApplicationOccupation) -> str:
    """培训形式 as on the forms: 全线下 / 全线上 / 线上+线下（线上 30%）."""
    label = str(FORMS.get(occupation.form, occupation.form))
    if occupation.form == "mixed":
        return _("%(f)s（线上 %(p)s%%）", f=label, p=occupation.online_percent)
    return label


def summary_rows(district: str, round_id: int) -> list[list[Any]]:
    """The data rows: one per occupation of the district's passed (and later) applications."""
    applications = db.session.execute(
        select(Application)
        .where(
            Application.district == district,
            Application.round_id == round_id,
            Application.status.in_(PASSED_OR_LATER),
        )
        .order_by(Application.id)
    ).scalars()
    rows: list[list[Any]] = []
    for application in applications:
        unit = application.unit
        for occupation in application.occupations:
            rows.append(
                [
                    len(rows) + 1,
                    unit.name,
                    unit.nature,
                    application.name,
                    occupation.occupation_name,
                    occupation.classes,
                    occupation.yearly_headcount,
                    form_text(occupation),
                    occupation.certificates,
                    format_yuan(occupation.standard_fen),
                ]
            )
    return rows


def district_summary_xlsx(
    actor: Actor, *, round_id: int | None = None, district: str | None = None
) -> tuple[str, bytes]:
    """附件3 申报汇总表 of a district for a round (the open one by default): (file name, bytes).

    A district officer gets their own district; the city names the district.
    """
    actor.require(Role.DISTRICT, Role.CITY)
    district = actor.district if actor.role is Role.DISTRICT else district_code(district or "")
    if district is None:
        raise ValidationFailed(_l("请选择区"), code="district_unknown")
    rnd = db.session.get(ReviewRound, round_id) if round_id is not None else current_round()
    if rnd is None:
        raise ValidationFailed(_l("没有可导出的征集批次"), code="round_missing")
    office = _("%(d)s人力资源和社会保障局", d=district_name(district))
    header: list[Sequence[Any]] = [
        [ATTACHMENT3_TITLE],
        ["填报单位：", office, "填报人：", actor.label, "联系电话：", ""],
        list(ATTACHMENT3_HEADERS),
    ]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="申报汇总表")
    for row in [*header, *summary_rows(district, rnd.id)]:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    filename = f"附件3申报汇总表-{district_name(district)}-{rnd.year}.xlsx"
    return filename, out.getvalue()
