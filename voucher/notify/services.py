"""Outbox use cases: queue the notices that are due, then deliver pending messages.

Queueing is idempotent: voucher notices are unique per (voucher, kind) in the database, and rows
are inserted with "on conflict do nothing", so a re-run (or two runs at once) never queues a
notice twice. Delivery claims each row with a conditional update (pending → sending) before it
calls the sender, so a message is handed to the sender at most once per attempt even when two
senders run at once; a failed attempt goes back to pending until ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from voucher.accounts.access import Actor
from voucher.audit.services import record
from voucher.catalog.models import CatalogueEntry
from voucher.db import db, unit_of_work, utcnow
from voucher.issuance.models import Person, Voucher, VoucherStatus
from voucher.notify import rules
from voucher.notify.models import Notification
from voucher.notify.senders import Sender, SendFailed, configured_sender
from voucher.policy import POLICY

__all__ = ["DeliveryReport", "deliver_pending", "enqueue_due", "send_due", "send_now"]

SYSTEM = Actor.system("notify")
_CHUNK = 1000


@dataclass
class DeliveryReport:
    """What one ``send-due`` run did."""

    queued_issued: int = 0
    queued_reminders: int = 0
    sent: int = 0
    failed: int = 0
    retry_later: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "queued_issued": self.queued_issued,
            "queued_reminders": self.queued_reminders,
            "sent": self.sent,
            "failed": self.failed,
            "retry_later": self.retry_later,
            "skipped": self.skipped,
        }


def wallet_url() -> str:
    """The address of the trainee wallet as printed in messages."""
    return f"https://{current_app.config['PUBLIC_HOST']}/wallet/"


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(Notification).on_conflict_do_nothing(index_elements=["voucher_id", "kind"])
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[start : start + _CHUNK])


def _without_notice(kind: str) -> Any:
    return ~exists().where(and_(Notification.voucher_id == Voucher.id, Notification.kind == kind))


def _rows(
    session: Session, kind: str, now: datetime, where: list[Any], text: Any
) -> list[dict[str, Any]]:
    stmt = (
        select(Voucher, Person.name, CatalogueEntry.name)
        .join(Person, Person.id == Voucher.person_id)
        .join(CatalogueEntry, CatalogueEntry.id == Voucher.entry_id)
        .where(
            Voucher.status == VoucherStatus.ISSUED,
            Voucher.expires_at > now,
            _without_notice(kind),
            *where,
        )
        .order_by(Voucher.id)
    )
    url = wallet_url()
    rows = []
    for voucher, name, occupation in session.execute(stmt):
        if kind == rules.KIND_REMINDER and not rules.reminder_due(
            voucher.expires_at, now, POLICY.expiry_reminder_days, issued_at=voucher.issued_at
        ):
            continue
        facts = rules.NoticeFacts(
            name=name,
            occupation=occupation,
            amount_fen=voucher.amount_fen,
            human_code=voucher.human_code,
            expires_at=voucher.expires_at,
            wallet_url=url,
        )
        rows.append(
            {
                "person_id": voucher.person_id,
                "kind": kind,
                "voucher_id": voucher.id,
                "text": text(facts),
                "status": rules.STATUS_PENDING,
                "attempts": 0,
                "created_at": now,
            }
        )
    return rows


def enqueue_due(*, now: datetime | None = None) -> tuple[int, int]:
    """Queue issuance notices for valid vouchers not yet noticed, and expiry reminders.

    Returns (issuance notices queued, reminders queued).
    """
    now = now or utcnow()
    horizon = now + timedelta(days=POLICY.expiry_reminder_days)
    with unit_of_work() as session:
        issued = _rows(session, rules.KIND_ISSUED, now, [], rules.issued_text)
        reminders = _rows(
            session, rules.KIND_REMINDER, now, [Voucher.expires_at <= horizon], rules.reminder_text
        )
        _insert_ignoring_duplicates(session, issued)
        _insert_ignoring_duplicates(session, reminders)
        if issued or reminders:
            record(
                SYSTEM,
                "notify.queued",
                "notification",
                "batch",
                {"issued": len(issued), "reminders": len(reminders)},
            )
    return len(issued), len(reminders)


def _claim(notification_id: int, now: datetime) -> tuple[str, str, int] | str | None:
    """Mark one pending message as being sent; return (phone, text, attempts).

    None when another run took it first; "skipped" when its voucher can no longer be used.
    """
    with unit_of_work(run_hooks=False) as session:
        claimed = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.status == "pending")
            .values(status=rules.STATUS_SENDING, attempts=Notification.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return None
        row = session.execute(
            select(
                Person.phone,
                Notification.text,
                Notification.attempts,
                Notification.kind,
                Voucher.status,
                Voucher.expires_at,
            )
            .join(Person, Person.id == Notification.person_id)
            .outerjoin(Voucher, Voucher.id == Notification.voucher_id)
            .where(Notification.id == notification_id)
        ).one()
        expired = row.expires_at is not None and row.expires_at <= now
        if not rules.still_worth_sending(row.kind, row.status, expired):
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(status=rules.STATUS_SKIPPED)
                .execution_options(synchronize_session=False)
            )
            return rules.STATUS_SKIPPED
    return row.phone, row.text, row.attempts


def _finish(notification_id: int, values: dict[str, Any]) -> None:
    with unit_of_work(run_hooks=False) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def deliver_pending(
    sender: Sender | None = None, *, limit: int | None = None, report: DeliveryReport | None = None
) -> DeliveryReport:
    """Hand each pending message to the sender, oldest first; failures are retried next run."""
    sender = sender or configured_sender()
    report = report or DeliveryReport()
    db.session.rollback()  # end any read transaction: see rows committed by other runs
    stmt = select(Notification.id).where(Notification.status == "pending").order_by(Notification.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    ids = list(db.session.execute(stmt).scalars())
    db.session.rollback()
    for notification_id in ids:
        claimed = _claim(notification_id, utcnow())
        if claimed is None:
            continue  # another run took it
        if claimed == rules.STATUS_SKIPPED:
            report.skipped += 1
            continue
        assert not isinstance(claimed, str)
        phone, text, attempts = claimed
        try:
            reference = sender.send(phone, text)
        except SendFailed as exc:
            status = rules.after_failure(attempts)
            _finish(notification_id, {"status": status, "last_error": str(exc)[:200]})
            if status == rules.STATUS_FAILED:
                report.failed += 1
            else:
                report.retry_later += 1
            report.errors.append(f"#{notification_id}: {exc}")
            continue
        _finish(
            notification_id,
            {"status": rules.STATUS_SENT, "sent_at": utcnow(), "reference": reference[:64]},
        )
        report.sent += 1
    if ids:
        with unit_of_work(run_hooks=True):
            record(SYSTEM, "notify.delivered", "notification", "batch", report.as_dict())
    return report


def send_due(
    sender: Sender | None = None, *, now: datetime | None = None, limit: int | None = None
) -> DeliveryReport:
    """Queue what is due, then deliver: the whole ``voucher notify send-due`` run."""
    issued, reminders = enqueue_due(now=now)
    report = DeliveryReport(queued_issued=issued, queued_reminders=reminders)
    return deliver_pending(sender, limit=limit, report=report)


def outbox_counts() -> dict[str, int]:
    """How many messages are in each status."""
    rows = db.session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    )
    return {status: count for status, count in rows}


def send_now(phone: str, text: str, sender: Sender | None = None) -> str:
    """Send a message straight away, outside the outbox (one-time sign-in codes)."""
    return (sender or configured_sender()).send(phone, text)
