"""The outbox: issuance notices and expiry reminders, sent once however often the run repeats."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from voucher.db import db, unit_of_work, utcnow
from voucher.issuance.models import Voucher
from voucher.notify import rules, services
from voucher.notify.models import Notification
from voucher.notify.senders import FileSender, SendFailed, read_file_messages


class Recorder:
    """A sender that keeps what it was given, failing the first ``fail`` times."""

    def __init__(self, fail: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    def send(self, phone: str, text: str) -> str:
        if self.fail:
            self.fail -= 1
            raise SendFailed("gateway busy")
        self.sent.append((phone, text))
        return f"ref-{len(self.sent)}"


def _rows() -> list[Notification]:
    """The outbox rows of this test (the demo data's own notices were sent before it began)."""
    db.session.rollback()
    stmt = select(Notification).where(Notification.id > _baseline[0]).order_by(Notification.id)
    return list(db.session.execute(stmt).scalars())


_baseline = [0]


@pytest.fixture(autouse=True)
def _demo_notices_sent(app, demo):
    """Send whatever the demo data set already has due, so each test starts from nothing due."""
    services.send_due(Recorder())
    db.session.rollback()
    _baseline[0] = db.session.execute(
        select(func.coalesce(func.max(Notification.id), 0))
    ).scalar_one()
    db.session.rollback()


def test_each_new_voucher_gets_one_issuance_notice_however_often_the_run_repeats(app, demo):
    first = demo.issue(0)
    second = demo.issue(1, entry=demo.housekeeping, amount_fen=60_000)
    sender = Recorder()
    report = services.send_due(sender)
    assert (report.queued_issued, report.queued_reminders, report.sent) == (2, 0, 2)
    assert [phone for phone, _ in sender.sent] == ["13800000001", "13800000002"]
    again = services.send_due(sender)
    assert (again.queued_issued, again.sent) == (0, 0)
    assert len(sender.sent) == 2

    rows = _rows()
    assert [(r.voucher_id, r.kind, r.status, r.attempts) for r in rows] == [
        (first.id, rules.KIND_ISSUED, "sent", 1),
        (second.id, rules.KIND_ISSUED, "sent", 1),
    ]
    assert rows[0].reference == "ref-1" and rows[0].sent_at is not None
    text = sender.sent[1][1]
    assert "李*红" in text and "家政服务员" in text and "600.00元" in text
    assert not re.search(r"\d{15,}", text)  # never an ID number
    assert "https://voucher.test/wallet/" in text


def test_a_reminder_goes_out_once_when_a_voucher_nears_its_end(app, demo):
    voucher = demo.issue(0)
    sender = Recorder()
    services.send_due(sender)
    near_end = voucher.expires_at - timedelta(days=10)
    services.send_due(sender, now=near_end)
    services.send_due(sender, now=near_end + timedelta(days=1))
    mine = [text for phone, text in sender.sent if phone == "13800000001"]
    assert len(mine) == 2 and "已获发" in mine[0] and "后失效" in mine[1]
    kinds = [(r.kind, r.status) for r in _rows() if r.voucher_id == voucher.id]
    assert kinds == [(rules.KIND_ISSUED, "sent"), (rules.KIND_REMINDER, "sent")]


def test_vouchers_that_cannot_be_used_get_no_notice(app, demo):
    used = demo.issue(0)
    lapsed = demo.issue(1)
    with unit_of_work():
        db.session.execute(update(Voucher).where(Voucher.id == used.id).values(status="revoked"))
        db.session.execute(
            update(Voucher)
            .where(Voucher.id == lapsed.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    report = services.send_due(Recorder())
    assert (report.queued_issued, report.queued_reminders) == (0, 0)
    assert _rows() == []


def test_a_failed_message_is_retried_then_marked_failed_and_never_sent_twice(app, demo):
    demo.issue(0)
    sender = Recorder(fail=rules.MAX_ATTEMPTS)
    first = services.send_due(sender)
    assert (first.sent, first.retry_later, first.failed) == (0, 1, 0)
    assert _rows()[0].status == "pending" and _rows()[0].last_error == "gateway busy"
    for _ in range(rules.MAX_ATTEMPTS - 1):
        services.deliver_pending(sender)
    row = _rows()[0]
    assert (row.status, row.attempts) == ("failed", rules.MAX_ATTEMPTS)
    assert services.send_due(Recorder()).sent == 0  # a failed message waits for an officer


def test_a_message_taken_by_another_run_is_not_sent_again(app, demo):
    demo.issue(0)
    services.enqueue_due()
    row = _rows()[0]
    with unit_of_work():
        db.session.execute(
            update(Notification).where(Notification.id == row.id).values(status="sending")
        )
    sender = Recorder()
    assert services.deliver_pending(sender).sent == 0 and sender.sent == []


def test_two_runs_queueing_at_once_store_each_notice_once(app, demo):
    demo.issue(0)
    demo.issue(1)
    # what two overlapping runs would both try to insert
    with unit_of_work() as session:
        rows = services._rows(session, rules.KIND_ISSUED, utcnow(), [], rules.issued_text)
    assert len(rows) == 2
    for _ in range(2):
        with unit_of_work() as session:
            services._insert_ignoring_duplicates(session, rows)
    assert len(_rows()) == 2


def test_the_command_line_run_writes_to_the_configured_file_sender(app, demo):
    app.config["NOTIFY_SENDER"] = "file"
    app.extensions.pop("voucher.notify.sender", None)
    demo.issue(0)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notify", "send-due"])
    assert result.exit_code == 0, result.output
    assert "发券通知 1 条" in result.output and "已发送 1 条" in result.output
    [message] = read_file_messages(FileSender(app.instance_path + "/notify/messages.jsonl").path)
    assert message["phone"] == "138****0001" and "养老护理员" in message["text"]
    status = runner.invoke(args=["notify", "status"])
    assert f"已发送：{_baseline[0] + 1}" in status.output  # the demo's notices and this one
    assert runner.invoke(args=["notify", "send-due"]).output.count("已发送 0 条") == 1


def test_a_notice_whose_voucher_was_revoked_before_sending_is_skipped(app, demo):
    voucher = demo.issue(0)
    services.enqueue_due()
    with unit_of_work():
        db.session.execute(update(Voucher).where(Voucher.id == voucher.id).values(status="revoked"))
    sender = Recorder()
    report = services.deliver_pending(sender)
    assert (report.sent, report.skipped, sender.sent) == (0, 1, [])
    assert _rows()[0].status == "skipped"
