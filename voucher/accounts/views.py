"""Sign-in, sign-out and the account page (API tokens)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from voucher.accounts import services
from voucher.extensions import limiter
from voucher.web import current_actor

bp = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(
        _l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=64)]
    )
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])


class TokenForm(FlaskForm):
    """A name for a new API token."""

    name = StringField(
        _l("令牌名称"), validators=[DataRequired(_l("请填写令牌名称")), Length(max=64)]
    )


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    """Sign in; each role lands on its own home page."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            flash(_("用户名或密码错误"), "error")
        else:
            login_user(user)
            services.note_login(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("portal.home"))
    status = 422 if form.errors or request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out (POST with CSRF, so another site cannot sign the user out)."""
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """The signed-in user's account: API tokens for machine clients."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = services.issue_api_token(current_actor(), current_user.id, form.name.data or "")
        flash(_("新令牌只显示这一次，请立即妥善保存"), "warning")
    tokens = services.active_tokens(current_user.id)
    return render_template("accounts/account.html", form=form, tokens=tokens, new_token=new_token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    """Revoke one of the user's tokens."""
    services.revoke_api_token(current_actor(), token_id)
    flash(_("令牌已吊销"), "info")
    return redirect(url_for("accounts.account"))
