"""Extension objects, created without an app and bound in :func:`voucher.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from voucher.db import db
from voucher.web import VoucherApi

__all__ = ["api", "babel", "csrf", "db", "limiter", "login_manager", "migrate"]

migrate = Migrate()
api = VoucherApi()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(get_remote_address)
