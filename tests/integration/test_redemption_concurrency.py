"""PostgreSQL over HTTP: ≥ 20 concurrent redeem attempts at each of ≥ 200 vouchers through a
real threaded WSGI server and bearer-token clients: exactly one success per voucher, no 5xx."""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import _truncate_pg, base_config
from voucher import create_app

VOUCHERS = 200
ATTEMPTS = 20
CLIENTS = 40


@pytest.fixture
def pg_app(pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on the session's PostgreSQL database (this test is about PostgreSQL)."""
    _truncate_pg(pg_database)
    monkeypatch.setenv("VOUCHER_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path, pg_database)
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 20, "max_overflow": 30}
    application = create_app(config)
    with application.app_context():
        yield application
        from voucher.extensions import db

        db.session.remove()
        db.engine.dispose()


def _people(demo, n: int) -> list[int]:
    from voucher.demo import synthetic_id_number
    from voucher.issuance.services import register_person

    city = demo.actor("city")
    return [
        register_person(
            city,
            id_number=synthetic_id_number("440106", date(1990, 1, 1), 100 + i),
            name="测试" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i % 12],
            phone=f"1380000{i:04d}",
        ).id
        for i in range(n)
    ]


def test_twenty_desks_at_each_of_two_hundred_vouchers_redeem_each_exactly_once(pg_app):
    from werkzeug.serving import make_server

    from tests.factories import DemoWorld
    from voucher.accounts.services import issue_api_token
    from voucher.core.clock import business_today
    from voucher.db import db
    from voucher.issuance.models import Voucher, VoucherStatus
    from voucher.issuance.services import issue_voucher
    from voucher.redemption.models import Redemption

    demo = DemoWorld.build()
    city = demo.actor("city")
    klass = demo.file_class("unit1", fee_fen=100_000)
    vouchers = [
        issue_voucher(
            city,
            person_id=person_id,
            entry_id=demo.care,
            amount_fen=80_000,
            valid_from=business_today(),
        )
        for person_id in _people(demo, VOUCHERS)
    ]
    bodies = [
        json.dumps({"code": v.token, "class_id": klass.id, "id_last4": demo.id_tail(v)}).encode()
        for v in vouchers
    ]
    unit1 = demo.actor("unit1")
    redemptions_before = db.session.execute(
        select(func.count()).select_from(Redemption)
    ).scalar_one()
    redeemed_before = db.session.execute(
        select(func.count()).where(Voucher.status == VoucherStatus.REDEEMED)
    ).scalar_one()
    tokens = [issue_api_token(unit1, unit1.user_id, f"desk-{i}") for i in range(4)]
    db.session.remove()

    server = make_server("127.0.0.1", 0, pg_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    local = threading.local()

    def attempt(index: int) -> tuple[int, int]:
        voucher_index, attempt_no = divmod(index, ATTEMPTS)
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", server.server_port)
        conn.request(
            "POST",
            "/api/v1/redemptions",
            body=bodies[voucher_index],
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {tokens[attempt_no % len(tokens)]}",
            },
        )
        response = conn.getresponse()
        payload = json.loads(response.read())
        if response.status == 409:
            assert payload["code"] == "voucher_redeemed" and "已经核销" in payload["message"]
        return voucher_index, response.status

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(attempt, range(VOUCHERS * ATTEMPTS)))
    finally:
        server.shutdown()
        thread.join()

    statuses = Counter(status for _, status in results)
    successes = Counter(v for v, status in results if status == 201)
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {201, 409}, statuses
    assert successes == Counter(range(VOUCHERS)), "exactly one success per voucher"
    db.session.rollback()
    redemptions = db.session.execute(select(func.count()).select_from(Redemption)).scalar_one()
    assert redemptions == redemptions_before + VOUCHERS
    redeemed = db.session.execute(
        select(func.count()).where(Voucher.status == VoucherStatus.REDEEMED)
    ).scalar_one()
    assert redeemed == redeemed_before + VOUCHERS


def test_after_a_database_restart_a_desk_retry_redeems_and_nothing_is_half_done(pg_app):
    """Pooled connections are not pinged: one the database dropped fails one request and the
    pool is thrown away; the retry with the same Idempotency-Key redeems exactly once."""
    from sqlalchemy import create_engine, text

    from tests.factories import DemoWorld
    from voucher.accounts.services import issue_api_token
    from voucher.db import db
    from voucher.issuance.models import Voucher, VoucherStatus
    from voucher.redemption.models import Redemption

    demo = DemoWorld.build()
    klass = demo.file_class("unit1")
    first, second = demo.issue(0), demo.issue(1)
    unit1 = demo.actor("unit1")
    headers = {"Authorization": f"Bearer {issue_api_token(unit1, unit1.user_id, 'desk')}"}
    client = pg_app.test_client()
    bodies = {
        v.id: {"code": v.token, "class_id": klass.id, "id_last4": demo.id_tail(v)}
        for v in (first, second)
    }

    def redeem(voucher, key):
        body = bodies[voucher.id]
        try:
            return client.post(
                "/api/v1/redemptions", json=body, headers=headers | {"Idempotency-Key": key}
            ).status_code
        except Exception as exc:  # the testing app lets the driver's error through
            return type(exc).__name__

    assert redeem(first, "k-1") == 201
    db.session.remove()
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # what a database restart does to the pooled connections
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()

    answers = [redeem(second, "k-2") for _ in range(3)]

    # at most the first try fails (the whole pool is dropped with the dead connection); the
    # retry redeems and a third call with the same key replays the answer
    assert answers[1:] == [201, 201], answers
    db.session.remove()
    count = db.session.execute(
        select(func.count()).select_from(Redemption).where(Redemption.voucher_id == second.id)
    ).scalar_one()
    assert count == 1
    assert db.session.get(Voucher, second.id).status == VoucherStatus.REDEEMED
