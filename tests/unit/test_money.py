"""Money is integer fen: parsing what people type and formatting for display."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.core.money import MAX_FEN, MAX_YUAN, MoneyError, format_yuan, parse_yuan, yuan
from voucher.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("800", 80_000),
        ("800.5", 80_050),
        ("800.50", 80_050),
        ("0.01", 1),
        ("0", 0),
        ("¥800", 80_000),
        ("￥800", 80_000),
        ("800元", 80_000),
        ("¥800.00元", 80_000),
        ("1,200.00", 120_000),
        ("1,234,567.89", 123_456_789),
        ("  800  ", 80_000),
        ("¥ 800 元", 80_000),
        ("RMB 800", 80_000),
        ("８００．５", 80_050),
        ("1，200", 120_000),
        ("100,000,000", MAX_FEN),
    ],
)
def test_common_spellings_of_an_amount_are_read_as_fen(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


def test_an_int_is_taken_as_whole_yuan() -> None:
    assert parse_yuan(800) == 80_000
    assert parse_yuan(0) == 0


def test_the_error_is_a_validation_failure_with_the_money_code() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_yuan("abc")
    assert isinstance(caught.value, MoneyError)
    assert caught.value.code == "money_invalid"
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请输入金额"),
        ("   ", "请输入金额"),
        ("-800", "金额不能为负数"),
        ("-¥800", "金额不能为负数"),
        ("¥-800", "金额不能为负数"),
        ("－800", "金额不能为负数"),
        ("800.123", "金额“800.123”有3位小数，最多只能精确到分（两位小数）"),
        ("abc", "金额“abc”不是有效的数字"),
        ("8OO", "金额“8OO”不是有效的数字"),
        ("1.2.3", "金额“1.2.3”不是有效的数字"),
        ("1e3", "金额“1e3”不是有效的数字"),
        ("NaN", "金额“NaN”不是有效的数字"),
        ("800.", "金额“800.”不是有效的数字"),
        ("8 00", "金额“8 00”不是有效的数字"),
        ("¥", "金额“¥”中没有数字"),
        ("1,20", "金额“1,20”的千位分隔符位置不正确，应每三位一组"),
        ("12,00.50", "金额“12,00.50”的千位分隔符位置不正确，应每三位一组"),
        ("100000000.01", "金额不能超过 100,000,000 元"),
        ("9" * 5000, "金额不能超过 100,000,000 元"),
    ],
)
def test_each_defect_has_its_own_chinese_message(text: str, message: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan(text)
    assert str(caught.value) == message
    assert caught.value.code == "money_invalid"


def test_a_long_input_is_cut_short_in_the_message() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_yuan("x" * 1000)
    assert len(str(caught.value)) < 60


def test_non_ascii_digits_other_than_full_width_are_refused() -> None:
    with pytest.raises(MoneyError):
        parse_yuan("٨٠٠")


def test_negative_and_oversized_ints_are_refused() -> None:
    with pytest.raises(MoneyError, match="负数"):
        parse_yuan(-1)
    with pytest.raises(MoneyError, match="不能超过"):
        parse_yuan(MAX_YUAN + 1)
    assert parse_yuan(MAX_YUAN) == MAX_FEN


@pytest.mark.parametrize("value", [800.0, True, None, b"800"])
def test_floats_bools_and_other_types_are_a_programming_error(value: object) -> None:
    with pytest.raises(TypeError):
        parse_yuan(value)  # type: ignore[arg-type]


def test_format_shows_two_decimals() -> None:
    assert format_yuan(80_000) == "800.00"
    assert format_yuan(80_050) == "800.50"
    assert format_yuan(5) == "0.05"
    assert format_yuan(0) == "0.00"


def test_format_adds_thousands_separators_only_when_asked() -> None:
    assert format_yuan(123_456_789) == "1234567.89"
    assert format_yuan(123_456_789, thousands=True) == "1,234,567.89"


def test_format_shows_a_negative_difference_with_a_minus_sign() -> None:
    assert format_yuan(-5) == "-0.05"
    assert format_yuan(-120_000, thousands=True) == "-1,200.00"


def test_format_refuses_floats() -> None:
    with pytest.raises(TypeError):
        format_yuan(800.0)  # type: ignore[arg-type]


def test_yuan_converts_whole_yuan_to_fen() -> None:
    assert yuan(800) == 80_000
    assert yuan(0) == 0
    with pytest.raises(TypeError):
        yuan(1.5)  # type: ignore[arg-type]


@given(fen=st.integers(min_value=0, max_value=MAX_FEN), thousands=st.booleans())
def test_formatting_then_parsing_gives_back_the_same_fen(fen: int, thousands: bool) -> None:
    assert parse_yuan(format_yuan(fen, thousands=thousands)) == fen


@given(fen=st.integers(min_value=0, max_value=MAX_FEN))
def test_currency_marks_do_not_change_the_amount(fen: int) -> None:
    text = format_yuan(fen, thousands=True)
    assert parse_yuan(f"￥{text}元") == parse_yuan(text) == fen


@given(
    whole=st.integers(min_value=0, max_value=MAX_YUAN - 1),
    frac=st.text(alphabet="0123456789", min_size=3, max_size=6),
)
def test_more_than_two_decimals_is_always_refused(whole: int, frac: str) -> None:
    with pytest.raises(MoneyError, match="位小数"):
        parse_yuan(f"{whole}.{frac}")


@given(st.text(max_size=30))
def test_any_text_either_parses_to_fen_in_range_or_raises_money_error(text: str) -> None:
    try:
        fen = parse_yuan(text)
    except MoneyError:
        return
    assert 0 <= fen <= MAX_FEN
