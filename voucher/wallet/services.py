"""Wallet use cases: send a one-time code, accept it, and read the holder's own vouchers.

No answer of the sign-in tells whether a person is registered: :func:`request_code` returns the
same way for every well-formed ID number and phone, and :func:`verify_code` refuses every bad
code with one message, whatever the reason (no code, wrong, expired, used, too many tries).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from voucher.accounts.access import Actor
from voucher.audit.services import record
from voucher.core.idcard import parse_id_number
from voucher.core.pii import mask_phone
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import NotFound, RuleViolation
from voucher.issuance.models import Person, Voucher
from voucher.keyring import pii_cipher
from voucher.notify.senders import Sender, SendFailed, configured_sender
from voucher.notify.services import send_now
from voucher.wallet import rules
from voucher.wallet.models import WalletCode

__all__ = ["holder", "request_code", "verify_code", "voucher_of", "vouchers_of"]

log = logging.getLogger("voucher.wallet")
TRAINEE = Actor.system("trainee")
REFUSED = _l("验证码不正确或已失效。请核对短信中的 6 位数字，或返回上一步重新获取验证码。")
_DUMMY_SALT = bytes(16)


def _code_key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hashlib.sha256(b"voucher/wallet/one-time-code/v1:" + secret).digest()


def id_lookup(id_number: str) -> bytes:
    """The keyed hash that finds a person by ID number (never the number itself)."""
    return pii_cipher().lookup_hash(id_number)


def request_code(
    id_number: str, phone: str, *, now: datetime | None = None, sender: Sender | None = None
) -> bytes:
    """Send a sign-in code when the ID number and phone belong to one registered person.

    Malformed input is refused (ValidationFailed, naming the field); otherwise the result is the
    same whether or not such a person exists: the ID number's lookup hash, for the verify step.
    """
    number = parse_id_number(id_number).number
    phone = rules.normalise_phone(phone)
    now = now or utcnow()
    digest = id_lookup(number)
    code: str | None = None
    with unit_of_work() as session:
        person = session.execute(
            select(Person).where(Person.id_hash == digest)
        ).scalar_one_or_none()
        if person is not None and person.phone == phone:
            recent = session.execute(
                select(WalletCode.id).where(
                    WalletCode.person_id == person.id,
                    WalletCode.used_at.is_(None),
                    WalletCode.expires_at > now,
                    WalletCode.created_at > now - rules.RESEND_AFTER,
                )
            ).first()
            if recent is None:
                # Only the newest code counts: earlier unused ones end now.
                session.execute(
                    update(WalletCode)
                    .where(
                        WalletCode.person_id == person.id,
                        WalletCode.used_at.is_(None),
                        WalletCode.expires_at > now,
                    )
                    .values(expires_at=now)
                    .execution_options(synchronize_session=False)
                )
                code = rules.new_code()
                salt = secrets.token_bytes(16)
                session.add(
                    WalletCode(
                        person_id=person.id,
                        salt=salt,
                        digest=rules.code_digest(_code_key(), salt, code),
                        created_at=now,
                        expires_at=now + rules.CODE_TTL,
                        attempts=0,
                    )
                )
                record(TRAINEE, "wallet.code_sent", "person", person.id, {})
        else:
            rules.code_digest(_code_key(), _DUMMY_SALT, "000000")  # about the same work
    if code is not None:
        minutes = int(rules.CODE_TTL.total_seconds() // 60)
        text = _(
            "【广州职业培训券】您的登录验证码是 %(code)s，%(minutes)s 分钟内有效。"
            "请勿告诉他人，工作人员不会向您索要验证码。",
            code=code,
            minutes=minutes,
        )
        sender = sender or configured_sender()
        if getattr(sender, "slow", False):
            # A remote gateway may take seconds: answering only after it would tell a watcher
            # that a code was sent, i.e. that the person is registered. Send off the request.
            threading.Thread(
                target=_send_quietly, args=(sender, phone, text), name="wallet-code", daemon=True
            ).start()
        else:
            _send_quietly(sender, phone, text)
    return digest


def _send_quietly(sender: Sender, phone: str, text: str) -> None:
    """Send a sign-in code; a failure is logged (phone masked), never shown to the visitor."""
    try:
        send_now(phone, text, sender)
    except SendFailed as exc:
        log.error("sign-in code to %s not sent: %s", mask_phone(phone), exc)


def verify_code(id_hash: bytes, code_text: str, *, now: datetime | None = None) -> int:
    """Accept the newest code sent for this ID number, once; return the person's id.

    Every refusal (no code, wrong, expired, already used, too many wrong tries) raises the same
    RuleViolation; a wrong code counts against the code's tries.
    """
    code = rules.normalise_code(code_text)
    now = now or utcnow()
    key = _code_key()
    person_id: int | None = None
    with unit_of_work() as session:
        row = session.execute(
            select(WalletCode)
            .join(Person, Person.id == WalletCode.person_id)
            .where(Person.id_hash == id_hash, WalletCode.used_at.is_(None))
            .order_by(WalletCode.id.desc())
            .limit(1)
            .with_for_update(of=WalletCode)
        ).scalar_one_or_none()
        if row is None or row.expires_at <= now or row.attempts >= rules.MAX_ATTEMPTS:
            rules.code_digest(key, _DUMMY_SALT, code)
        elif rules.code_matches(key, row.salt, code, row.digest):
            used = session.execute(
                update(WalletCode)
                .where(
                    WalletCode.id == row.id,
                    WalletCode.used_at.is_(None),
                    WalletCode.attempts < rules.MAX_ATTEMPTS,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if used.rowcount == 1:
                person_id = row.person_id
                record(TRAINEE, "wallet.signed_in", "person", row.person_id, {})
        else:
            session.execute(
                update(WalletCode)
                .where(WalletCode.id == row.id)
                .values(attempts=WalletCode.attempts + 1)
                .execution_options(synchronize_session=False)
            )
    if person_id is None:
        raise RuleViolation(REFUSED, code="code_refused")
    return person_id


def holder(person_id: int) -> Person:
    """The signed-in person."""
    person = db.session.get(Person, person_id)
    if person is None:
        raise NotFound(_l("未找到该记录"))
    return person


def vouchers_of(person_id: int) -> list[Voucher]:
    """The person's vouchers, newest first."""
    stmt = (
        select(Voucher)
        .where(Voucher.person_id == person_id)
        .options(selectinload(Voucher.entry), selectinload(Voucher.unit))
        .order_by(Voucher.issued_at.desc(), Voucher.id.desc())
    )
    return list(db.session.execute(stmt).scalars())


def voucher_of(person_id: int, voucher_id: int) -> Voucher:
    """One of the person's vouchers; another person's voucher is "not found" (404)."""
    voucher = db.session.execute(
        select(Voucher)
        .where(Voucher.id == voucher_id, Voucher.person_id == person_id)
        .options(selectinload(Voucher.entry), selectinload(Voucher.unit))
    ).scalar_one_or_none()
    if voucher is None:
        raise NotFound(_l("未找到这张培训券"), code="voucher_not_found")
    return voucher
