"""Settings read from the environment: database pool and session options."""

from __future__ import annotations

import pytest

from voucher.config import load_settings

PG = "postgresql://voucher@db.example:5432/voucher"


def _engine_options(monkeypatch, tmp_path, url: str, **env: str) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(tmp_path)["SQLALCHEMY_ENGINE_OPTIONS"]


def test_postgresql_keeps_enough_warm_connections_for_the_worker_threads(monkeypatch, tmp_path):
    options = _engine_options(monkeypatch, tmp_path, PG)

    assert options["pool_size"] == 10
    assert options["max_overflow"] == 10
    assert options["pool_use_lifo"] is True
    assert options["pool_pre_ping"] is False
    assert options["connect_args"] == {"options": "-c plan_cache_mode=force_generic_plan"}


def test_the_pool_size_and_plan_cache_mode_come_from_the_environment(monkeypatch, tmp_path):
    options = _engine_options(
        monkeypatch,
        tmp_path,
        PG,
        VOUCHER_DB_POOL_SIZE="25",
        VOUCHER_DB_MAX_OVERFLOW="0",
        VOUCHER_DB_PLAN_CACHE_MODE="auto",
    )

    assert (options["pool_size"], options["max_overflow"]) == (25, 0)
    assert options["connect_args"] == {"options": "-c plan_cache_mode=auto"}


def test_an_unknown_plan_cache_mode_is_refused(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="VOUCHER_DB_PLAN_CACHE_MODE"):
        _engine_options(monkeypatch, tmp_path, PG, VOUCHER_DB_PLAN_CACHE_MODE="fastest")


def test_sqlite_gets_no_postgresql_options(monkeypatch, tmp_path):
    options = _engine_options(monkeypatch, tmp_path, f"sqlite:///{tmp_path / 'v.db'}")

    assert "pool_size" not in options
    assert "connect_args" not in options


def test_background_sealing_is_off_unless_asked_for(monkeypatch, tmp_path):
    monkeypatch.delenv("VOUCHER_SEAL_IN_BACKGROUND", raising=False)
    assert load_settings(tmp_path)["AUDIT_SEAL_IN_BACKGROUND"] is False
    monkeypatch.setenv("VOUCHER_SEAL_IN_BACKGROUND", "1")
    assert load_settings(tmp_path)["AUDIT_SEAL_IN_BACKGROUND"] is True
