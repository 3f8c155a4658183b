"""Trainee wallet pages: sign in with ID number, phone and a one-time code; see own vouchers.

Everything works without JavaScript. The only script (``static/wallet/wallet.js``) registers a
small service worker (``/wallet/sw.js``) that keeps visited voucher pages for offline use.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from voucher.core.clock import to_business_time
from voucher.core.humancode import format_human_code
from voucher.core.pii import mask_name
from voucher.core.qr import qr_png, qr_svg
from voucher.db import utcnow
from voucher.errors import DomainError
from voucher.extensions import limiter
from voucher.issuance.models import Voucher
from voucher.issuance.services import voucher_payload
from voucher.keyring import pii_cipher
from voucher.notify.rules import last_valid_day
from voucher.wallet import rules, services
from voucher.wallet.session import current_person_id, sign_in, sign_out, trainee_required
from voucher.web import show_refusal

bp = Blueprint("wallet", __name__, url_prefix="/wallet")

PENDING_KEY = "wallet_pending"
PENDING_SECONDS = 15 * 60
STATIC_ROOT = "wallet"


class LoginForm(FlaskForm):
    """ID number and the phone number registered with it."""

    id_number = StringField(
        _l("身份证号码"), validators=[DataRequired(_l("请输入身份证号码")), Length(max=32)]
    )
    phone = StringField(
        _l("手机号码"), validators=[DataRequired(_l("请输入手机号码")), Length(max=20)]
    )


class VerifyForm(FlaskForm):
    """The code from the text message."""

    code = StringField(
        _l("短信验证码"), validators=[DataRequired(_l("请输入短信验证码")), Length(max=20)]
    )


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/wallet/") or "\\" in target:
        return None
    return target


def _ip_limit() -> str:
    return current_app.config.get("WALLET_LOGIN_RATE_LIMIT", "10 per minute")


def _id_limit() -> str:
    return current_app.config.get("WALLET_ID_RATE_LIMIT", "5 per 15 minutes")


def _verify_limit() -> str:
    return current_app.config.get("WALLET_VERIFY_RATE_LIMIT", "20 per minute")


def _id_key() -> str:
    """Rate-limit key of the ID number asked about (its keyed hash, never the number)."""
    typed = (request.form.get("id_number") or "").strip()
    return "wallet-id:" + (pii_cipher().lookup_hash(typed).hex()[:32] if typed else "none")


@bp.after_request
def _private(response: Response) -> Response:
    # Personal pages: never stored by shared caches; re-checked with the server when online.
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_id_limit, key_func=_id_key, methods=["POST"])
def login() -> Any:
    """Step 1: ID number and phone. The answer never tells whether they are registered."""
    if current_person_id() is not None:
        return redirect(url_for("wallet.home"))
    form = LoginForm()
    next_path = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            digest = services.request_code(form.id_number.data or "", form.phone.data or "")
        except DomainError as exc:
            show_refusal(form, exc)
        else:
            session[PENDING_KEY] = {
                "id": digest.hex(),
                "at": int(time.time()),
                "next": next_path,
            }
            flash(
                _(
                    "如果身份证号码和手机号码与登记信息一致，验证码已通过短信发送到该手机，"
                    "%(minutes)s 分钟内有效。",
                    minutes=int(rules.CODE_TTL.total_seconds() // 60),
                ),
                "info",
            )
            return redirect(url_for("wallet.verify"))
    status = 422 if request.method == "POST" else 200
    signed_out = request.args.get("bye") == "1"
    return render_template("wallet/login.html", form=form, signed_out=signed_out), status


def _pending() -> dict[str, Any] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if time.time() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    return pending


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify() -> Any:
    """Step 2: the code from the text message."""
    pending = _pending()
    if pending is None:
        flash(_("请先输入身份证号码和手机号码获取验证码"), "info")
        return redirect(url_for("wallet.login"))
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            person_id = services.verify_code(bytes.fromhex(pending["id"]), form.code.data or "")
        except DomainError as exc:
            show_refusal(form, exc)
        else:
            session.pop(PENDING_KEY, None)
            sign_in(person_id)
            return redirect(_safe_next(pending.get("next")) or url_for("wallet.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("wallet/verify.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign the trainee out (the page that follows clears the offline copies)."""
    sign_out()
    session.pop(PENDING_KEY, None)
    flash(_("已退出“我的培训券”"), "info")
    return redirect(url_for("wallet.login", bye=1))


def _card(voucher: Voucher) -> dict[str, Any]:
    """What the pages show of one voucher."""
    view = rules.holder_status(voucher.status, voucher.not_before, voucher.expires_at, utcnow())
    return {
        "voucher": voucher,
        "view": view,
        "occupation": voucher.entry.name,
        "occupation_code": voucher.entry.code,
        "human_code": format_human_code(voucher.human_code),
        "valid_from": to_business_time(voucher.not_before).date(),
        "valid_to": last_valid_day(voucher.expires_at),
    }


def _holder(person_id: int) -> dict[str, str]:
    """The signed-in person as the pages show them: masked name and ID number only."""
    person = services.holder(person_id)
    return {"name": mask_name(person.name), "id_masked": person.id_masked}


@bp.route("/")
@trainee_required
def home() -> Any:
    """The signed-in trainee's vouchers."""
    person_id = current_person_id()
    assert person_id is not None  # trainee_required
    cards = [_card(v) for v in services.vouchers_of(person_id)]
    # Pages of other modules for the same trainee (e.g. claims made in their name), if present.
    claims = (
        url_for("settlement.wallet_claims")
        if "settlement.wallet_claims" in current_app.view_functions
        else None
    )
    return render_template(
        "wallet/home.html", holder=_holder(person_id), cards=cards, claims_url=claims
    )


@bp.route("/vouchers/<int:voucher_id>")
@trainee_required
def voucher(voucher_id: int) -> Any:
    """One voucher: large QR, code, holder (masked), amount, validity, status, where to use."""
    person_id = current_person_id()
    assert person_id is not None
    card = _card(services.voucher_of(person_id, voucher_id))
    qr = None
    if card["view"].shows_code:
        # S704: the SVG is built by qrcode from our own signed token, nothing typed by a user.
        qr = Markup(qr_svg(voucher_payload(card["voucher"])))  # noqa: S704
    return render_template("wallet/voucher.html", holder=_holder(person_id), card=card, qr=qr)


@bp.route("/vouchers/<int:voucher_id>/qr.png")
@trainee_required
def voucher_png(voucher_id: int) -> Any:
    """The voucher's QR as a PNG, for printing or saving."""
    person_id = current_person_id()
    assert person_id is not None
    found = services.voucher_of(person_id, voucher_id)
    view = rules.holder_status(found.status, found.not_before, found.expires_at, utcnow())
    if not view.shows_code:
        flash(view.label, "error")
        return redirect(url_for("wallet.voucher", voucher_id=voucher_id))
    from io import BytesIO

    png = qr_png(voucher_payload(found), box_size=10)
    return send_file(
        BytesIO(png),
        mimetype="image/png",
        download_name=f"peixunquan-{found.human_code}.png",
        max_age=0,
    )


@bp.route("/sw.js")
def service_worker() -> Any:
    """The offline helper, served from /wallet/ so its scope covers the wallet pages."""
    response = current_app.send_static_file(f"{STATIC_ROOT}/sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = "/wallet/"
    return response
