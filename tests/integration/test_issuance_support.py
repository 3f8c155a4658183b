"""Shared builders for the issuance tests (no tests here): quotas, trainee facts, list files."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from openpyxl import Workbook

from voucher.core.clock import business_today
from voucher.demo import synthetic_id_number
from voucher.issuance.services import GroupInput, PersonFactsInput, create_quota, update_person

HEADER = ["身份证号码", "姓名", "手机号码", "居住依据", "重点群体", "群体证明日期"]


def unemployed_facts(**changes: Any) -> PersonFactsInput:
    """A Guangzhou resident registered unemployed since 2025."""
    base = {
        "residence_basis": "hukou",
        "residence_source": "公安户籍系统",
        "residence_reference": "GZ-1",
        "residence_date": date(2020, 1, 1),
        "groups": (GroupInput("unemployed", "失业登记系统", "SY-1", date(2025, 1, 5)),),
    }
    return PersonFactsInput(**(base | changes))


def make_eligible(demo: Any, *indexes: int) -> None:
    """Give demo trainees residence and the unemployed group."""
    city = demo.actor("city")
    for index in indexes or range(len(demo.people)):
        person = demo.people[index]
        update_person(
            city, person.id, name=person.name, phone=person.phone, facts=unemployed_facts()
        )


def make_quota(
    demo: Any,
    *,
    planned: int = 10,
    unit: int | None = 0,
    entry: int | None = None,
    groups: tuple[str, ...] = ("unemployed",),
    **kwargs: Any,
) -> Any:
    """A quota for 养老护理员 (unit 1, 定向 by default; unit=None for 通用)."""
    today = business_today()
    return create_quota(
        demo.actor("city"),
        entry_id=entry or demo.care,
        unit_id=None if unit is None else demo.units[unit].id,
        groups=list(groups),
        planned=planned,
        valid_from=kwargs.pop("valid_from", today - timedelta(days=1)),
        valid_until=kwargs.pop("valid_until", today + timedelta(days=60)),
        **kwargs,
    )


def new_id(seq: int, birth: date = date(1992, 4, 5)) -> str:
    """A synthetic, check-digit-correct ID number."""
    return synthetic_id_number("440104", birth, seq)


def rows_for(count: int, start: int = 100) -> list[list[str]]:
    """Unregistered, eligible rows (residence: unemployment registration; group: unemployed)."""
    return [
        [
            new_id(start + i),
            f"测试{chr(0x4E00 + i)}",
            f"139{i:08d}",
            "失业登记",
            "登记失业",
            "2025-03-01",
        ]
        for i in range(count)
    ]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    """A UTF-8 CSV list."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    """An xlsx list."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
