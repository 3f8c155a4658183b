"""The web shell shared by pages and API: current actor, errors, security headers, CSRF rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, g, jsonify, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Api
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from voucher.accounts.access import Actor
from voucher.errors import DomainError, Forbidden

API_PREFIX = "/api/"

HTTP_MESSAGES = {
    400: _l("请求格式不正确"),
    401: _l("请先登录"),
    403: _l("无权访问"),
    404: _l("未找到该页面或记录"),
    405: _l("不支持该请求方法"),
    409: _l("操作与当前状态冲突"),
    413: _l("上传的文件过大"),
    415: _l("不支持的内容类型"),
    422: _l("提交的内容有误"),
    429: _l("请求过于频繁，请稍后再试"),
    500: _l("系统内部错误，请稍后再试"),
}


def is_api_request() -> bool:
    """True for the JSON API (errors answer in JSON there)."""
    return request.path.startswith(API_PREFIX)


def current_actor() -> Actor:
    """The actor of this request (signed-in user or API token); Forbidden when anonymous."""
    from voucher.accounts.services import actor_for

    actor = g.get("actor")
    if actor is None:
        if not current_user.is_authenticated:
            raise Forbidden(_("请先登录"), code="unauthenticated")
        actor = g.actor = actor_for(current_user)
    return actor


def error_payload(status: int, code: str, message: str, errors: Any = None) -> dict[str, Any]:
    """The one JSON error shape of the API."""
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


def _respond(status: int, code: str, message: str, errors: Any = None) -> tuple[Any, int]:
    if is_api_request():
        return jsonify(error_payload(status, code, message, errors)), status
    template = "errors/error.html"
    return render_template(template, status=status, message=message, errors=errors or {}), status


class VoucherApi(Api):
    """flask-smorest Api whose HTTP errors use our JSON shape (and HTML pages off the API)."""

    def handle_http_exception(self, error: HTTPException) -> Any:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages") or {}
        message = data.get("message") or str(HTTP_MESSAGES.get(status, error.name))
        code = "validation_failed" if status == 422 else error.name.lower().replace(" ", "_")
        body, status = _respond(status, code, message, errors)
        headers = data.get("headers") or {}
        if isinstance(body, Response):
            body.headers.extend(headers)
            return body, status
        return body, status, headers


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for a request that brings
    no session cookie, and with no session at all for a bearer-token API call without cookies
    (nothing to read, nothing to save: the redemption desk's calls)."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        environ = request.environ
        if "HTTP_COOKIE" in environ and request.cookies.get(self.get_cookie_name(app)):
            return super().open_session(app, request)
        token_call = "HTTP_COOKIE" not in environ and request.path.startswith(API_PREFIX)
        if token_call and environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            return None  # Flask's null session: read-only, never saved
        return None if not app.secret_key else self.session_class()


def register_web_shell(app: Flask) -> None:
    """Error handlers, CSRF rule, security headers and template filters."""
    app.session_interface = CookieSessions()
    register_template_helpers(app)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        return _respond(error.status, error.code, str(error.message), error.errors)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        return _respond(400, "csrf_failed", _("页面已过期或来源不明，请刷新页面后重试"))

    if not app.testing:

        @app.errorhandler(Exception)
        def _unexpected(error: Exception) -> Any:
            if isinstance(error, HTTPException):
                return app.extensions["voucher.api"].handle_http_exception(error)
            app.logger.exception("unhandled error")
            return _respond(500, "internal_error", str(HTTP_MESSAGES[500]))

    @app.before_request
    def _csrf_unless_token() -> None:
        # Cookie sessions must prove the form came from us; bearer-token clients cannot be
        # tricked by another site, so the API with a token needs no CSRF token.
        if g.get("token_auth") or not app.config.get("WTF_CSRF_ENABLED", True):
            return
        from voucher.extensions import csrf

        csrf.protect()

    def _headers(style: str) -> tuple[tuple[str, str], ...]:
        headers = (
            (
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                f"style-src {style}; script-src 'self'; object-src 'none'; base-uri 'self'; "
                "form-action 'self'; frame-ancestors 'none'",
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "same-origin"),
            ("Permissions-Policy", "camera=(self), geolocation=()"),
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers += (("Strict-Transport-Security", "max-age=31536000"),)
        return headers

    security_headers = _headers("'self'")
    docs_headers = _headers("'self' 'unsafe-inline'")  # the API docs page's inline styles

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # each header unless the view set its own (one pass over the response's headers)
        present = {name.lower() for name, _value in response.headers}
        response.headers.extend(
            (name, value)
            for name, value in (docs_headers if request.path == "/api/docs" else security_headers)
            if name.lower() not in present
        )
        return response


CLAIM_STATUS = {"draft": _l("草稿"), "submitted": _l("已提交")}


def register_template_helpers(app: Flask) -> None:
    """Filters for money (fen → yuan), districts, local time and statuses."""
    from voucher.accounts.roles import ROLE_LABELS, Role
    from voucher.core.clock import to_business_time
    from voucher.core.districts import district_name
    from voucher.core.money import format_yuan
    from voucher.units.labels import unit_status_label

    app.add_template_filter(format_yuan, "yuan")
    app.add_template_filter(district_name, "district")
    app.add_template_filter(
        lambda t: "" if t is None else to_business_time(t).strftime("%Y-%m-%d %H:%M"), "localtime"
    )
    app.add_template_filter(unit_status_label, "unit_status")
    app.add_template_filter(lambda s: str(CLAIM_STATUS.get(s, s)), "claim_status")
    app.add_template_global(lambda r: ROLE_LABELS[Role(r)], "role_label")


def attachment_header(filename: str) -> str:
    """A Content-Disposition for a download with a Chinese file name (RFC 5987)."""
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def show_refusal(form: Any, exc: DomainError) -> None:
    """Flash a refused action's reason and attach its per-field messages to the form's fields."""
    from flask import flash
    from wtforms import Field, FieldList

    flash(str(exc.message), "error")
    for key, message in exc.errors.items():
        target = getattr(form, key, None)
        if isinstance(target, Field) and not isinstance(target, FieldList):
            target.errors = [*list(target.errors or []), str(message)]


def handle_form(
    form: Any,
    action: Callable[[], Any],
    *,
    success: str,
    then: Callable[[Any], str],
    status_of_refusal: Callable[[DomainError], int] = lambda exc: 422,
    redirect_code: int = 302,
) -> Response | int:
    """The page-form pattern: validate, run one service call, then flash and redirect.

    Returns the redirect on success; otherwise the status to render the page with again: 200
    for a first view, 422 for an invalid form, ``status_of_refusal(exc)`` when the service
    refused (its reason flashed and attached to the fields).
    """
    from flask import flash, redirect

    if form.validate_on_submit():
        try:
            result = action()
        except DomainError as exc:
            show_refusal(form, exc)
            return status_of_refusal(exc)
        flash(success, "success")
        return redirect(then(result), code=redirect_code)
    return 422 if request.method == "POST" else 200
