"""Trainee wallet sign-in: ID number + phone, a one-time code by text message, a session.

The code goes through the file sender (NOTIFY_SENDER=file) and is read back from its file, as a
phone would receive it. The answers never tell whether a person is registered.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import csrf_token, login
from voucher.audit.models import AuditEvent
from voucher.db import db, utcnow
from voucher.demo import synthetic_id_number
from voucher.errors import RuleViolation
from voucher.issuance.models import Person
from voucher.keyring import pii_cipher
from voucher.notify.senders import file_path, read_file_messages
from voucher.wallet import services
from voucher.wallet.models import WalletCode

UNKNOWN_ID = synthetic_id_number("440106", date(1999, 1, 1), 777)


def id_number_of(person: Person) -> str:
    """The person's ID number (decrypted here only because the test plays the trainee)."""
    return pii_cipher().decrypt(person.id_cipher, aad=b"person.id_number")


def use_file_sender(app: Flask) -> None:
    app.config["NOTIFY_SENDER"] = "file"
    app.extensions.pop("voucher.notify.sender", None)


def messages() -> list[dict[str, Any]]:
    return read_file_messages(file_path())


def last_code() -> str:
    match = re.search(r"验证码是 (\d{6})", messages()[-1]["text"])
    assert match, messages()[-1]
    return match.group(1)


def ask_code(client: FlaskClient, id_number: str, phone: str, **kwargs: Any) -> Any:
    token = csrf_token(client, "/wallet/login")
    data = {"csrf_token": token, "id_number": id_number, "phone": phone}
    return client.post("/wallet/login", data=data, **kwargs)


def send_code(client: FlaskClient, code: str) -> Any:
    token = csrf_token(client, "/wallet/verify")
    return client.post("/wallet/verify", data={"csrf_token": token, "code": code})


def sign_in_trainee(app: Flask, client: FlaskClient, person: Person) -> None:
    """The whole sign-in as a trainee does it."""
    use_file_sender(app)
    assert ask_code(client, id_number_of(person), person.phone).status_code == 302
    answer = send_code(client, last_code())
    assert answer.status_code == 302 and answer.headers["Location"] == "/wallet/"


def _page_text(response: Any) -> str:
    html = response.get_data(as_text=True)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)


def test_a_trainee_signs_in_with_the_code_from_the_text_message_and_sees_the_wallet(
    app, client, demo
):
    person = demo.people[0]
    demo.issue(0)
    use_file_sender(app)
    answer = ask_code(client, id_number_of(person), person.phone)
    assert answer.status_code == 302 and answer.headers["Location"] == "/wallet/verify"
    [message] = messages()
    assert message["phone"] == "138****0001"
    assert "5 分钟内有效" in message["text"]
    assert client.get("/wallet/").status_code == 302  # not signed in before the code

    answer = send_code(client, last_code())
    assert answer.status_code == 302
    page = client.get("/wallet/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "陈*明" in html and "陈小明" not in html
    assert id_number_of(person) not in html and person.id_masked in html
    assert "养老护理员" in html and "800.00" in html

    code_row = db.session.execute(select(WalletCode)).scalar_one()
    assert code_row.used_at is not None and code_row.digest != last_code().encode()
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "wallet.code_sent" in actions and "wallet.signed_in" in actions


def test_the_answer_is_the_same_whether_or_not_the_person_is_registered(app, client, demo):
    person = demo.people[0]
    use_file_sender(app)
    answers = []
    for id_number, phone in [
        (id_number_of(person), person.phone),  # registered, right phone
        (id_number_of(person), "13912345678"),  # registered, another phone
        (UNKNOWN_ID, person.phone),  # nobody
    ]:
        fresh = app.test_client()  # a new browser each time (the client fixture's class)
        first = ask_code(fresh, id_number, phone)
        follow = fresh.get(first.headers["Location"])
        wrong = send_code(fresh, "000000" if messages() and last_code() != "000000" else "111111")
        answers.append(
            (
                first.status_code,
                first.headers["Location"],
                _page_text(follow),
                wrong.status_code,
                _page_text(wrong),
            )
        )
    assert answers[0] == answers[1] == answers[2]
    assert len(messages()) == 1  # only the registered person with the right phone got a code
    assert "如果身份证号码和手机号码与登记信息一致" in answers[0][2]
    assert "验证码不正确或已失效" in answers[0][4]


def test_wrong_codes_are_counted_and_the_fifth_ends_the_code(app, client, demo):
    person = demo.people[1]
    use_file_sender(app)
    ask_code(client, id_number_of(person), person.phone)
    right = last_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refusals = {
        send_code(client, wrong).get_data(as_text=True).count("验证码不正确") for _ in range(5)
    }
    assert refusals == {1}
    row = db.session.execute(select(WalletCode)).scalar_one()
    assert row.attempts == 5
    answer = send_code(client, right)
    assert answer.status_code == 422 and "验证码不正确或已失效" in answer.get_data(as_text=True)
    assert client.get("/wallet/").status_code == 302


def test_a_code_expires_after_five_minutes(app, client, demo, monkeypatch):
    person = demo.people[0]
    use_file_sender(app)
    ask_code(client, id_number_of(person), person.phone)
    code = last_code()
    later = utcnow() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    answer = send_code(client, code)
    assert answer.status_code == 422 and "验证码不正确或已失效" in answer.get_data(as_text=True)
    monkeypatch.setattr(services, "utcnow", lambda: later - timedelta(seconds=2))
    assert send_code(client, code).status_code == 302


def test_a_code_works_once(app, client, demo):
    person = demo.people[0]
    use_file_sender(app)
    digest = services.request_code(id_number_of(person), person.phone)
    code = last_code()
    assert services.verify_code(digest, code) == person.id
    with pytest.raises(RuleViolation) as refused:
        services.verify_code(digest, code)
    assert refused.value.code == "code_refused"


def test_a_new_code_replaces_the_one_sent_before(app, demo):
    person = demo.people[0]
    use_file_sender(app)
    now = utcnow()
    digest = services.request_code(id_number_of(person), person.phone, now=now)
    first = last_code()
    # within a minute the same code stands: no second message
    services.request_code(id_number_of(person), person.phone, now=now + timedelta(seconds=30))
    assert len(messages()) == 1
    services.request_code(id_number_of(person), person.phone, now=now + timedelta(seconds=61))
    second = last_code()
    assert len(messages()) == 2
    at = now + timedelta(seconds=62)
    if first != second:
        with pytest.raises(RuleViolation):
            services.verify_code(digest, first, now=at)
    assert services.verify_code(digest, second, now=at) == person.id


@pytest.mark.parametrize(
    ("id_number", "phone", "message"),
    [
        ("440106199805121115", "13800000001", "校验"),
        ("4401061998", "13800000001", "身份证"),
        (None, "1380000", "手机号码应为 11 位数字"),
        ("", "", "请输入身份证号码"),
    ],
)
def test_malformed_input_is_refused_in_chinese(app, client, demo, id_number, phone, message):
    person = demo.people[0]
    answer = ask_code(client, id_number_of(person) if id_number is None else id_number, phone)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)


def test_the_forms_need_their_csrf_token(app, client, demo):
    person = demo.people[0]
    answer = client.post(
        "/wallet/login", data={"id_number": id_number_of(person), "phone": person.phone}
    )
    assert answer.status_code == 400


def test_the_code_page_sends_a_visitor_without_a_pending_sign_in_back(app, client):
    answer = client.get("/wallet/verify")
    assert answer.status_code == 302 and answer.headers["Location"] == "/wallet/login"


def test_code_requests_are_limited_per_id_number_from_any_address(app, client, demo):
    person = demo.people[0]
    use_file_sender(app)
    statuses = [
        ask_code(
            client,
            id_number_of(person),
            "13912345678",
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        ).status_code
        for n in range(6)
    ]
    assert statuses == [302] * 5 + [429]
    other = ask_code(client, UNKNOWN_ID, person.phone, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert other.status_code == 302


def test_code_requests_are_limited_per_address(app, client, demo):
    ids = [synthetic_id_number("440106", date(1990, 1, n + 1), n) for n in range(11)]
    statuses = [ask_code(client, number, "13912345678").status_code for number in ids]
    assert statuses == [302] * 10 + [429]


def test_sign_out_ends_the_trainee_session_only(app, client, demo):
    login(client, "city")
    sign_in_trainee(app, client, demo.people[0])
    token = csrf_token(client, "/wallet/")
    answer = client.post("/wallet/logout", data={"csrf_token": token})
    assert answer.headers["Location"] == "/wallet/login?bye=1"
    assert client.get("/wallet/").status_code == 302
    assert client.get("/account").status_code == 200  # the staff sign-in is untouched
    page = client.get("/wallet/login?bye=1").get_data(as_text=True)
    assert 'data-clear="1"' in page  # the page that clears the offline copies
