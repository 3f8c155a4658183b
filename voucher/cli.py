"""Command line: ``voucher init | demo | users | catalogue | audit | keys`` (and Flask's own)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from voucher.accounts.access import Actor
from voucher.errors import DomainError

if TYPE_CHECKING:
    from voucher.issuance.models import SigningKey

SYSTEM = Actor.system("cli")


def _fail(exc: DomainError) -> NoReturn:
    click.secho(f"错误：{exc}", fg="red", err=True)
    for key, value in exc.errors.items():
        click.echo(f"  {key}: {value}", err=True)
    sys.exit(1)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database, load the catalogue and make sure a signing key exists."""
    from voucher.catalog.services import load_catalogue
    from voucher.issuance.keys import ensure_active_key

    upgrade()
    added, changed = load_catalogue(SYSTEM)
    key = ensure_active_key(SYSTEM)
    click.echo(f"数据库已迁移；目录新增 {added} 条、更新 {changed} 条；签名密钥 {key.kid}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo accounts, units and trainees (idempotent) and print the logins."""
    from voucher.demo import load_demo

    try:
        logins = load_demo()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"演示账号（密码均为 {logins[0].password}）：")
    for login in logins:
        click.echo(f"  {login.username:<8} {login.role}")


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="显示名称")
@click.option(
    "--role",
    type=click.Choice(["city_officer", "district_officer", "unit_operator", "finance_officer"]),
    required=True,
)
@click.option("--district", default=None, help="区名或区划代码（区人社局经办人）")
@click.option("--unit-id", type=int, default=None, help="培训机构编号（培训机构操作员）")
@click.password_option()
@with_appcontext
def users_create(
    username: str,
    display_name: str,
    role: str,
    district: str | None,
    unit_id: int | None,
    password: str,
) -> None:
    """Create a staff account."""
    from voucher.accounts.services import create_user

    try:
        user = create_user(
            SYSTEM,
            username=username,
            display_name=display_name or username,
            password=password,
            role=role,
            district=district,
            unit_id=unit_id,
        )
    except DomainError as exc:
        _fail(exc)
    click.echo(f"已创建用户 {user.username}（编号 {user.id}）")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List staff accounts."""
    from voucher.accounts.services import list_users

    for user in list_users():
        binding = user.district or (f"unit {user.unit_id}" if user.unit_id else "")
        state = "" if user.active else "（停用）"
        click.echo(f"{user.id:>4} {user.username:<16} {user.role:<18} {binding}{state}")


@users_group.command("passwd")
@click.argument("username")
@click.password_option()
@with_appcontext
def users_passwd(username: str, password: str) -> None:
    """Set a user's password."""
    from voucher.accounts.services import list_users, set_password

    match = [u for u in list_users() if u.username == username]
    if not match:
        click.secho(f"错误：没有用户 {username}", fg="red", err=True)
        sys.exit(1)
    try:
        set_password(SYSTEM, match[0].id, password)
    except DomainError as exc:
        _fail(exc)
    click.echo("密码已更新")


@users_group.command("token")
@click.argument("username")
@click.option("--name", default="cli", help="令牌名称")
@with_appcontext
def users_token(username: str, name: str) -> None:
    """Issue an API token for a user (printed once)."""
    from voucher.accounts.services import issue_api_token, list_users

    match = [u for u in list_users() if u.username == username]
    if not match:
        click.secho(f"错误：没有用户 {username}", fg="red", err=True)
        sys.exit(1)
    click.echo(issue_api_token(SYSTEM, match[0].id, name))


@click.group("catalogue")
def catalogue_group() -> None:
    """The attachment-5 catalogue and its standards."""


@catalogue_group.command("load")
@with_appcontext
def catalogue_load() -> None:
    """Load or refresh the packaged catalogue (idempotent)."""
    from voucher.catalog.services import load_catalogue

    added, changed = load_catalogue(SYSTEM)
    click.echo(f"目录新增 {added} 条、更新 {changed} 条")


@catalogue_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def catalogue_export(path: Path) -> None:
    """Write the catalogue with its standards to an xlsx file."""
    from voucher.catalog.services import export_catalogue

    path.write_bytes(export_catalogue())
    click.echo(f"已导出到 {path}")


@catalogue_group.command("import-standards")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def catalogue_import(path: Path) -> None:
    """Import subsidy standards from an xlsx file (all rows or none)."""
    from voucher.catalog.services import import_standards

    try:
        with path.open("rb") as stream:
            result = import_standards(SYSTEM, stream, filename=path.name)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"导入 {result.rows} 行，更新 {result.changed} 项")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Verify the chain; name the first altered or removed row. Exit 1 on any breach."""
    from voucher.audit.services import verify_chain

    checked, breaches, head = verify_chain()
    if breaches:
        first = breaches[0]
        click.secho(
            f"审计链校验失败：第一处问题在封存序号 {first.seq}、"
            f"审计记录 {first.event_id}：{first.problem}",
            fg="red",
        )
        for breach in breaches[1:]:
            click.echo(f"  封存序号 {breach.seq}、审计记录 {breach.event_id}：{breach.problem}")
        sys.exit(1)
    click.echo(f"审计链完整：已校验 {checked} 条；链头 {head}")


@audit_group.command("seal")
@with_appcontext
def audit_seal() -> None:
    """Seal every event not yet chained (a full pass)."""
    from voucher.audit.services import seal_pending

    click.echo(f"已封存 {seal_pending(full=True)} 条")


@click.group("keys")
def keys_group() -> None:
    """Voucher signing keys: generate, rotate, retire, revoke, list, JWKS."""


def _key_call(action: Callable[[], SigningKey], done: str) -> None:
    try:
        key = action()
    except DomainError as exc:
        _fail(exc)
    click.echo(done.format(kid=key.kid))


@keys_group.command("generate")
@with_appcontext
def keys_generate() -> None:
    """Generate the first active key (refused while one is active: rotate instead)."""
    from voucher.issuance.keys import generate_key

    _key_call(lambda: generate_key(SYSTEM, rotate=False), "新签名密钥 {kid} 已启用")


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Generate a new active key; the previous one retires (still verifies its vouchers)."""
    from voucher.issuance.keys import generate_key

    _key_call(lambda: generate_key(SYSTEM), "已轮换：新签名密钥 {kid} 启用，原密钥停用但仍可核验")


@keys_group.command("retire")
@click.argument("kid")
@with_appcontext
def keys_retire(kid: str) -> None:
    """Stop signing with KID; it verifies its unexpired vouchers."""
    from voucher.issuance.keys import retire_key

    _key_call(lambda: retire_key(SYSTEM, kid), "密钥 {kid} 已停用（仍可核验未过期的券）")


@keys_group.command("revoke")
@click.argument("kid")
@click.option("--reason", required=True, help="吊销原因（写入审计日志）")
@with_appcontext
def keys_revoke(kid: str, reason: str) -> None:
    """Revoke KID: nothing it signed verifies any more; its private key file is deleted."""
    from voucher.issuance.keys import revoke_key

    _key_call(
        lambda: revoke_key(SYSTEM, kid, reason=reason), "密钥 {kid} 已吊销，其签发的券不再有效"
    )


@keys_group.command("list")
@with_appcontext
def keys_list() -> None:
    """Every key with its state."""
    from voucher.issuance.keys import list_keys

    labels = {"active": "在用", "retired": "停用", "revoked": "吊销"}
    for key in list_keys():
        click.echo(f"{key.kid}  {labels.get(key.state, key.state)}  {key.created_at:%Y-%m-%d}")


@keys_group.command("jwks")
@with_appcontext
def keys_jwks() -> None:
    """Print the public JWK Set (what /.well-known/jwks.json serves)."""
    from voucher.issuance.keys import jwks

    click.echo(json.dumps(jwks(), ensure_ascii=False, indent=2))


@click.group("rounds")
def rounds_group() -> None:
    """Solicitation rounds (征集批次) of the 揭榜领题 process."""


@rounds_group.command("create")
@click.option("--name", required=True, help="批次名称")
@click.option("--year", type=int, required=True, help="年度")
@click.option("--unit-deadline", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--district-deadline", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--notice-days", type=int, default=None)
@with_appcontext
def rounds_create(
    name: str,
    year: int,
    unit_deadline: datetime | None,
    district_deadline: datetime | None,
    notice_days: int | None,
) -> None:
    """Open a round (deadlines default to 10 Aug and 25 Aug of the year)."""
    from voucher.policy import POLICY
    from voucher.units.services import create_round

    try:
        row = create_round(
            SYSTEM,
            name=name,
            year=year,
            unit_deadline=unit_deadline.date() if unit_deadline else None,
            district_deadline=district_deadline.date() if district_deadline else None,
            notice_days=notice_days or POLICY.notice_days,
        )
    except DomainError as exc:
        _fail(exc)
    click.echo(f"已创建批次 {row.id}：{row.name}（{row.unit_deadline} / {row.district_deadline}）")


@rounds_group.command("list")
@with_appcontext
def rounds_list() -> None:
    """List the rounds."""
    from sqlalchemy import select

    from voucher.db import db
    from voucher.units.models import ReviewRound

    for row in db.session.execute(select(ReviewRound).order_by(ReviewRound.id)).scalars():
        state = "开放" if row.open else "已关闭"
        click.echo(
            f"{row.id:>3} {row.name} {row.unit_deadline} {row.district_deadline} "
            f"公示{row.notice_days}天 {state}"
        )


def register_commands(app: Flask) -> None:
    """Attach the commands to the app's CLI."""
    from voucher.issuance.cli import issuance_group
    from voucher.notify.cli import notify_group
    from voucher.settlement.cli import settlement_group
    from voucher.workcal.cli import calendar_group  # imports this module: kept out of the top

    for command in (
        init_command,
        demo_command,
        users_group,
        catalogue_group,
        audit_group,
        keys_group,
        calendar_group,
        rounds_group,
        settlement_group,
        notify_group,
        issuance_group,
    ):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from voucher import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """广州职业培训券系统 command line."""
