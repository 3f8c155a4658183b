"""Short human voucher code: 12 Crockford Base32 characters plus one mod-37 check character.

The 12 characters encode the first 60 bits of the voucher_id; the check character is that 60-bit
number modulo 37 in Crockford's check alphabet. Because 37 is prime and larger than 32, every
single-character substitution and every adjacent transposition changes the check value.
Storage form: 13 characters, no dashes. Display form: ``XXXX-XXXX-XXXX-C``.
"""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from voucher.errors import ValidationFailed

__all__ = [
    "CHECK_ALPHABET",
    "CODE_LENGTH",
    "DATA_ALPHABET",
    "HumanCodeError",
    "format_human_code",
    "human_code",
    "looks_like_human_code",
    "normalize_human_code",
]

DATA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = DATA_ALPHABET + "*~$=U"
DATA_LENGTH = 12
CODE_LENGTH = DATA_LENGTH + 1
_DATA_BITS = 5 * DATA_LENGTH
_MODULUS = len(CHECK_ALPHABET)

_DATA_VALUE = {char: index for index, char in enumerate(DATA_ALPHABET)}
_CHECK_VALUE = {char: index for index, char in enumerate(CHECK_ALPHABET)}
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Separators people type or copy between groups (after NFKC, full-width forms are already ASCII).
_SEPARATORS = str.maketrans("", "", " -_.\t\u2010\u2011\u2012\u2013\u2014\u2212\u00b7")
# Anything this short is a typed code attempt, never a token (197+ characters) or a URL.
_LOOKS_LIKE_MAX = 20


class HumanCodeError(ValidationFailed):
    """A typed human voucher code that is malformed; ``code`` names the defect."""

    code = "human_code_invalid"


def _check_char(value: int) -> str:
    """Return Crockford's mod-37 check character of a non-negative integer."""
    return CHECK_ALPHABET[value % _MODULUS]


def human_code(voucher_id: bytes) -> str:
    """Return the 13-character storage form derived from the first 60 bits of a voucher_id."""
    if len(voucher_id) != 16:
        raise ValueError(f"voucher_id has 16 bytes, got {len(voucher_id)}")
    value = int.from_bytes(voucher_id[:8], "big") >> (64 - _DATA_BITS)
    chars = [DATA_ALPHABET[(value >> shift) & 0x1F] for shift in range(_DATA_BITS - 5, -1, -5)]
    return "".join(chars) + _check_char(value)


def _compact(text: str) -> str:
    """Fold width and case, drop separators and map Crockford aliases I/L→1, O→0."""
    folded = unicodedata.normalize("NFKC", text).strip().upper()
    return folded.translate(_SEPARATORS).translate(_ALIASES)


def normalize_human_code(text: str) -> str:
    """Return the storage form of a typed code (any case, spaces, dashes) after checking it."""
    compact = _compact(text)
    if len(compact) != CODE_LENGTH:
        raise HumanCodeError(
            _l(
                "券码应为 %(expected)d 位（不计横线），您输入了 %(count)d 位",
                expected=CODE_LENGTH,
                count=len(compact),
            ),
            code="human_code_length",
        )
    value = 0
    for position, char in enumerate(compact[:DATA_LENGTH], start=1):
        digit = _DATA_VALUE.get(char)
        if digit is None:
            raise _illegal(position, char)
        value = (value << 5) | digit
    check = compact[DATA_LENGTH]
    if check not in _CHECK_VALUE:
        raise _illegal(CODE_LENGTH, check)
    if check != _check_char(value):
        raise HumanCodeError(_l("券码校验位不符，请核对是否输错"), code="human_code_check")
    return compact


def _illegal(position: int, char: str) -> HumanCodeError:
    """Error naming the illegal character and its position."""
    return HumanCodeError(
        _l("券码第 %(position)d 位的字符“%(char)s”无效", position=position, char=char),
        code="human_code_illegal_char",
        errors={"position": position, "char": char},
    )


def format_human_code(code: str) -> str:
    """Return the display form ``XXXX-XXXX-XXXX-C`` of a (possibly loosely typed) code."""
    compact = normalize_human_code(code)
    return f"{compact[0:4]}-{compact[4:8]}-{compact[8:12]}-{compact[12]}"


def looks_like_human_code(text: str) -> bool:
    """Tell whether input is a short typed code attempt rather than a token or URL (no checking)."""
    if "://" in text:
        return False
    compact = _compact(text)
    return 0 < len(compact) <= _LOOKS_LIKE_MAX
