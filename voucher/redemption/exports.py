"""Redemption exports (xlsx, masked IDs): the unit's redemptions and the daily summary."""

from __future__ import annotations

from voucher.accounts.access import Actor
from voucher.core.clock import business_today, to_business_time
from voucher.core.money import format_yuan
from voucher.core.pii import mask_name
from voucher.core.spreadsheet import write_xlsx
from voucher.redemption import services

STATUS_LABELS = {"active": "有效", "voided": "已作废"}


def redemptions_xlsx(actor: Actor) -> tuple[str, bytes]:
    """Every redemption in scope, one row each, holders masked."""
    rows = []
    for r in services.list_redemptions(actor, limit=100_000):
        person = r.voucher.person
        rows.append(
            [
                r.id,
                to_business_time(r.redeemed_at).strftime("%Y-%m-%d %H:%M"),
                r.voucher.human_code,
                mask_name(person.name),
                person.id_masked,
                r.voucher.entry.name if r.voucher.entry else "",
                r.training_class.name if r.training_class else "",
                format_yuan(r.fee_fen),
                format_yuan(r.offset_fen),
                format_yuan(r.fee_fen - r.offset_fen),
                STATUS_LABELS.get(r.status, r.status),
                r.void_reason,
            ]
        )
    headers = [
        "核销编号",
        "核销时间",
        "券码",
        "持券人",
        "身份证号码",
        "职业（工种）",
        "班级",
        "培训费（元）",
        "培训券抵扣（元）",
        "学员自付（元）",
        "状态",
        "作废原因",
    ]
    data = write_xlsx(headers, rows, title="核销记录")
    return f"培训券核销记录_{business_today().isoformat()}.xlsx", data


def daily_summary_xlsx(actor: Actor) -> tuple[str, bytes]:
    """Per day and class: count, fees, offsets and what trainees paid (active redemptions)."""
    rows = [
        [
            item["day"].isoformat(),
            item["class"],
            item["count"],
            format_yuan(item["fee_fen"]),
            format_yuan(item["offset_fen"]),
            format_yuan(item["pay_fen"]),
        ]
        for item in services.daily_summary(actor)
    ]
    headers = ["日期", "班级", "核销人数", "培训费合计（元）", "抵扣合计（元）", "自付合计（元）"]
    data = write_xlsx(headers, rows, title="每日核销汇总")
    return f"培训券核销每日汇总_{business_today().isoformat()}.xlsx", data
