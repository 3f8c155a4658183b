"""National ID numbers: structure, region, birth date, check digit, and ages."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voucher.core.idcard import (
    IdNumber,
    IdNumberError,
    age_on,
    is_valid_id_number,
    normalize_id_number,
    parse_id_number,
)
from voucher.errors import ValidationFailed

TODAY = date(2025, 6, 15)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"


def check_digit(first17: str) -> str:
    """GB 11643 MOD 11-2, written out independently of the code under test."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(region: str = "440106", birth: str = "19900101", sequence: str = "123") -> str:
    """A synthetic, well-formed ID number with a correct check digit."""
    first17 = region + birth + sequence
    return first17 + check_digit(first17)


def with_check_char(number: str, char: str) -> str:
    """The number with its 18th character replaced."""
    return number[:17] + char


def wrong_check_digit(number: str) -> str:
    """Any check character other than the right one."""
    return next(c for c in "0123456789X" if c != number[17])


def error_of(text: str, today: date = TODAY) -> IdNumberError:
    """The IdNumberError that parsing ``text`` raises."""
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(text, today=today)
    return caught.value


def test_the_helper_agrees_with_the_published_example() -> None:
    assert make_id("110105", "19491231", "002") == "11010519491231002X"  # GB 11643-1999


def test_a_valid_mainland_number_is_split_into_its_parts() -> None:
    number = make_id("440106", "19900307", "123")
    parsed = parse_id_number(number, today=TODAY)
    assert parsed == IdNumber(
        number=number,
        kind="mainland",
        region_code="440106",
        birth_date=date(1990, 3, 7),
        sex="M",
    )
    assert not parsed.is_residence_permit


def test_an_even_sequence_digit_means_female() -> None:
    assert parse_id_number(make_id(sequence="124"), today=TODAY).sex == "F"
    assert parse_id_number(make_id(sequence="120"), today=TODAY).sex == "F"
    assert parse_id_number(make_id(sequence="129"), today=TODAY).sex == "M"


def test_spaces_are_removed_and_a_trailing_lower_case_x_is_upper_cased() -> None:
    number = next(
        make_id("110101", "19850101", f"{seq:03d}")
        for seq in range(1000)
        if make_id("110101", "19850101", f"{seq:03d}").endswith("X")
    )
    spaced = f" {number[:6]} {number[6:14]} {number[14:-1]}x "
    parsed = parse_id_number(spaced, today=TODAY)
    assert parsed.number == number
    assert parsed.number.endswith("X")


def test_full_width_digits_are_folded_to_ascii() -> None:
    number = make_id()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert parse_id_number(full_width, today=TODAY).number == number
    assert normalize_id_number(full_width) == number


@pytest.mark.parametrize(
    ("region", "kind"),
    [("810000", "hongkong"), ("820000", "macao"), ("830000", "taiwan")],
)
def test_residence_permits_for_hong_kong_macao_and_taiwan_are_accepted(
    region: str, kind: str
) -> None:
    parsed = parse_id_number(make_id(region, "19800101"), today=TODAY)
    assert parsed.kind == kind
    assert parsed.region_code == region
    assert parsed.is_residence_permit


@pytest.mark.parametrize("region", ["810001", "820100", "830001", "840000"])
def test_other_codes_in_the_residence_permit_ranges_are_refused(region: str) -> None:
    error = error_of(make_id(region))
    assert error.code == "id_number_region"
    assert str(error) == f"地区码 {region} 不存在"


def test_a_region_created_after_the_birth_year_is_still_accepted() -> None:
    # 天河区 (440106) dates from 1985; people born earlier got their numbers there later.
    assert parse_id_number(make_id("440106", "19700101"), today=TODAY).region_code == "440106"


def test_a_retired_region_code_is_still_accepted() -> None:
    # 崇文区 (110103) was merged in 2010; numbers issued there remain valid.
    assert is_valid_id_number(make_id("110103", "19800101"), today=TODAY)


def test_the_error_is_a_validation_failure() -> None:
    error = error_of("123")
    assert isinstance(error, ValidationFailed)
    assert error.status == 422


def test_an_empty_number_asks_for_one() -> None:
    error = error_of("  ")
    assert error.code == "id_number_empty"
    assert str(error) == "请输入身份证号码"


def test_a_short_number_names_the_expected_and_actual_length() -> None:
    error = error_of(make_id()[:17])
    assert error.code == "id_number_length"
    assert str(error) == "身份证号码应为18位，实际为17位"


def test_a_long_number_names_its_length() -> None:
    assert str(error_of(make_id() + "1")) == "身份证号码应为18位，实际为19位"


def test_a_letter_among_the_first_17_names_its_position_and_character() -> None:
    number = make_id()
    error = error_of(number[:4] + "A" + number[5:])
    assert error.code == "id_number_not_digit"
    assert str(error) == "第5位“A”不是数字"


def test_an_x_before_the_last_position_is_not_a_digit() -> None:
    number = make_id()
    assert str(error_of(number[:16] + "X" + number[17])) == "第17位“X”不是数字"


def test_a_last_character_other_than_a_digit_or_x_is_refused() -> None:
    error = error_of(with_check_char(make_id(), "Y"))
    assert error.code == "id_number_not_digit"
    assert str(error) == "第18位“Y”应为数字或X"


def test_an_unknown_region_code_is_named() -> None:
    error = error_of(make_id("999999"))
    assert error.code == "id_number_region"
    assert str(error) == "地区码 999999 不存在"


def test_a_code_under_a_known_province_that_does_not_exist_is_refused() -> None:
    assert str(error_of(make_id("449999"))) == "地区码 449999 不存在"


@pytest.mark.parametrize("birth", ["20230230", "19901301", "19900000", "20230229"])
def test_an_impossible_birth_date_is_named(birth: str) -> None:
    error = error_of(make_id(birth=birth))
    assert error.code == "id_number_birth_date"
    assert str(error) == f"出生日期 {birth} 不是有效日期"


def test_a_birth_on_29_february_of_a_leap_year_is_fine() -> None:
    assert parse_id_number(make_id(birth="20000229"), today=TODAY).birth_date == date(2000, 2, 29)


def test_a_birth_date_after_today_is_refused() -> None:
    error = error_of(make_id(birth="20250616"))
    assert error.code == "id_number_birth_future"
    assert str(error) == "出生日期 20250616 晚于今天"


def test_a_birth_today_is_accepted() -> None:
    assert parse_id_number(make_id(birth="20250615"), today=TODAY).birth_date == TODAY


def test_without_today_the_date_in_shanghai_is_used() -> None:
    assert is_valid_id_number(make_id(birth="19900101"))
    assert not is_valid_id_number(make_id(birth="29990101"))


def test_a_birth_before_1900_is_refused() -> None:
    error = error_of(make_id(birth="18991231"))
    assert error.code == "id_number_birth_too_early"
    assert str(error) == "出生日期 18991231 早于1900年1月1日"
    assert is_valid_id_number(make_id(birth="19000101"), today=TODAY)


def test_a_wrong_check_digit_names_the_expected_one() -> None:
    first17 = next(
        make_id(sequence=f"{seq:03d}")[:17]
        for seq in range(1000)
        if make_id(sequence=f"{seq:03d}").endswith("X")
    )
    error = error_of(first17 + "3")
    assert error.code == "id_number_check_digit"
    assert str(error) == "校验位应为 X，实际为 3"


def test_is_valid_answers_without_raising() -> None:
    assert is_valid_id_number(make_id(), today=TODAY)
    assert not is_valid_id_number("", today=TODAY)
    assert not is_valid_id_number(wrong_check_digit(make_id()), today=TODAY)


valid_regions = st.sampled_from(
    ["440106", "440103", "440112", "110101", "310115", "810000", "820000", "830000"]
)
valid_births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@given(region=valid_regions, birth=valid_births, sequence=sequences)
def test_any_number_with_a_valid_region_date_and_check_digit_parses(
    region: str, birth: date, sequence: str
) -> None:
    number = make_id(region, birth.strftime("%Y%m%d"), sequence)
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.number == number
    assert parsed.region_code == region
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if int(sequence[2]) % 2 else "F")


@given(
    region=valid_regions,
    birth=valid_births,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_a_single_changed_character_is_caught(
    region: str, birth: date, sequence: str, position: int, replacement: str
) -> None:
    number = make_id(region, birth.strftime("%Y%m%d"), sequence)
    changed = number[:position] + replacement + number[position + 1 :]
    if changed == number:
        return
    assert not is_valid_id_number(changed, today=TODAY)


@given(
    region=valid_regions,
    birth=valid_births,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=16),
)
def test_swapping_two_adjacent_different_digits_is_caught(
    region: str, birth: date, sequence: str, position: int
) -> None:
    number = make_id(region, birth.strftime("%Y%m%d"), sequence)
    a, b = number[position], number[position + 1]
    if a == b or "X" in (a, b):
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not is_valid_id_number(swapped, today=TODAY)


@given(st.text(max_size=25))
def test_any_text_either_parses_or_raises_an_id_number_error(text: str) -> None:
    try:
        parsed = parse_id_number(text, today=TODAY)
    except IdNumberError:
        return
    assert len(parsed.number) == 18


def test_age_counts_full_years() -> None:
    birth = date(1990, 6, 15)
    assert age_on(birth, date(2025, 6, 14)) == 34
    assert age_on(birth, date(2025, 6, 15)) == 35
    assert age_on(birth, birth) == 0


def test_someone_born_on_29_february_ages_on_1_march_in_a_non_leap_year() -> None:
    birth = date(2000, 2, 29)
    assert age_on(birth, date(2018, 2, 28)) == 17
    assert age_on(birth, date(2018, 3, 1)) == 18
    assert age_on(birth, date(2020, 2, 28)) == 19
    assert age_on(birth, date(2020, 2, 29)) == 20


def test_an_age_before_birth_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="precedes"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@given(birth=st.dates(), years=st.integers(min_value=0, max_value=120))
def test_age_grows_by_one_on_each_birthday(birth: date, years: int) -> None:
    try:
        anniversary = birth.replace(year=birth.year + years)
    except ValueError:  # 29 Feb in a non-leap year, or past year 9999
        return
    assert age_on(birth, anniversary) == years
