"""The outbox's and the wallet's pure rules: message texts, reminder timing, retries, codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from voucher.errors import ValidationFailed
from voucher.notify import rules
from voucher.wallet import rules as wallet

ID_NUMBER = "440106199805121114"
EXPIRES = datetime(2027, 2, 22, 16, 0, tzinfo=UTC)  # 2027-02-23 00:00 in Shanghai


def _facts(**changes):
    fields = {
        "name": "陈小明",
        "occupation": "养老护理员",
        "amount_fen": 80_000,
        "human_code": "EK13E8JZ5RPBE",
        "expires_at": EXPIRES,
        "wallet_url": "https://voucher.test/wallet/",
    }
    return rules.NoticeFacts(**(fields | changes))


def test_the_issuance_notice_names_occupation_amount_code_and_last_day_with_a_masked_name():
    text = rules.issued_text(_facts())
    assert "陈*明" in text and "陈小明" not in text
    assert "养老护理员" in text and "800.00元" in text
    assert "EK13-E8JZ-5RPB-E" in text
    assert "2027年02月22日" in text  # the last day it can be used, not the instant it lapses
    assert "https://voucher.test/wallet/" in text
    assert ID_NUMBER not in text and not re.search(r"\d{15,}", text)  # no ID number at all


def test_the_reminder_says_when_the_voucher_lapses():
    text = rules.reminder_text(_facts(name="欧阳娜娜"))
    assert text.startswith("【广州职业培训券】欧**娜")
    assert "2027年02月22日后失效" in text


def test_a_voucher_lapsing_at_midnight_is_usable_through_the_day_before():
    assert str(rules.last_valid_day(EXPIRES)) == "2027-02-22"
    assert str(rules.last_valid_day(EXPIRES + timedelta(hours=1))) == "2027-02-23"


@pytest.mark.parametrize(
    ("days_left", "due"),
    [(15, False), (14, True), (1, True), (0, False), (-1, False)],
)
def test_a_reminder_is_due_within_the_window_and_only_while_the_voucher_is_valid(days_left, due):
    now = EXPIRES - timedelta(days=days_left)
    assert rules.reminder_due(EXPIRES, now, 14) is due


def test_a_voucher_valid_no_longer_than_the_window_gets_no_reminder():
    now = EXPIRES - timedelta(days=3)
    assert not rules.reminder_due(EXPIRES, now, 14, issued_at=EXPIRES - timedelta(days=10))
    assert rules.reminder_due(EXPIRES, now, 14, issued_at=EXPIRES - timedelta(days=90))


def test_a_failed_message_is_retried_until_the_last_attempt():
    assert rules.after_failure(1) == rules.STATUS_PENDING
    assert rules.after_failure(rules.MAX_ATTEMPTS - 1) == rules.STATUS_PENDING
    assert rules.after_failure(rules.MAX_ATTEMPTS) == rules.STATUS_FAILED


def test_one_time_codes_are_six_digits_and_stored_only_as_a_keyed_digest():
    codes = {wallet.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150
    key, salt = b"k" * 32, b"s" * 16
    digest = wallet.code_digest(key, salt, "012345")
    assert b"012345" not in digest and len(digest) == 32
    assert wallet.code_matches(key, salt, "012345", digest)
    assert not wallet.code_matches(key, salt, "012346", digest)
    assert not wallet.code_matches(key, b"t" * 16, "012345", digest)
    assert not wallet.code_matches(b"j" * 32, salt, "012345", digest)


@pytest.mark.parametrize(("typed", "code"), [("012345", "012345"), ("０１２ ３４５", "012345")])
def test_a_typed_code_may_use_full_width_digits_and_spaces(typed, code):
    assert wallet.normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"])
def test_a_malformed_code_is_refused_in_chinese(typed):
    with pytest.raises(ValidationFailed, match="6 位数字"):
        wallet.normalise_code(typed)


@pytest.mark.parametrize(
    ("typed", "phone"),
    [("13800000001", "13800000001"), ("+86 138-0000-0001", "13800000001")],
)
def test_a_phone_number_may_be_typed_with_separators_and_country_code(typed, phone):
    assert wallet.normalise_phone(typed) == phone


@pytest.mark.parametrize("typed", ["", "1380000000", "23800000001", "1380000000x"])
def test_a_malformed_phone_number_is_refused_in_chinese(typed):
    with pytest.raises(ValidationFailed, match="手机号码"):
        wallet.normalise_phone(typed)


@pytest.mark.parametrize(
    ("status", "offset_days", "key", "shows_code"),
    [
        ("issued", 0, "usable", True),
        ("issued", -200, "not_yet", True),
        ("issued", 100, "expired", False),
        ("redeemed", 0, "redeemed", False),
        ("revoked", 0, "revoked", False),
        ("expired", 0, "expired", False),
    ],
)
def test_the_holder_sees_the_state_of_a_voucher_and_a_code_only_while_it_can_be_used(
    status, offset_days, key, shows_code
):
    not_before = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    expires = not_before + timedelta(days=90)
    now = not_before + timedelta(days=1) + timedelta(days=offset_days)
    view = wallet.holder_status(status, not_before, expires, now)
    assert (view.key, view.shows_code) == (key, shows_code)
    assert view.label


def test_a_voucher_notice_is_worth_sending_only_while_the_voucher_can_be_used():
    assert rules.still_worth_sending(rules.KIND_ISSUED, "issued", expired=False)
    assert not rules.still_worth_sending(rules.KIND_ISSUED, "issued", expired=True)
    for status in ("redeemed", "revoked", "expired"):
        assert not rules.still_worth_sending(rules.KIND_REMINDER, status, expired=False)
    assert rules.still_worth_sending("other", None, expired=False)
