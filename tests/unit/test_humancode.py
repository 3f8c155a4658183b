"""Short human voucher code: derivation, display, typing tolerance and typo detection."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from voucher.core.humancode import (
    CHECK_ALPHABET,
    DATA_ALPHABET,
    HumanCodeError,
    format_human_code,
    human_code,
    looks_like_human_code,
    normalize_human_code,
)
from voucher.errors import ValidationFailed


def voucher_id_for(value: int) -> bytes:
    """A voucher_id whose first 60 bits are ``value`` (and whose other bits are set)."""
    return ((value << 4) | 0xF).to_bytes(8, "big") + b"\xff" * 8


ALL_ONES = voucher_id_for(1 * sum(32**k for k in range(12)))  # every data character is "1"
SAMPLE_IDS = [
    bytes(16),
    b"\xff" * 16,
    bytes.fromhex("0123456789abcdef") + bytes(8),
    bytes.fromhex("00112233445566778899aabbccddeeff"),
    bytes.fromhex("deadbeefcafebabe0123456789abcdef"),
    ALL_ONES,
]
SAMPLE_CODES = [human_code(voucher_id) for voucher_id in SAMPLE_IDS]


def test_the_code_has_12_crockford_characters_and_one_check_character() -> None:
    for code in SAMPLE_CODES:
        assert len(code) == 13
        assert all(char in DATA_ALPHABET for char in code[:12])
        assert code[12] in CHECK_ALPHABET


@pytest.mark.parametrize(
    ("voucher_id", "code"),
    [
        (bytes(16), "0000000000000"),
        (b"\xff" * 16, "ZZZZZZZZZZZZ9"),  # (2**60 - 1) % 37 == 9
        (bytes.fromhex("0123456789abcdef") + bytes(8), "04HMASW9NF6Y2"),
    ],
)
def test_known_voucher_ids_give_the_hand_computed_codes(voucher_id: bytes, code: str) -> None:
    assert human_code(voucher_id) == code


def test_only_the_first_60_bits_of_the_voucher_id_count() -> None:
    base = bytes.fromhex("00112233445566778899aabbccddeeff")
    changed_tail = base[:7] + bytes([base[7] ^ 0x0F]) + bytes(8)
    assert human_code(changed_tail) == human_code(base)
    changed_bit_60 = base[:7] + bytes([base[7] ^ 0x10]) + base[8:]
    assert human_code(changed_bit_60) != human_code(base)


def test_a_voucher_id_that_is_not_16_bytes_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        human_code(bytes(8))


def test_the_display_form_groups_by_four_with_the_check_character_last() -> None:
    assert format_human_code("04HMASW9NF6Y2") == "04HM-ASW9-NF6Y-2"
    for code in SAMPLE_CODES:
        assert re.fullmatch(
            r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=]", format_human_code(code)
        )


@given(voucher_id=st.binary(min_size=16, max_size=16))
def test_the_display_form_normalizes_back_to_the_storage_form(voucher_id: bytes) -> None:
    code = human_code(voucher_id)
    assert normalize_human_code(format_human_code(code)) == code
    assert normalize_human_code(format_human_code(code).lower()) == code


@pytest.mark.parametrize(
    "typed",
    [
        "04hm-asw9-nf6y-2",
        "04HM ASW9 NF6Y 2",
        "  04hmasw9nf6y2\r\n",
        "04HM–ASW9—NF6Y-2",
        "０４ＨＭ－ＡＳＷ９－ＮＦ６Ｙ－２",
        "04HM\u3000ASW9\u3000NF6Y\u30002",
    ],
    ids=[
        "lower",
        "spaces",
        "scanner-line-end",
        "typographic-dashes",
        "full-width",
        "ideographic-space",
    ],
)
def test_case_spaces_and_dashes_are_ignored(typed: str) -> None:
    assert normalize_human_code(typed) == "04HMASW9NF6Y2"


def test_crockford_aliases_i_and_l_read_as_one_and_o_reads_as_zero() -> None:
    ones = human_code(ALL_ONES)
    assert ones[:12] == "1" * 12
    typed = "IlLi-1IlL-i1lI-" + ones[12]
    assert normalize_human_code(typed) == ones
    assert normalize_human_code("oOoO-0o0O-OOOO-o") == "0000000000000"


def test_a_lower_case_u_check_character_is_accepted() -> None:
    code = next(
        human_code(voucher_id_for(value))
        for value in range(1000)
        if human_code(voucher_id_for(value))[12] == "U"
    )
    assert normalize_human_code(code.lower()) == code


@pytest.mark.parametrize("typed", ["", "04HM-ASW9-NF6Y", "04HM-ASW9-NF6Y-2-2", "0"])
def test_a_code_of_the_wrong_length_is_refused(typed: str) -> None:
    with pytest.raises(HumanCodeError) as caught:
        normalize_human_code(typed)
    assert caught.value.code == "human_code_length"
    assert "13" in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "char", "position"),
    [
        ("04HM-ASW9-NF6#-2", "#", 12),
        ("U4HM-ASW9-NF6Y-2", "U", 1),
        ("04HM-*SW9-NF6Y-2", "*", 5),
        ("04HM-ASW9-NF6Y-?", "?", 13),
        ("04HM-ASW9-NF6Y-券", "券", 13),
    ],
)
def test_an_illegal_character_is_refused_naming_it(typed: str, char: str, position: int) -> None:
    with pytest.raises(HumanCodeError) as caught:
        normalize_human_code(typed)
    assert caught.value.code == "human_code_illegal_char"
    assert f"“{char}”" in str(caught.value)
    assert caught.value.errors == {"position": position, "char": char}


def test_a_wrong_check_character_is_refused_with_the_check_message() -> None:
    with pytest.raises(HumanCodeError) as caught:
        normalize_human_code("04HM-ASW9-NF6Y-3")
    assert caught.value.code == "human_code_check"
    assert str(caught.value) == "券码校验位不符，请核对是否输错"
    assert isinstance(caught.value, ValidationFailed)


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_single_character_substitution_is_detected(code: str) -> None:
    for position in range(13):
        for char in CHECK_ALPHABET:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(HumanCodeError):
                normalize_human_code(typo)


@pytest.mark.parametrize("code", SAMPLE_CODES)
def test_every_adjacent_transposition_is_detected(code: str) -> None:
    for position in range(12):
        first, second = code[position], code[position + 1]
        if first == second:
            continue
        typo = code[:position] + second + first + code[position + 2 :]
        with pytest.raises(HumanCodeError):
            normalize_human_code(typo)


@given(
    voucher_id=st.binary(min_size=16, max_size=16),
    position=st.integers(0, 11),
    char=st.sampled_from(DATA_ALPHABET),
)
def test_any_data_substitution_on_any_code_is_caught_by_the_check_character(
    voucher_id: bytes, position: int, char: str
) -> None:
    code = human_code(voucher_id)
    typo = code[:position] + char + code[position + 1 :]
    assume(typo != code)
    with pytest.raises(HumanCodeError) as caught:
        normalize_human_code(typo)
    assert caught.value.code == "human_code_check"


@pytest.mark.parametrize(
    "text", ["04HM-ASW9-NF6Y-2", "04hmasw9nf6y2", " 04HM ASW9 ", "04HM-#SW9-NF6Y-2"]
)
def test_short_typed_input_is_routed_to_the_human_code_check(text: str) -> None:
    assert looks_like_human_code(text)


@pytest.mark.parametrize(
    "text",
    ["", "  ", "A" * 197, "HTTPS://VOUCHER.RSJ.GZ.GOV.CN/V/AAAA", "https://x/v/04HMASW9NF6Y2"],
)
def test_tokens_urls_and_blank_input_do_not_look_like_a_human_code(text: str) -> None:
    assert not looks_like_human_code(text)
