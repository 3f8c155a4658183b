"""Shared fixtures: an app per test on SQLite and on PostgreSQL, clients, actors, demo objects.

Integration tests that take the ``app`` fixture run twice: once on a fresh SQLite file and once
on a PostgreSQL database created for this test session (PostgreSQL must be reachable: if it is
not, these tests fail; they are never skipped).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from voucher import create_app
from voucher.accounts.access import Actor

PG_ADMIN_URL = os.environ.get(
    "VOUCHER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
KEEP_TABLES = {"alembic_version", "catalogue_entry"}


def base_config(tmp: Path, database_url: str) -> dict[str, Any]:
    """Test settings: a throwaway database, key folder and secrets."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "PII_KEY": "test-pii-key",
        "SIGNING_KEY_DIR": str(tmp / "keys"),
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_HOST": "voucher.test",
    }


def _prepare(url: str, tmp: Path) -> None:
    """Migrate an empty database and load the catalogue (what ``voucher init`` does)."""
    from flask_migrate import upgrade

    from voucher.catalog.services import load_catalogue

    os.environ["VOUCHER_INSTANCE_PATH"] = str(tmp)
    app = create_app(base_config(tmp, url))
    with app.app_context():
        upgrade()
        load_catalogue(Actor.system("test"))
        from voucher.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the catalogue, copied for each test."""
    tmp = tmp_path_factory.mktemp("sqlite-template")
    path = tmp / "template.db"
    _prepare(f"sqlite:///{path}", tmp)
    return path


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database for this session, migrated, with the catalogue; dropped after."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"voucher_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:  # fails loudly if PostgreSQL cannot be reached
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        _prepare(url, tmp_path_factory.mktemp("pg-template"))
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t not in KEEP_TABLES]
        if tables:
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this run of the test uses."""
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean database of the chosen backend, migrated, with the catalogue loaded."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The application bound to a clean database, inside an app context."""
    monkeypatch.setenv("VOUCHER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(base_config(tmp_path, database_url))
    with application.app_context():
        yield application
        from voucher.extensions import db

        db.session.remove()
        db.engine.dispose()


class RequestClient(FlaskClient):
    """A test client that runs every request in its own app context, as a server does.

    The ``app`` fixture keeps one app context open for the whole test, and Flask would reuse it
    for requests, so ``g`` (Flask-Login's user, the cached actor, the bearer-token flag) would
    leak from one request into the next. Here each request gets a fresh ``g`` and database
    session; the test's own session ends its read transaction first, so both see committed data.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from voucher.extensions import db

        db.session.rollback()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.rollback()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (cookies kept between requests; a fresh app context per request)."""
    app.test_client_class = RequestClient
    return app.test_client()


@pytest.fixture
def make_app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Flask]]:
    """Build an app with config overrides on the test's clean database (one per test)."""
    from voucher.extensions import db

    monkeypatch.setenv("VOUCHER_INSTANCE_PATH", str(tmp_path / "instance"))
    contexts = []

    def build(**overrides: Any) -> Flask:
        application = create_app(base_config(tmp_path, database_url) | overrides)
        context = application.app_context()
        context.push()
        contexts.append(context)
        application.test_client_class = RequestClient
        return application

    yield build
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()


@pytest.fixture
def system() -> Actor:
    """The command-line actor (every scope)."""
    return Actor.system("test")


@pytest.fixture
def demo(app: Flask) -> Any:
    """The demo data set: accounts of each role, two accepted units, trainees, a signing key."""
    from tests.factories import DemoWorld

    return DemoWorld.build()
