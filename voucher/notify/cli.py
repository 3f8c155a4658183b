"""``voucher notify send-due | status``: issuance notices and expiry reminders to trainees."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from voucher.notify import services


@click.group("notify")
def notify_group() -> None:
    """Messages to trainees (SMS through the configured sender)."""


@notify_group.command("send-due")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="本次最多发送条数")
@with_appcontext
def send_due_command(limit: int | None) -> None:
    """Queue issuance notices and expiry reminders that are due, then send pending messages.

    Safe to run again at any time (e.g. every few minutes from cron): nothing is sent twice.
    """
    report = services.send_due(limit=limit)
    click.echo(
        f"新排队：发券通知 {report.queued_issued} 条，到期提醒 {report.queued_reminders} 条；"
        f"已发送 {report.sent} 条，稍后重试 {report.retry_later} 条，失败 {report.failed} 条，"
        f"券已失效不再发送 {report.skipped} 条"
    )
    for error in report.errors[:20]:
        click.echo(f"  {error}", err=True)
    if report.failed:
        raise SystemExit(1)


@notify_group.command("status")
@with_appcontext
def status_command() -> None:
    """Count the outbox's messages by status."""
    labels = {
        "pending": "待发送",
        "sending": "发送中",
        "sent": "已发送",
        "failed": "失败",
        "skipped": "券已失效未发送",
    }
    counts = services.outbox_counts()
    for status, label in labels.items():
        click.echo(f"{label}：{counts.get(status, 0)}")
