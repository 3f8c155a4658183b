"""Issuance use cases (the foundation slice: register a person, issue one signed voucher)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor, get_visible
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.catalog.services import get_entry
from voucher.core.clock import start_of_business_day
from voucher.core.humancode import human_code
from voucher.core.idcard import parse_id_number
from voucher.core.pii import mask_id_number
from voucher.core.token import VoucherClaims, encode_text, qr_payload, sign_token, verify_token
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from voucher.issuance.keys import active_signer, resolve_public_key
from voucher.issuance.models import Person, Voucher, VoucherStatus
from voucher.keyring import pii_cipher
from voucher.policy import POLICY
from voucher.units.models import TrainingUnit


def find_person(id_number: str) -> Person | None:
    """The person with this ID number (by keyed hash), or None."""
    digest = pii_cipher().lookup_hash(id_number)
    return db.session.execute(select(Person).where(Person.id_hash == digest)).scalar_one_or_none()


def register_person(actor: Actor, *, id_number: str, name: str, phone: str) -> Person:
    """Register a trainee; the ID number is validated, encrypted and indexed by keyed hash."""
    actor.require(Role.CITY)
    parsed = parse_id_number(id_number)
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed(_l("姓名不能为空且不超过 64 个字符"), code="name_invalid")
    phone = phone.strip()
    if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise ValidationFailed(_l("手机号码应为 11 位数字"), code="phone_invalid")
    cipher = pii_cipher()
    with unit_of_work() as session:
        if find_person(parsed.number) is not None:
            raise Conflict(_l("该身份证号码已登记"), code="person_exists")
        person = Person(
            id_hash=cipher.lookup_hash(parsed.number),
            id_cipher=cipher.encrypt(parsed.number, aad=b"person.id_number"),
            id_masked=mask_id_number(parsed.number),
            name=name,
            phone=phone,
            birth_date=parsed.birth_date,
            sex=parsed.sex,
        )
        session.add(person)
        session.flush()
        record(actor, "person.registered", "person", person.id, {"id": person.id_masked})
    return person


def issue_voucher(
    actor: Actor,
    *,
    person_id: int,
    entry_id: int,
    amount_fen: int,
    unit_id: int | None = None,
    valid_from: date,
    valid_days: int = POLICY.voucher_validity_days,
) -> Voucher:
    """Issue one signed voucher for one occupation, bound to a unit (定向) or to any (通用)."""
    actor.require(Role.CITY)
    if amount_fen <= 0:
        raise ValidationFailed(_l("券面金额必须大于 0"), code="amount_invalid")
    kid, private_key = active_signer()
    with unit_of_work() as session:
        person = get_visible(Person, person_id, actor)
        entry = get_entry(entry_id)
        if unit_id is not None:
            get_visible(TrainingUnit, unit_id, actor)
        active = session.execute(
            select(Voucher.id).where(
                Voucher.person_id == person.id,
                Voucher.entry_id == entry.id,
                Voucher.status == VoucherStatus.ISSUED,
            )
        ).first()
        if active:
            raise RuleViolation(
                _l("此人已持有该职业（工种）的有效培训券"), code="voucher_already_held"
            )
        voucher_id = secrets.token_bytes(16)
        not_before = start_of_business_day(valid_from)
        expires = start_of_business_day(valid_from + timedelta(days=valid_days))
        claims = VoucherClaims(
            key_id=bytes.fromhex(kid),
            voucher_id=voucher_id,
            holder_ref=person.id_hash[:16],
            amount_fen=amount_fen,
            programme=entry.id,
            unit=unit_id or 0,
            not_before=int(not_before.timestamp()),
            expires=int(expires.timestamp()),
        )
        voucher = Voucher(
            uid=voucher_id.hex(),
            human_code=human_code(voucher_id),
            person_id=person.id,
            kid=kid,
            entry_id=entry.id,
            unit_id=unit_id,
            amount_fen=amount_fen,
            not_before=not_before,
            expires_at=expires,
            token=encode_text(sign_token(claims, private_key)),
            issued_by=actor.user_id,
        )
        session.add(voucher)
        session.flush()
        record(
            actor,
            "voucher.issued",
            "voucher",
            voucher.id,
            {"entry_id": entry.id, "unit_id": unit_id, "amount_fen": amount_fen},
        )
    return voucher


def voucher_payload(voucher: Voucher) -> str:
    """What the QR holds: an upper-case URL opening the scan page, with the Base32 token."""
    from voucher.core.token import decode_text

    return qr_payload(decode_text(voucher.token), current_app.config["PUBLIC_HOST"])


def resolve_voucher(text: str, *, now: int | None = None) -> tuple[VoucherClaims, Voucher]:
    """Verify a scanned token (signature, key state, validity window) and load its voucher."""
    claims = verify_token(text, resolve_public_key, now=now, check_time=True)
    voucher = db.session.execute(
        select(Voucher).where(Voucher.uid == claims.voucher_id.hex())
    ).scalar_one_or_none()
    if voucher is None:
        raise NotFound(_l("系统中没有这张培训券"), code="voucher_unknown")
    return claims, voucher
