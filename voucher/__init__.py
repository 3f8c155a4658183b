"""广州职业培训券系统 — the Flask application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handling and CLI."""
    import voucher.models  # noqa: F401 — the whole schema, for Alembic
    from voucher.config import load_settings
    from voucher.db import after_commit_hooks, configure_sqlite
    from voucher.extensions import api, babel, csrf, db, init_limiter, login_manager, migrate
    from voucher.web import VoucherApi, register_web_shell

    app = Flask(
        __name__,
        instance_path=os.environ.get("VOUCHER_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(load_settings(app.instance_path))
    app.config.update(WTF_CSRF_CHECK_DEFAULT=False)
    if config:
        app.config.update(config)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    babel.init_app(app)
    csrf.init_app(app)
    init_limiter(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _("请先登录")
    assert isinstance(api, VoucherApi)
    api.init_app(app)
    app.extensions["voucher.api"] = api

    _register_auth(app)
    register_web_shell(app)
    _register_blueprints(app)
    _register_logging(app)

    from voucher.audit.services import seal_pending

    if seal_pending not in after_commit_hooks:
        after_commit_hooks.append(seal_pending)

    from voucher.cli import register_commands

    register_commands(app)
    return app


def _register_auth(app: Flask) -> None:
    from voucher.accounts.models import User
    from voucher.accounts.services import user_for_token
    from voucher.db import db
    from voucher.extensions import login_manager
    from voucher.web import error_payload, is_api_request

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        if is_api_request():
            body = error_payload(401, "unauthenticated", _("请先登录或提供有效的 API 令牌"))
            return jsonify(body), 401
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def _bearer_token() -> Any:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        user = user_for_token(header.removeprefix("Bearer ").strip())
        if user is None:
            body = error_payload(401, "token_invalid", _("API 令牌无效或已吊销"))
            return jsonify(body), 401
        g._login_user = user  # Flask-Login reads the request's user from here
        g.actor = user.actor
        g.token_auth = True
        return None

    # the bearer check must run before the CSRF check registered by the web shell
    funcs = app.before_request_funcs.setdefault(None, [])
    funcs.insert(0, funcs.pop())


def _register_blueprints(app: Flask) -> None:
    from voucher.accounts.api import blp as accounts_api
    from voucher.accounts.views import bp as accounts_views
    from voucher.catalog.api import blp as catalog_api
    from voucher.catalog.views import bp as catalog_views
    from voucher.extensions import api
    from voucher.issuance.api import blp as issuance_api
    from voucher.issuance.jwks import bp as jwks_views
    from voucher.issuance.views import bp as issuance_views
    from voucher.portal.views import bp as portal_views
    from voucher.redemption.api import blp as redemption_api
    from voucher.redemption.views import bp as redemption_views
    from voucher.settlement.views import bp as settlement_views
    from voucher.units.api import blp as units_api
    from voucher.units.review_views import bp as review_views
    from voucher.units.rounds_views import bp as rounds_views
    from voucher.units.views import bp as units_views
    from voucher.wallet.views import bp as wallet_views
    from voucher.workcal.api import blp as workcal_api
    from voucher.workcal.views import bp as workcal_views

    app.register_blueprint(accounts_views)
    app.register_blueprint(catalog_views)
    app.register_blueprint(portal_views)
    app.register_blueprint(review_views)
    app.register_blueprint(rounds_views)
    app.register_blueprint(workcal_views)
    app.register_blueprint(units_views)
    app.register_blueprint(issuance_views)
    app.register_blueprint(wallet_views)
    app.register_blueprint(jwks_views)
    api.register_blueprint(accounts_api)
    api.register_blueprint(catalog_api)
    api.register_blueprint(workcal_api)
    api.register_blueprint(units_api)
    api.register_blueprint(issuance_api)
    api.register_blueprint(redemption_api)
    app.register_blueprint(redemption_views)
    app.register_blueprint(settlement_views)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "gzv_… API 令牌"}
    )


def _register_logging(app: Flask) -> None:
    from voucher.core.pii import mask_text

    class MaskPii(logging.Filter):
        """Mask ID and phone numbers in every log record."""

        def filter(self, record: logging.LogRecord) -> bool:
            record.msg = mask_text(record.getMessage())
            record.args = ()
            return True

    for handler in (*app.logger.handlers, *logging.getLogger().handlers):
        handler.addFilter(MaskPii())
    app.logger.addFilter(MaskPii())
