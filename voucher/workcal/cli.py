"""``voucher calendar set | clear | declare-year | show``: the working-day calendar by hand."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import with_appcontext

from voucher.cli import SYSTEM, _fail
from voucher.core.clock import to_business_time
from voucher.errors import DomainError
from voucher.workcal import services
from voucher.workcal.rules import YEAR_STATUS_LABELS, builtin_special_days, weekday_label

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime) -> date:
    return value.date()


@click.group("calendar")
def calendar_group() -> None:
    """Working-day calendar: holidays and make-up days (调休) over the built-in data."""


@calendar_group.command("set")
@click.argument("day", metavar="DATE", type=DATE)
@click.argument("kind", type=click.Choice(["workday", "holiday"]))
@click.option("--note", default="", help="说明，如 春节、国庆节调休上班")
@with_appcontext
def calendar_set(day: datetime, kind: str, note: str) -> None:
    """Mark DATE as a working day or a day off (overrides the built-in calendar)."""
    try:
        row = services.set_day(SYSTEM, _day(day), kind == "workday", note)
    except DomainError as exc:
        _fail(exc)
    label = "上班" if row.is_workday else "放假"
    click.echo(f"{row.day.isoformat()} 设为{label}" + (f"（{row.note}）" if row.note else ""))


@calendar_group.command("clear")
@click.argument("day", metavar="DATE", type=DATE)
@with_appcontext
def calendar_clear(day: datetime) -> None:
    """Remove the override of DATE: the built-in calendar applies again."""
    try:
        services.clear_day(SYSTEM, _day(day))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"已删除 {_day(day).isoformat()} 的调整")


@calendar_group.command("declare-year")
@click.argument("year", type=int)
@click.option("--note", default="", help="说明，如 国办发明电文号")
@with_appcontext
def calendar_declare(year: int, note: str) -> None:
    """Declare YEAR's holidays and make-up days completely entered."""
    try:
        services.declare_year(SYSTEM, year, note)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"已声明 {year} 年节假日安排录入完整")


@calendar_group.command("show")
@click.argument("year", type=int)
@click.option("--builtin", is_flag=True, help="同时列出内置安排中的放假日和调休上班日")
@with_appcontext
def calendar_show(year: int, builtin: bool) -> None:
    """Print YEAR's status and its overrides."""
    try:
        info = services.year_info(year)
        days = services.days_for_year(year)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{year} 年：{YEAR_STATUS_LABELS[info.status]}")
    if info.declaration is not None:
        who = info.declaration.declarer.username if info.declaration.declarer else "命令行"
        note = f"，{info.declaration.note}" if info.declaration.note else ""
        at = to_business_time(info.declaration.declared_at)
        click.echo(f"  声明：{at:%Y-%m-%d %H:%M}，{who}{note}")
    click.echo(f"手工调整 {len(days)} 天：")
    for row in days:
        label = "上班" if row.is_workday else "放假"
        click.echo(f"  {row.day.isoformat()} 星期{weekday_label(row.day)} {label} {row.note}")
    if builtin:
        special = builtin_special_days(year)
        click.echo(f"内置安排 {len(special)} 天：")
        for b in special:
            label = "调休上班" if b.is_workday else "放假"
            click.echo(f"  {b.day.isoformat()} 星期{weekday_label(b.day)} {label} {b.name}")
