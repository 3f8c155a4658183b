"""Claim generation killed mid-run (SIGKILL of a separate process) leaves no half-written claim;
a re-run produces every claim once, and a further re-run adds nothing. PostgreSQL only: this is
about a real server holding an uncommitted transaction when its client dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, base_config
from voucher import create_app

ROWS = 200_000
UNITS = 500
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def big_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated PostgreSQL database with ROWS qualified redemptions across UNITS units."""
    from flask_migrate import upgrade

    from voucher.accounts.access import Actor
    from voucher.catalog.services import load_catalogue
    from voucher.db import db
    from voucher.settlement import synthetic

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"voucher_crash_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("VOUCHER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(base_config(tmp_path, url))
    try:
        with app.app_context():
            upgrade()
            load_catalogue(Actor.system("test"))
            with db.engine.begin() as conn:
                synthetic.build(conn, ROWS, UNITS)
            db.engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cli(url: str, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = os.environ | {
        "DATABASE_URL": url,
        "VOUCHER_INSTANCE_PATH": str(tmp_path / "cli-instance"),
        "VOUCHER_SECRET_KEY": "test-secret-key",
        "VOUCHER_PII_KEY": "test-pii-key",
        "VOUCHER_COOKIE_SECURE": "0",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "voucher"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _counts(engine: sa.Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM claim")).scalar_one(),
            conn.execute(sa.text("SELECT count(*) FROM claim_line")).scalar_one(),
            conn.execute(
                sa.text("SELECT count(DISTINCT redemption_id) FROM claim_line")
            ).scalar_one(),
        )


def _generation_backend(engine: sa.Engine) -> int | None:
    """The server process running the claim-line INSERT (its text is long and shown cut
    short, so it is found by how it begins)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query LIKE '%WITH base AS%' "
                "AND pid <> pg_backend_pid()"
            )
        ).scalar()


def _gone(engine: sa.Engine, pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            alive = conn.execute(
                sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
            ).first()
            if alive is None:
                return True
            time.sleep(0.2)
    return False


def test_a_killed_generation_leaves_nothing_and_a_rerun_claims_each_line_once(
    big_database, tmp_path
):
    engine = sa.create_engine(big_database)
    try:
        run = _cli(big_database, tmp_path, "settlement", "generate")
        backend = None
        deadline = time.monotonic() + 120
        while backend is None and time.monotonic() < deadline and run.poll() is None:
            backend = _generation_backend(engine)
            time.sleep(0.05)
        if backend is None:
            run.kill()
            pytest.fail(f"generation never reached its INSERT of lines: {run.communicate()}")
        time.sleep(0.5)  # mid-statement
        assert run.poll() is None, "generation finished before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        assert run.returncode == -signal.SIGKILL

        # The server notices the dead client when the statement ends (or is told to stop):
        # either way the transaction rolls back and nothing of it stays.
        if not _gone(engine, backend, timeout=60):
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": backend})
            assert _gone(engine, backend, timeout=30)
        assert _counts(engine) == (0, 0, 0)

        done = _cli(big_database, tmp_path, "settlement", "generate")
        out, err = done.communicate(timeout=600)
        assert done.returncode == 0, err
        assert _counts(engine) == (UNITS, ROWS, ROWS)
        with engine.connect() as conn:
            totals = conn.execute(
                sa.text(
                    "SELECT count(*) FROM claim c WHERE total_fen <> "
                    "(SELECT sum(amount_fen) FROM claim_line l WHERE l.claim_id = c.id)"
                )
            ).scalar_one()
        assert totals == 0

        again = _cli(big_database, tmp_path, "settlement", "generate")
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, err
        assert "明细 0 条" in out
        assert _counts(engine) == (UNITS, ROWS, ROWS)

        check = _cli(big_database, tmp_path, "settlement", "check")
        out, err = check.communicate(timeout=600)
        assert check.returncode == 0, out + err
    finally:
        engine.dispose()
