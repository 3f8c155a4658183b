"""Extension objects, created without an app and bound in :func:`voucher.create_app`."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from voucher.db import db
from voucher.web import VoucherApi

__all__ = ["api", "babel", "csrf", "db", "init_limiter", "limiter", "login_manager", "migrate"]

migrate = Migrate()
api = VoucherApi()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(get_remote_address)


@limiter.request_filter
def _token_api_call() -> bool:
    """Whether the rate limiter can skip this request: an API call with a bearer token.

    The rate limits guard sign-in, self-service and the desk's pages per address; no API route
    has one, and a token already names its caller, so the limiter need not look up the route's
    limits on every call (the redemption desk's API is the busiest route).
    """
    return bool(g.get("token_auth")) and request.path.startswith("/api/")


def init_limiter(app: Flask) -> None:
    """Bind the rate limiter, whose per-request hooks then skip bearer-token API calls.

    The request filter above still leaves Flask-Limiter resolving the request's scope and meta
    limits on every call (about 3% of a redemption's CPU), and its after-request and teardown
    hooks build and reset a per-request context, so each hook it registers is wrapped to return
    at once for such calls. Runs after the bearer-token check, which the app factory puts first.
    """
    limiter.init_app(app)
    funcs = app.before_request_funcs.setdefault(None, [])
    index = funcs.index(limiter._check_request_limit)  # registered by init_app

    def _check_request_limit() -> None:
        if not _token_api_call():
            limiter._check_request_limit()

    funcs[index] = _check_request_limit

    after = app.after_request_funcs.setdefault(None, [])
    inject_headers = after[-1]  # registered by init_app, last so far: partial(…, limiter)
    assert getattr(inject_headers, "args", None) == (limiter,)

    def _inject_headers(response: Response) -> Response:
        return response if _token_api_call() else inject_headers(response)

    after[-1] = _inject_headers

    teardown = app.teardown_request_funcs.setdefault(None, [])
    release_context = teardown[-1]
    assert getattr(release_context, "__self__", None) is limiter

    def _release_context(exc: BaseException | None = None) -> None:
        if not _token_api_call():
            release_context(exc)

    teardown[-1] = _release_context
