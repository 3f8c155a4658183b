"""Attachment 3: the district's summary of applications it passed (各区人社部门填写), as xlsx."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.core.districts import district_code, district_name
from voucher.core.spreadsheet import write_xlsx
from voucher.db import db
from voucher.errors import ValidationFailed
from voucher.units.exports import OCCUPATION_HEADERS, occupation_columns
from voucher.units.models import Application, ReviewRound
from voucher.units.review import PASSED_OR_LATER
from voucher.units.services import current_round

#: Attachment 3's column headers, exactly and in the form's order.
ATTACHMENT3_HEADERS = ("序号", "单位名称", "单位性质", *OCCUPATION_HEADERS)
#: The row (1-based, as in Excel) holding the headers: the title and 填报单位 line come first.
ATTACHMENT3_HEADER_ROW = 3
ATTACHMENT3_TITLE = "“揭榜领题”机制职业技能培训项目申报汇总表（各区人社部门填写）"


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
                    *occupation_columns(application, occupation),
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
    preamble = [
        [ATTACHMENT3_TITLE],
        ["填报单位：", office, "填报人：", actor.label, "联系电话：", ""],
    ]
    data = write_xlsx(
        ATTACHMENT3_HEADERS, summary_rows(district, rnd.id), title="申报汇总表", preamble=preamble
    )
    return f"附件3申报汇总表-{district_name(district)}-{rnd.year}.xlsx", data
