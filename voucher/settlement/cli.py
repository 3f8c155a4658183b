"""``voucher settlement generate | check``: claim generation and the invariants check."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from voucher.cli import SYSTEM, _fail
from voucher.errors import DomainError


@click.group("settlement")
def settlement_group() -> None:
    """Subsidy claims: generation and reconciliation checks."""


@settlement_group.command("generate")
@click.option("--unit", "unit_id", type=int, default=None, help="只为该培训机构生成（默认全部）")
@with_appcontext
def generate_command(unit_id: int | None) -> None:
    """Put every claimable voucher on its unit's draft claim (one transaction)."""
    from voucher.settlement.claims import generate_claims

    try:
        done = generate_claims(SYSTEM, unit_id)
    except DomainError as exc:
        _fail(exc)
    click.echo(
        f"生成申领 {done.claims} 份，明细 {done.lines} 条，金额 {done.total_fen / 100:.2f} 元"
    )


@settlement_group.command("check")
@with_appcontext
def check_command() -> None:
    """Print every breach of the settlement invariants; exit 1 if there is any."""
    from voucher.settlement.reconcile import check_invariants

    breaches = check_invariants()
    for breach in breaches:
        click.echo(str(breach))
    if breaches:
        click.secho(f"发现 {len(breaches)} 处不一致", fg="red", err=True)
        sys.exit(1)
    click.echo(
        "结算数据一致：每条核销至多一条申领明细，明细合计等于申领金额，支付不超过审批，发券不超过计划"
    )
