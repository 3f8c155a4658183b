"""The audit log is append-only and hash-chained; verification names the first broken row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from voucher.audit.models import AuditEvent
from voucher.audit.services import record, seal_pending, verify_chain
from voucher.db import db, unit_of_work


def _tamper(sql: str, params: dict | None = None) -> None:
    """What a person with database access might do: switch off the guard and change a row."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
            conn.execute(sa.text("ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only"))
            conn.execute(sa.text(sql), params or {})
            conn.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
            conn.execute(sa.text("ALTER TABLE audit_seal ENABLE TRIGGER audit_seal_append_only"))
        else:
            for table in ("audit_event", "audit_seal"):
                for action in ("update", "delete"):
                    conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
            conn.execute(sa.text(sql), params or {})


def _events(system, n: int) -> list[int]:
    ids = []
    for i in range(n):
        with unit_of_work():
            event = record(system, "test.event", "thing", i, {"n": i})
        ids.append(event.id)
    return ids


def test_every_committed_event_is_sealed_into_a_chain_that_verifies(app, system):
    _events(system, 5)

    checked, breaches, head = verify_chain()

    assert breaches == []
    assert checked == db.session.execute(select(sa.func.count(AuditEvent.id))).scalar_one()
    assert len(head) == 64


def test_the_database_refuses_to_update_or_delete_audit_rows(app, system):
    (event_id,) = _events(system, 1)

    for sql in (
        "UPDATE audit_event SET actor = 'x' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(sql), {"id": event_id})

    assert verify_chain()[1] == []


def test_an_altered_event_is_named_by_verification(app, system):
    ids = _events(system, 4)

    _tamper("UPDATE audit_event SET data = '{\"n\": 99}' WHERE id = :id", {"id": ids[2]})

    _checked, breaches, _head = verify_chain()
    assert [(b.event_id, b.problem) for b in breaches] == [(ids[2], "审计记录内容已被篡改")]


def test_a_removed_event_is_named_by_verification(app, system):
    ids = _events(system, 4)

    _tamper("DELETE FROM audit_seal WHERE event_id = :id", {"id": ids[1]})
    _tamper("DELETE FROM audit_event WHERE id = :id", {"id": ids[1]})

    _checked, breaches, _head = verify_chain()
    assert breaches, "removing a row must break the chain"
    assert breaches[0].event_id == ids[2]
    assert "删除" in breaches[0].problem


def test_the_cli_exits_non_zero_and_names_the_first_broken_row(app, system):
    ids = _events(system, 3)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    _tamper("UPDATE audit_event SET actor = 'mallory' WHERE id = :id", {"id": ids[0]})
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"审计记录 {ids[0]}" in result.output


def test_sealing_twice_seals_nothing_new(app, system):
    _events(system, 3)

    assert seal_pending() == 0


def _commit_event_at(event_id: int) -> None:
    """An event that takes ``event_id`` and commits only now, as a transaction that drew its
    id earlier and ran long would (straight to the table: no seal after it)."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(AuditEvent.__table__).values(
                id=event_id,
                at=sa.func.now(),
                actor="test",
                action="test.late",
                object_type="thing",
                object_id=str(event_id),
                data={"late": True},
            )
        )
        if db.engine.dialect.name == "postgresql":  # later events take ids after it
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), :v)"),
                {"v": event_id},
            )


def _straggler_behind(system, lookback_ids: int) -> int:
    """Seal events around a gap of ``lookback_ids`` + 5 ids, then commit an event at the
    gap's bottom (more than ``lookback_ids`` below the newest sealed event); return its id."""
    (first,) = _events(system, 1)
    gap = lookback_ids + 5
    _commit_event_at(first + gap + 1)  # the events after the gap take ids above this one
    _events(system, 2)
    seal_pending(full=True)
    _commit_event_at(first + 1)
    return first + 1


def test_a_routine_seal_finds_an_event_that_committed_just_behind_the_newest_sealed(
    app, system, monkeypatch
):
    from voucher.audit import services as audit

    monkeypatch.setattr(audit, "SEAL_LOOKBACK_IDS", 50)
    _straggler_behind(system, 10)

    assert seal_pending(full=False) == 1
    assert verify_chain()[1] == []


def test_an_event_further_behind_waits_for_the_full_pass_and_is_then_sealed(
    app, system, monkeypatch
):
    from voucher.audit import services as audit

    monkeypatch.setattr(audit, "SEAL_LOOKBACK_IDS", 2)
    straggler = _straggler_behind(system, 2)

    assert seal_pending(full=False) == 0
    assert verify_chain()[1][-1].problem == "1 条审计记录尚未封存"

    assert seal_pending(full=True) == 1
    _checked, breaches, _head = verify_chain()
    assert breaches == []
    sealed = db.session.execute(
        sa.text("SELECT count(*) FROM audit_seal WHERE event_id = :id"), {"id": straggler}
    ).scalar_one()
    assert sealed == 1


def test_a_process_makes_a_full_pass_when_the_last_one_is_older_than_the_interval(
    app, system, monkeypatch
):
    from voucher.audit import services as audit

    monkeypatch.setattr(audit, "SEAL_LOOKBACK_IDS", 2)
    _straggler_behind(system, 2)
    monkeypatch.setattr(audit, "_last_full_pass", audit.time.monotonic())
    assert seal_pending() == 0  # a full pass was made just now: a routine seal

    monkeypatch.setattr(
        audit, "_last_full_pass", audit.time.monotonic() - audit.FULL_PASS_SECONDS - 1
    )
    assert seal_pending() == 1
    assert verify_chain()[1] == []
