"""Alembic migrations and the models describe the same schema, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import BACKENDS, PG_ADMIN_URL, base_config
from voucher import create_app
from voucher.extensions import db


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database of each kind (never the shared test database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"voucher_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _differences() -> list[object]:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), db.metadata)


def test_the_migrations_build_exactly_the_schema_the_models_describe(empty_database, tmp_path):
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade()
        try:
            assert _differences() == []
        finally:
            db.engine.dispose()


def test_the_migrations_go_down_to_nothing_and_up_again(empty_database, tmp_path):
    app = create_app(base_config(tmp_path, empty_database))
    with app.app_context():
        try:
            upgrade()
            downgrade(revision="base")
            left = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
            assert left == set()
            upgrade()
            assert _differences() == []
        finally:
            db.engine.dispose()
