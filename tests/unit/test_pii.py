"""Personal data: field encryption, lookup hashes and masks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.core.pii import (
    FORMAT_VERSION,
    NONCE_LENGTH,
    PiiCipher,
    PiiDecryptionError,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
)

MASTER = bytes(range(32))
OTHER_MASTER = bytes(range(1, 33))
ID_NUMBER = "440106199001011234"  # synthetic; the check digit does not matter for masking


@pytest.fixture(scope="module")
def cipher() -> PiiCipher:
    return PiiCipher.from_secret(MASTER)


def test_a_value_survives_encryption_and_decryption(cipher: PiiCipher) -> None:
    blob = cipher.encrypt("张三 440106199001011234")
    assert cipher.decrypt(blob) == "张三 440106199001011234"


def test_the_blob_is_version_byte_then_nonce_then_ciphertext_with_tag(cipher: PiiCipher) -> None:
    blob = cipher.encrypt("abc")
    assert blob[0] == FORMAT_VERSION == 1
    assert len(blob) == 1 + NONCE_LENGTH + len(b"abc") + 16


def test_the_plaintext_does_not_appear_in_the_blob(cipher: PiiCipher) -> None:
    assert ID_NUMBER.encode() not in cipher.encrypt(ID_NUMBER)


def test_encrypting_twice_gives_different_blobs(cipher: PiiCipher) -> None:
    first, second = cipher.encrypt(ID_NUMBER), cipher.encrypt(ID_NUMBER)
    assert first != second
    assert first[1 : 1 + NONCE_LENGTH] != second[1 : 1 + NONCE_LENGTH]


def test_the_same_master_secret_derives_the_same_keys() -> None:
    blob = PiiCipher.from_secret(MASTER).encrypt("x")
    assert PiiCipher.from_secret(MASTER).decrypt(blob) == "x"


def test_a_wrong_key_is_refused(cipher: PiiCipher) -> None:
    blob = cipher.encrypt("x")
    with pytest.raises(PiiDecryptionError, match="authentication"):
        PiiCipher.from_secret(OTHER_MASTER).decrypt(blob)


def test_a_blob_bound_to_other_associated_data_is_refused(cipher: PiiCipher) -> None:
    blob = cipher.encrypt("x", aad=b"trainee:1:id_number")
    assert cipher.decrypt(blob, aad=b"trainee:1:id_number") == "x"
    with pytest.raises(PiiDecryptionError):
        cipher.decrypt(blob, aad=b"trainee:2:id_number")
    with pytest.raises(PiiDecryptionError):
        cipher.decrypt(blob)


def test_an_unknown_format_version_is_named(cipher: PiiCipher) -> None:
    blob = bytes([2]) + cipher.encrypt("x")[1:]
    with pytest.raises(PiiDecryptionError, match="version 2"):
        cipher.decrypt(blob)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + bytes(20)])
def test_empty_or_truncated_blobs_are_refused(cipher: PiiCipher, blob: bytes) -> None:
    with pytest.raises(PiiDecryptionError):
        cipher.decrypt(blob)


@given(plaintext=st.text(), aad=st.binary(max_size=40))
def test_any_text_round_trips(plaintext: str, aad: bytes) -> None:
    cipher = PiiCipher.from_secret(MASTER)
    assert cipher.decrypt(cipher.encrypt(plaintext, aad=aad), aad=aad) == plaintext


@given(plaintext=st.text(max_size=40), data=st.data())
def test_flipping_any_bit_of_the_blob_is_detected(plaintext: str, data: st.DataObject) -> None:
    cipher = PiiCipher.from_secret(MASTER)
    blob = bytearray(cipher.encrypt(plaintext))
    index = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=7))
    blob[index] ^= 1 << bit
    with pytest.raises(PiiDecryptionError):
        cipher.decrypt(bytes(blob))


def test_keys_must_be_32_bytes_and_distinct() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        PiiCipher(bytes(16), bytes(32))
    with pytest.raises(ValueError, match="differ"):
        PiiCipher(bytes(32), bytes(32))
    assert PiiCipher(bytes(32), b"\x01" * 32).lookup_hash("a")


def test_a_short_master_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        PiiCipher.from_secret(b"too short")


def test_the_repr_hides_the_keys(cipher: PiiCipher) -> None:
    assert repr(cipher) == "PiiCipher(<keys hidden>)"


def test_the_lookup_hash_is_32_bytes_and_stable(cipher: PiiCipher) -> None:
    digest = cipher.lookup_hash(ID_NUMBER)
    assert len(digest) == 32
    assert PiiCipher.from_secret(MASTER).lookup_hash(ID_NUMBER) == digest


def test_lower_and_upper_case_x_check_digits_hash_alike(cipher: PiiCipher) -> None:
    assert cipher.lookup_hash("11010519491231002x") == cipher.lookup_hash("11010519491231002X")


def test_surrounding_whitespace_and_full_width_forms_do_not_change_the_hash(
    cipher: PiiCipher,
) -> None:
    assert cipher.lookup_hash(f"  {ID_NUMBER}\n") == cipher.lookup_hash(ID_NUMBER)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ID_NUMBER)
    assert cipher.lookup_hash(full_width) == cipher.lookup_hash(ID_NUMBER)


def test_different_values_and_different_keys_hash_differently(cipher: PiiCipher) -> None:
    assert cipher.lookup_hash("440106199001011234") != cipher.lookup_hash("440106199001011235")
    other = PiiCipher.from_secret(OTHER_MASTER)
    assert other.lookup_hash(ID_NUMBER) != cipher.lookup_hash(ID_NUMBER)


def test_an_id_number_keeps_its_first_and_last_four() -> None:
    assert mask_id_number("440106199001011234") == "4401**********1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"


def test_a_15_digit_number_keeps_its_length() -> None:
    assert mask_id_number("440106900101123") == "4401*******1123"


@pytest.mark.parametrize("short", ["", "1", "12345678", "44010619900101"])
def test_a_short_id_number_is_masked_wholly(short: str) -> None:
    assert mask_id_number(short) == "*" * len(short)


@given(st.text(min_size=0, max_size=30))
def test_an_id_mask_never_leaks_the_middle_and_keeps_the_length(number: str) -> None:
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert set(masked[4:-4]) <= {"*"}
    if len(number) < 15:
        assert set(masked) <= {"*"}


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧**娜"),
        ("李小明", "李*明"),
        ("王", "*"),
        ("", ""),
        (" 张三 ", "张*"),
        ("买买提·艾力", "买****力"),
    ],
)
def test_names_keep_only_the_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@given(st.text(min_size=3, max_size=12).map(str.strip).filter(lambda s: len(s) >= 3))
def test_a_name_mask_never_leaks_the_middle(name: str) -> None:
    masked = mask_name(name)
    assert masked[0] == name[0]
    assert masked[-1] == name[-1]
    assert set(masked[1:-1]) == {"*"}


def test_a_mobile_number_keeps_its_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("short", ["", "110", "87654321"])
def test_a_short_phone_number_is_masked_wholly(short: str) -> None:
    assert mask_phone(short) == "*" * len(short)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_a_phone_mask_never_leaks_the_middle(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]


def test_free_text_has_id_numbers_and_mobiles_masked() -> None:
    text = "学员身份证440106199001011234，手机13812345678，已核验"
    assert mask_text(text) == "学员身份证4401**********1234，手机138****5678，已核验"


def test_an_id_number_ending_in_x_of_either_case_is_masked() -> None:
    assert mask_text("id=11010519491231002x&") == "id=1101**********002x&"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("+86 138-1234-5678", "+86 138-****-5678"),
        ("8613812345678", "86138****5678"),
        ("tel: 138 1234 5678.", "tel: 138 **** 5678."),
        ('{"phone":"15912345678"}', '{"phone":"159****5678"}'),
    ],
)
def test_mobiles_with_country_code_or_separators_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "订单号 12345678901234567890",  # 20-digit run: not an ID number
        "金额 12812345678",  # 12x is not a mobile prefix
        "voucher 1381234567",  # 10 digits
        "没有个人信息",
    ],
)
def test_other_digit_runs_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


id_numbers = st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True)
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
filler = st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=10)


@given(
    before=filler,
    id_number=id_numbers,
    middle=filler.filter(bool),
    mobile=mobiles,
    after=filler,
)
def test_a_text_mask_never_leaks_the_middle_of_an_id_or_mobile(
    before: str, id_number: str, middle: str, mobile: str, after: str
) -> None:
    text = before + id_number + middle + mobile + after
    masked = mask_text(text)
    assert len(masked) == len(text)
    id_at = len(before)
    mobile_at = id_at + len(id_number) + len(middle)
    assert masked[id_at + 4 : id_at + 14] == "*" * 10
    assert masked[mobile_at + 3 : mobile_at + 7] == "****"
    assert masked[:id_at] == before
    assert masked[mobile_at + len(mobile) :] == after
