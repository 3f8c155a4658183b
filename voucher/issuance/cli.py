"""``voucher issuance …``: quotas, bulk issuance with progress, expiring due vouchers."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from voucher.accounts.access import Actor
from voucher.core.money import format_yuan
from voucher.errors import DomainError

SYSTEM = Actor.system("cli")


def _fail(exc: DomainError) -> None:
    click.secho(f"错误：{exc}", fg="red", err=True)
    for key, value in exc.errors.items():
        click.echo(f"  {key}: {value}", err=True)
    sys.exit(1)


@click.group("issuance")
def issuance_group() -> None:
    """Quotas, bulk issuance and voucher expiry."""


@issuance_group.command("quotas")
@with_appcontext
def quotas_command() -> None:
    """List quotas: id, occupation, unit, face value, issued / planned, window."""
    from voucher.issuance.services import list_quotas

    for q in list_quotas(SYSTEM):
        scope = q.unit.name if q.unit else "通用"
        click.echo(
            f"#{q.id:<4} {q.entry.name} · {scope} · {format_yuan(q.amount_fen)} 元 · "
            f"{q.issued}/{q.planned} · {q.valid_from}～{q.valid_until}"
            f"{'' if q.open else ' · 已关闭'}"
        )


@issuance_group.command("batch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--quota", "quota_id", type=int, required=True, help="指标编号")
@click.option("--on", "on_date", type=click.DateTime(["%Y-%m-%d"]), help="发券日期（默认今天）")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="错误报告路径")
@with_appcontext
def batch_command(quota_id: int, file: Path, on_date: object, report: Path | None) -> None:
    """Issue vouchers to every row of an xlsx/csv list, all or nothing, printing progress."""
    from voucher.issuance import batches

    data = file.read_bytes()
    day: date | None = on_date.date() if on_date is not None else None  # type: ignore[attr-defined]
    try:
        batch = batches.start_batch(SYSTEM, quota_id=quota_id, filename=file.name, data=data)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"批次 #{batch.id}：{file.name}，约 {batch.total} 行")

    def show(b: object) -> None:
        click.echo(
            f"  [{b.status}] 已检查 {b.checked}/{b.total or '?'} 行，"  # type: ignore[attr-defined]
            f"问题 {b.error_count} 处",  # type: ignore[attr-defined]
            err=True,
        )

    result = batches.run_batch(SYSTEM, batch.id, data, on_date=day, progress=show)
    if result.status == "done":
        click.secho(f"完成：发放 {result.issued} 张，新登记 {result.registered} 人", fg="green")
        return
    click.secho(f"未发放：{result.message}", fg="red", err=True)
    for error in batches.batch_errors(SYSTEM, batch.id, limit=20):
        click.echo(f"  第 {error.row} 行 [{error.code}] {error.message}", err=True)
    if report is not None:
        report.write_bytes(batches.error_report(SYSTEM, batch.id))
        click.echo(f"错误报告：{report}", err=True)
    sys.exit(1)


@issuance_group.command("expire")
@with_appcontext
def expire_command() -> None:
    """Mark every voucher past its expiry as expired."""
    from voucher.issuance.services import expire_due

    click.echo(f"已将 {expire_due(SYSTEM)} 张过期培训券标记为已过期")
