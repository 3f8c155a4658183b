"""Settings from environment variables, with safe defaults for the embedded SQLite demo.

Production sets at least ``DATABASE_URL`` (PostgreSQL), ``VOUCHER_SECRET_KEY``,
``VOUCHER_PII_KEY``, ``VOUCHER_KEY_DIR`` and ``RATELIMIT_STORAGE_URI`` (Redis).
Secrets that are not given are generated once into the instance folder with 0600 rights,
never into the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path: str | Path, filename: str, nbytes: int = 32) -> str:
    """Return a hex secret kept in the instance folder, creating it (mode 0600) on first use."""
    path = Path(instance_path) / filename
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs (SQLAlchemy would default to psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _postgres_engine_options(url: str) -> dict[str, Any]:
    """PostgreSQL pool size and session settings for every pooled connection.

    Pool: a gunicorn worker's request threads may each hold two connections at once (the ORM
    session's and the redemption path's driver connection), and its audit sealer one more.
    SQLAlchemy's default of 5 kept in the pool made such peaks open extra connections and close
    them again on return, forking and ending PostgreSQL backends under load (measured: 16 a
    quarter-minute at the redemption benchmark). ``VOUCHER_DB_POOL_SIZE`` (default 10) are kept
    per process, ``VOUCHER_DB_MAX_OVERFLOW`` (default 10) more are opened for a peak. The pool
    hands out the most recently returned connection first, so a quiet hour runs on a few warm
    connections (their prepared statements and catalogue caches) rather than cycling through all.

    Plans: psycopg prepares a statement on its fifth run on a connection; PostgreSQL then keeps
    planning it afresh on every run when it guesses a custom plan is cheaper. For the
    redemption check (six tables) planning cost more than running (measured 0.49 ms against
    0.07 ms, on half the calls). The app's repeated statements are key lookups whose generic
    plan is the custom one, so prepared statements keep their generic plan
    (``VOUCHER_DB_PLAN_CACHE_MODE=auto`` restores PostgreSQL's default).
    """
    if not url.startswith(("postgresql", "postgres:")):
        return {}
    mode = os.environ.get("VOUCHER_DB_PLAN_CACHE_MODE", "force_generic_plan")
    if mode not in {"auto", "force_generic_plan", "force_custom_plan"}:
        raise ValueError(f"VOUCHER_DB_PLAN_CACHE_MODE must be auto or force_*_plan, not {mode!r}")
    return {
        "pool_size": int(os.environ.get("VOUCHER_DB_POOL_SIZE", 10)),
        "max_overflow": int(os.environ.get("VOUCHER_DB_MAX_OVERFLOW", 10)),
        "pool_use_lifo": True,
        "connect_args": {"options": f"-c plan_cache_mode={mode}"},
    }


def load_settings(instance_path: str | Path) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'voucher.db'}"
    return {
        "SECRET_KEY": os.environ.get("VOUCHER_SECRET_KEY")
        or instance_secret(instance, "secret_key"),
        "PII_KEY": os.environ.get("VOUCHER_PII_KEY") or instance_secret(instance, "pii_key"),
        "SIGNING_KEY_DIR": os.environ.get("VOUCHER_KEY_DIR") or str(instance / "keys"),
        "PUBLIC_HOST": os.environ.get("VOUCHER_PUBLIC_HOST", "127.0.0.1:8000"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # Pooled connections: a ping before every checkout costs a round trip on every request
        # (the redemption desk included). By default a connection is replaced after 30 minutes
        # and one found broken is discarded with its pool (a request in flight during a
        # database restart fails once; the redemption API's Idempotency-Key makes its retry
        # safe). Set VOUCHER_DB_PRE_PING=1 where something between drops idle connections.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": _bool("VOUCHER_DB_PRE_PING", False),
            "pool_recycle": int(os.environ.get("VOUCHER_DB_POOL_RECYCLE", 1800)),
            **_postgres_engine_options(database_url),
        },
        # A valid bearer token is remembered per process this long (0: look it up every call).
        "API_TOKEN_CACHE_SECONDS": int(os.environ.get("VOUCHER_API_TOKEN_CACHE_SECONDS", 5)),
        # The redemption API leaves audit chaining to a per-process background sealer.
        "AUDIT_SEAL_IN_BACKGROUND": _bool("VOUCHER_SEAL_IN_BACKGROUND", False),
        "MAX_CONTENT_LENGTH": int(os.environ.get("VOUCHER_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)),
        # Sessions and cookies
        "SESSION_COOKIE_SECURE": _bool("VOUCHER_COOKIE_SECURE", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("VOUCHER_COOKIE_SECURE", True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # Rate limits: per-process memory by default, Redis shared by all workers in production.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool("VOUCHER_RATELIMIT", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("VOUCHER_LOGIN_RATE_LIMIT", "10 per minute"),
        # Internationalisation: the source strings are Simplified Chinese.
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        # OpenAPI (flask-smorest); the docs page is ours, with locally served assets.
        "API_TITLE": "广州职业培训券系统 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
