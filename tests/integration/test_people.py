"""Registering trainees: ID numbers checked precisely, stored encrypted, audited masked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from stdnum.cn import ric

from tests.factories import synthetic_id_number
from voucher.audit.models import AuditEvent
from voucher.db import db
from voucher.errors import Conflict, Forbidden, ValidationFailed
from voucher.issuance.models import Person
from voucher.issuance.services import find_person, register_person
from voucher.keyring import pii_cipher

VALID = synthetic_id_number("440106", date(1988, 3, 15), 123)


def _with_check_digit(body: str) -> str:
    """17 characters plus their correct check character."""
    return body + ric.calc_check_digit(body + "0")


def _counts() -> tuple[int, int]:
    people = db.session.execute(select(func.count(Person.id))).scalar_one()
    events = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
    return people, events


def _register(actor, id_number: str, name: str = "陈小明", phone: str = "13800000009"):
    return register_person(actor, id_number=id_number, name=name, phone=phone)


def _wrong_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


@pytest.mark.parametrize(
    ("id_number", "code", "message"),
    [
        (
            _wrong_check_digit(VALID),
            "id_number_check_digit",
            f"校验位应为 {VALID[-1]}，实际为 {_wrong_check_digit(VALID)[-1]}",
        ),
        (
            _with_check_digit("44010619900230123"),
            "id_number_birth_date",
            "出生日期 19900230 不是有效日期",
        ),
        (
            _with_check_digit("44010619901301123"),
            "id_number_birth_date",
            "出生日期 19901301 不是有效日期",
        ),
        (VALID[:-1], "id_number_length", "身份证号码应为18位，实际为17位"),
        (VALID + "1", "id_number_length", "身份证号码应为18位，实际为19位"),
        ("4401061988031512", "id_number_length", "身份证号码应为18位，实际为16位"),
        ("", "id_number_empty", "请输入身份证号码"),
        ("440106A98803151234", "id_number_not_digit", "第7位“A”不是数字"),
        (_with_check_digit("99999919880315123"), "id_number_region", "地区码 999999 不存在"),
        (_with_check_digit("44010621990315123"), "id_number_birth_future", "晚于今天"),
        (_with_check_digit("44010618890315123"), "id_number_birth_too_early", "早于1900年1月1日"),
    ],
)
def test_a_malformed_id_number_is_refused_with_a_precise_message_and_writes_nothing(
    app, system, id_number, code, message
):
    before = _counts()

    with pytest.raises(ValidationFailed) as refused:
        _register(system, id_number)

    assert refused.value.code == code
    assert message in str(refused.value)
    assert refused.value.status == 422
    assert _counts() == before


def test_a_valid_id_number_is_stored_encrypted_and_found_by_its_keyed_hash(app, system):
    person = _register(system, VALID)

    row = db.session.execute(
        text("SELECT id_cipher, id_hash, id_masked FROM person WHERE id = :id"), {"id": person.id}
    ).one()
    cipher_bytes = bytes(row.id_cipher)
    assert VALID.encode() not in cipher_bytes
    assert VALID[6:14].encode() not in cipher_bytes  # not even the birth date
    assert VALID.encode() not in bytes(row.id_hash)
    assert pii_cipher().decrypt(cipher_bytes, aad=b"person.id_number") == VALID
    found = find_person(VALID)
    assert found is not None and found.id == person.id


def test_the_id_number_is_masked_as_first_four_stars_and_last_four(app, system):
    person = _register(system, VALID)

    assert person.id_masked == VALID[:4] + "*" * 10 + VALID[-4:]
    assert len(person.id_masked) == 18


def test_birth_date_and_sex_come_from_the_id_number(app, system):
    man = _register(system, VALID)  # sequence 123: odd, a man
    woman = _register(
        system, synthetic_id_number("440106", date(2001, 9, 3), 222), phone="13800000010"
    )

    assert (man.birth_date, man.sex) == (date(1988, 3, 15), "M")
    assert (woman.birth_date, woman.sex) == (date(2001, 9, 3), "F")


def test_find_person_answers_none_for_an_unregistered_number(app, system):
    _register(system, VALID)

    assert find_person(synthetic_id_number("440106", date(1988, 3, 15), 125)) is None


def test_registering_the_same_number_twice_is_a_conflict_and_writes_nothing(app, system):
    _register(system, VALID)
    before = _counts()

    with pytest.raises(Conflict) as refused:
        _register(system, VALID, name="另一个人", phone="13800000011")

    assert refused.value.code == "person_exists"
    assert str(refused.value) == "该身份证号码已登记"
    assert _counts() == before


def test_the_same_number_typed_differently_is_still_the_same_person(app, system):
    with_x = next(
        n
        for seq in range(100, 200)
        if (n := synthetic_id_number("440106", date(1990, 12, 31), seq)).endswith("X")
    )
    first = _register(system, with_x)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in with_x[:-1].lower()) + "ｘ"

    with pytest.raises(Conflict):
        _register(system, f" {with_x[:6]} {with_x[6:14]} {with_x[14:].lower()} ")
    with pytest.raises(Conflict):
        _register(system, full_width)

    assert find_person(with_x.lower()).id == first.id


def test_the_audit_event_carries_only_the_masked_number(app, system):
    person = _register(system, VALID)

    (event,) = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "person.registered")
    ).scalars()
    assert event.data == {"id": person.id_masked}
    assert event.object_id == str(person.id)
    whole_table = " ".join(
        " ".join(str(value) for value in row)
        for row in db.session.execute(text("SELECT * FROM audit_event")).all()
    )
    assert VALID not in whole_table
    assert VALID[4:14] not in whole_table  # the hidden middle part, birth date included


def test_other_roles_cannot_register_people(demo):
    before = _counts()

    for username in ("tianhe", "unit1", "finance"):
        with pytest.raises(Forbidden):
            _register(demo.actor(username), VALID)

    assert _counts() == before
    assert find_person(VALID) is None


@pytest.mark.parametrize(
    ("name", "phone", "code"),
    [("", "13800000009", "name_invalid"), ("陈小明", "1380000", "phone_invalid")],
)
def test_a_bad_name_or_phone_is_refused_and_writes_nothing(app, system, name, phone, code):
    before = _counts()

    with pytest.raises(ValidationFailed) as refused:
        _register(system, VALID, name=name, phone=phone)

    assert refused.value.code == code
    assert _counts() == before
