"""Voucher token codec: layout, text forms, and every way a token must be refused."""

from __future__ import annotations

import base64
import hashlib
import re
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from voucher.core.token import (
    BODY_SIZE,
    DOMAIN,
    SIGNATURE_SIZE,
    TEXT_SIZE,
    TOKEN_SIZE,
    ClaimsError,
    TokenError,
    VoucherClaims,
    decode_text,
    encode_text,
    key_id_for,
    parse_token,
    qr_payload,
    sign_token,
    verify_token,
)
from voucher.errors import ValidationFailed

SEED = bytes(range(32))
FOREIGN_SEED = bytes(range(100, 132))
HOST = "voucher.rsj.gz.gov.cn"
NOT_BEFORE = 1_767_225_600  # 2026-01-01 00:00 +08:00
EXPIRES = 1_798_761_600  # 2027-01-01 00:00 +08:00

PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(SEED)
PUBLIC_KEY = PRIVATE_KEY.public_key()
KEY_ID = key_id_for(PUBLIC_KEY)
FOREIGN_KEY = Ed25519PrivateKey.from_private_bytes(FOREIGN_SEED)


def resolve(key_id: bytes) -> Ed25519PublicKey | None:
    """Key registry holding only the issuing key."""
    return PUBLIC_KEY if key_id == KEY_ID else None


def make_claims(**changes: object) -> VoucherClaims:
    """Plausible claims for the issuing key, with some fields replaced."""
    fields: dict[str, object] = {
        "key_id": KEY_ID,
        "voucher_id": bytes.fromhex("00112233445566778899aabbccddeeff"),
        "holder_ref": bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f"),
        "amount_fen": 150_000,
        "programme": 4_021,
        "unit": 0,
        "not_before": NOT_BEFORE,
        "expires": EXPIRES,
    }
    fields.update(changes)
    return VoucherClaims(**fields)  # type: ignore[arg-type]


CLAIMS = make_claims()
RAW = sign_token(CLAIMS, PRIVATE_KEY)
TEXT = encode_text(RAW)


def refusal(token: str | bytes, **kwargs: object) -> TokenError:
    """Verify a token that must be refused and return the error."""
    with pytest.raises(TokenError) as caught:
        verify_token(token, resolve, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- layout -----------------------------------------------------------------------------------


def test_sizes_are_59_byte_body_64_byte_signature_and_197_text_characters() -> None:
    assert (BODY_SIZE, SIGNATURE_SIZE, TOKEN_SIZE, TEXT_SIZE) == (59, 64, 123, 197)
    assert len(RAW) == TOKEN_SIZE
    assert len(TEXT) == TEXT_SIZE


def test_key_id_is_the_first_8_bytes_of_sha256_of_the_raw_public_key() -> None:
    assert hashlib.sha256(PUBLIC_KEY.public_bytes_raw()).digest()[:8] == KEY_ID


def test_body_is_big_endian_in_the_documented_field_order() -> None:
    expected = (
        b"\x01"
        + KEY_ID
        + CLAIMS.voucher_id
        + CLAIMS.holder_ref
        + struct.pack(">I", 150_000)
        + struct.pack(">H", 4_021)
        + struct.pack(">I", 0)
        + struct.pack(">I", NOT_BEFORE)
        + struct.pack(">I", EXPIRES)
    )
    assert RAW[:BODY_SIZE] == expected


def test_signature_covers_the_domain_separator_and_the_body() -> None:
    PUBLIC_KEY.verify(RAW[BODY_SIZE:], DOMAIN + RAW[:BODY_SIZE])


def test_signing_is_deterministic() -> None:
    assert sign_token(CLAIMS, PRIVATE_KEY) == RAW


def test_text_form_is_upper_case_base32_without_padding() -> None:
    assert re.fullmatch(r"[A-Z2-7]{197}", TEXT)
    assert base64.b32decode(TEXT + "===") == RAW


def test_qr_payload_is_an_upper_case_https_url_with_the_text_form() -> None:
    assert qr_payload(RAW, HOST) == f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}"


def test_qr_payload_uses_only_qr_alphanumeric_characters() -> None:
    alphanumeric = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(qr_payload(RAW, HOST + ":8443")) <= alphanumeric


@pytest.mark.parametrize("host", ["", "bad host", "host/path", "host?x", "-host", "主机.cn"])
def test_qr_payload_refuses_a_host_that_is_not_a_plain_host_name(host: str) -> None:
    with pytest.raises(ValueError):
        qr_payload(RAW, host)


def test_encode_text_refuses_bytes_that_are_not_a_whole_token() -> None:
    with pytest.raises(ValueError):
        encode_text(RAW[:-1])


# --- round trips ------------------------------------------------------------------------------


def test_a_signed_token_round_trips_through_its_text_form_to_the_same_claims() -> None:
    assert verify_token(TEXT, resolve) == CLAIMS


def test_a_signed_token_verifies_from_its_raw_bytes() -> None:
    assert verify_token(RAW, resolve) == CLAIMS
    assert verify_token(bytearray(RAW), resolve) == CLAIMS


def test_a_signed_token_verifies_from_its_qr_payload() -> None:
    assert verify_token(qr_payload(RAW, HOST), resolve) == CLAIMS


def test_parse_token_returns_claims_body_and_signature_without_verifying() -> None:
    claims, body, signature = parse_token(RAW)
    assert claims == CLAIMS
    assert body == RAW[:BODY_SIZE]
    assert signature == RAW[BODY_SIZE:]


claims_strategy = st.builds(
    VoucherClaims,
    key_id=st.just(KEY_ID),
    voucher_id=st.binary(min_size=16, max_size=16),
    holder_ref=st.binary(min_size=16, max_size=16),
    amount_fen=st.integers(1, 2**32 - 1),
    programme=st.integers(0, 2**16 - 1),
    unit=st.integers(0, 2**32 - 1),
    not_before=st.integers(0, 2**31),
    expires=st.integers(2**31 + 1, 2**32 - 1),
)


@given(claims=claims_strategy)
@settings(max_examples=200)
def test_any_valid_claims_round_trip_through_sign_text_and_verify(claims: VoucherClaims) -> None:
    raw = sign_token(claims, PRIVATE_KEY)
    assert decode_text(encode_text(raw)) == raw
    assert verify_token(encode_text(raw), resolve) == claims


# --- accepted text variants -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"https://voucher.rsj.gz.gov.cn/v/{TEXT.lower()}",
        f"HtTpS://Voucher.Rsj.Gz.Gov.Cn/v/{TEXT[:100].lower()}{TEXT[100:]}",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}/",
        f"http://localhost:5000/V/{TEXT}",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}\r\n",
        f"{TEXT}\r\n",
        f"  {TEXT}\t",
        TEXT.lower(),
        TEXT.swapcase(),
    ],
    ids=[
        "lower-case-url",
        "mixed-case-url",
        "trailing-slash",
        "http-with-port",
        "scanner-url-crlf",
        "scanner-bare-crlf",
        "surrounding-whitespace",
        "lower-case-bare",
        "caps-lock-bare",
    ],
)
def test_the_url_and_bare_forms_are_accepted_in_any_case_and_with_scanner_line_ends(
    text: str,
) -> None:
    assert decode_text(text) == RAW
    assert verify_token(text, resolve) == CLAIMS


def test_full_width_characters_from_a_chinese_input_method_are_folded_to_ascii() -> None:
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in TEXT)
    assert decode_text(full_width) == RAW


# --- refusals: text -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\r\n"])
def test_empty_input_is_refused_as_empty(text: str) -> None:
    assert refusal(text).code == "token_empty"


@pytest.mark.parametrize(
    "text",
    [
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/X/{TEXT}",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/{TEXT}",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/API/V/{TEXT}",
        f"FTP://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}?X=1",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}#TOP",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}//",
        f"HTTPS://USER@VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}",
        f"VOUCHER:{TEXT}",
        f"//VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT}",
    ],
)
def test_a_wrong_prefix_or_url_shape_is_refused(text: str) -> None:
    assert refusal(text).code == "token_bad_prefix"


@pytest.mark.parametrize(
    "text",
    [
        TEXT[:100] + " " + TEXT[100:],
        TEXT[:100] + "1" + TEXT[101:],
        TEXT[:100] + "8" + TEXT[101:],
        TEXT + "=",
        TEXT[:-1] + "é",
        f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT[:-1]}0",
    ],
    ids=["space-inside", "digit-1", "digit-8", "padding", "accented", "url-with-digit-0"],
)
def test_characters_outside_base32_are_refused(text: str) -> None:
    assert refusal(text).code == "token_not_base32"


def test_a_last_character_with_its_unused_bit_set_is_refused_as_non_canonical() -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    odd = alphabet[alphabet.index(TEXT[-1]) ^ 1]
    assert base64.b32decode(TEXT[:-1] + odd + "===") == RAW  # the lax decoder would take it
    assert refusal(TEXT[:-1] + odd).code == "token_not_base32"


def test_a_text_one_character_short_is_refused_as_truncated() -> None:
    assert refusal(TEXT[:-1]).code == "token_truncated"
    assert refusal(f"HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/{TEXT[:-1]}").code == "token_truncated"


def test_a_text_with_one_extra_character_is_refused_as_trailing_data() -> None:
    assert refusal(TEXT + "A").code == "token_trailing_data"


# --- refusals: raw bytes ------------------------------------------------------------------------


def test_a_raw_token_one_byte_short_is_refused_as_truncated() -> None:
    assert refusal(RAW[:-1]).code == "token_truncated"
    with pytest.raises(TokenError, match="不完整"):
        parse_token(RAW[:-1])


def test_a_raw_token_with_one_trailing_byte_is_refused_as_trailing_data() -> None:
    assert refusal(RAW + b"\x00").code == "token_trailing_data"
    with pytest.raises(TokenError) as caught:
        parse_token(RAW + b"\x00")
    assert caught.value.code == "token_trailing_data"


def test_empty_raw_bytes_are_refused_as_empty() -> None:
    assert refusal(b"").code == "token_empty"


@pytest.mark.parametrize("version", [0, 2, 255])
def test_an_unknown_version_is_refused_before_any_key_lookup(version: int) -> None:
    raw = bytes([version]) + RAW[1:]

    def must_not_be_called(key_id: bytes) -> Ed25519PublicKey | None:
        raise AssertionError("key looked up for an unknown version")

    with pytest.raises(TokenError) as caught:
        verify_token(raw, must_not_be_called)
    assert caught.value.code == "token_bad_version"
    with pytest.raises(TokenError):
        parse_token(raw)


def expected_flip_code(position: int) -> str:
    """The defect a corrupted byte at this position is reported as."""
    if position == 0:
        return "token_bad_version"
    if 1 <= position <= 8:
        return "token_unknown_key"
    return "token_bad_signature"


@pytest.mark.parametrize("position", range(TOKEN_SIZE))
def test_every_single_bit_flip_of_body_or_signature_is_refused(position: int) -> None:
    for bit in range(8):
        tampered = bytearray(RAW)
        tampered[position] ^= 1 << bit
        assert refusal(bytes(tampered)).code == expected_flip_code(position)
        assert refusal(encode_text(bytes(tampered))).code == expected_flip_code(position)


@given(position=st.integers(0, TOKEN_SIZE - 1), mask=st.integers(1, 255))
@settings(max_examples=500)
def test_any_single_byte_change_is_refused(position: int, mask: int) -> None:
    tampered = bytearray(RAW)
    tampered[position] ^= mask
    assert refusal(bytes(tampered)).code == expected_flip_code(position)


@given(
    position=st.integers(0, TEXT_SIZE - 1),
    char=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
)
@settings(max_examples=300)
def test_any_single_character_change_of_the_text_is_refused(position: int, char: str) -> None:
    assume(TEXT[position] != char)
    tampered = TEXT[:position] + char + TEXT[position + 1 :]
    refusal(tampered)


# --- refusals: keys and signatures --------------------------------------------------------------


def test_a_token_signed_by_a_foreign_key_under_a_forged_key_id_is_refused() -> None:
    forged = sign_token(CLAIMS, FOREIGN_KEY)  # CLAIMS carries the genuine key_id
    assert forged[:BODY_SIZE] == RAW[:BODY_SIZE]
    assert refusal(forged).code == "token_bad_signature"
    assert refusal(encode_text(forged)).code == "token_bad_signature"


def test_a_token_signed_by_a_foreign_key_under_its_own_key_id_is_refused_as_unknown() -> None:
    foreign = make_claims(key_id=key_id_for(FOREIGN_KEY.public_key()))
    assert refusal(sign_token(foreign, FOREIGN_KEY)).code == "token_unknown_key"


def test_a_revoked_key_is_refused_as_unknown() -> None:
    revoked: set[bytes] = {KEY_ID}

    def registry(key_id: bytes) -> Ed25519PublicKey | None:
        return None if key_id in revoked else resolve(key_id)

    with pytest.raises(TokenError) as caught:
        verify_token(TEXT, registry)
    assert caught.value.code == "token_unknown_key"


def test_a_key_record_filed_under_the_wrong_id_is_not_trusted() -> None:
    foreign = make_claims(key_id=key_id_for(FOREIGN_KEY.public_key()))
    raw = sign_token(foreign, FOREIGN_KEY)
    with pytest.raises(TokenError) as caught:
        verify_token(raw, lambda key_id: FOREIGN_KEY.public_key() if key_id == KEY_ID else None)
    assert caught.value.code == "token_unknown_key"
    with pytest.raises(TokenError) as caught:
        verify_token(raw, lambda key_id: PUBLIC_KEY)
    assert caught.value.code == "token_unknown_key"


def test_a_signature_made_without_the_domain_separator_is_refused() -> None:
    body = RAW[:BODY_SIZE]
    assert refusal(body + PRIVATE_KEY.sign(body)).code == "token_bad_signature"


def test_a_resolver_returning_something_other_than_an_ed25519_key_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        verify_token(TEXT, lambda key_id: "not a key")  # type: ignore[arg-type,return-value]


def test_verify_token_refuses_input_that_is_neither_text_nor_bytes() -> None:
    with pytest.raises(TypeError):
        verify_token(12345, resolve)  # type: ignore[arg-type]


# --- validity window ----------------------------------------------------------------------------


def test_time_is_not_checked_unless_asked() -> None:
    assert verify_token(TEXT, resolve, now=EXPIRES + 1) == CLAIMS


def test_a_token_before_not_before_is_refused_as_not_yet_valid() -> None:
    assert refusal(TEXT, now=NOT_BEFORE - 1, check_time=True).code == "token_not_yet_valid"


def test_a_token_is_valid_from_not_before_until_just_before_expires() -> None:
    assert verify_token(TEXT, resolve, now=NOT_BEFORE, check_time=True) == CLAIMS
    assert verify_token(TEXT, resolve, now=EXPIRES - 1, check_time=True) == CLAIMS


def test_a_token_at_or_after_expires_is_refused_as_expired() -> None:
    assert refusal(TEXT, now=EXPIRES, check_time=True).code == "token_expired"
    assert refusal(TEXT, now=EXPIRES + 86_400, check_time=True).code == "token_expired"


def test_the_clock_is_used_when_now_is_not_given() -> None:
    expired = sign_token(make_claims(not_before=1, expires=2), PRIVATE_KEY)
    assert refusal(expired, check_time=True).code == "token_expired"
    future = sign_token(make_claims(not_before=2**32 - 2, expires=2**32 - 1), PRIVATE_KEY)
    assert refusal(future, check_time=True).code == "token_not_yet_valid"


# --- claims -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 2),
        ("key_id", KEY_ID[:7]),
        ("voucher_id", bytes(15)),
        ("holder_ref", bytes(17)),
        ("voucher_id", "00112233445566778899aabbccddeeff"),
        ("amount_fen", 0),
        ("amount_fen", 2**32),
        ("amount_fen", 1.5),
        ("amount_fen", True),
        ("programme", -1),
        ("programme", 2**16),
        ("unit", 2**32),
        ("not_before", -1),
        ("expires", 2**32),
        ("expires", NOT_BEFORE),
    ],
)
def test_claims_outside_their_ranges_are_refused_naming_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(ClaimsError) as caught:
        make_claims(**{field: value})
    assert isinstance(caught.value, ValidationFailed)
    assert field in caught.value.errors


def test_claims_are_frozen() -> None:
    with pytest.raises(AttributeError):
        CLAIMS.amount_fen = 1  # type: ignore[misc]


def test_parse_token_reports_out_of_range_content_as_a_token_error() -> None:
    bad_window = RAW[: BODY_SIZE - 4] + struct.pack(">I", NOT_BEFORE) + RAW[BODY_SIZE:]
    with pytest.raises(TokenError) as caught:
        parse_token(bad_window)
    assert caught.value.code == "token_malformed"
    assert refusal(bad_window).code == "token_bad_signature"


# --- messages -----------------------------------------------------------------------------------


def test_every_defect_has_its_own_code_and_a_chinese_message() -> None:
    errors = [
        refusal(""),
        refusal(f"FTP://X/V/{TEXT}"),
        refusal(TEXT[:-1] + "1"),
        refusal(TEXT[:-1]),
        refusal(TEXT + "A"),
        refusal(b"\x02" + RAW[1:]),
        refusal(sign_token(make_claims(key_id=bytes(8)), PRIVATE_KEY)),
        refusal(sign_token(CLAIMS, FOREIGN_KEY)),
        refusal(TEXT, now=0, check_time=True),
        refusal(TEXT, now=2**32, check_time=True),
    ]
    codes = [error.code for error in errors]
    assert len(set(codes)) == len(codes)
    for error in errors:
        assert isinstance(error, ValidationFailed)
        assert error.status == 422
        assert re.search(r"[\u4e00-\u9fff]", str(error))
