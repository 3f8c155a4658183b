"""Money as integer fen (分): parse what people type in yuan, format fen for display.

Amounts are never floats. Parsing goes through ``decimal.Decimal`` and refuses anything that
is not a whole number of fen; this module knows no policy limits beyond a sanity ceiling.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from voucher.errors import ValidationFailed

FEN_PER_YUAN = 100
MAX_YUAN = 100_000_000
"""Sanity ceiling: larger amounts are typing mistakes, not vouchers."""
MAX_FEN = MAX_YUAN * FEN_PER_YUAN

_CURRENCY_PREFIXES = ("¥", "RMB", "CNY")  # NFKC turns the full-width ￥ into ¥
_CURRENCY_SUFFIXES = ("元",)
_MINUS_SIGNS = ("-", "−", "－")  # hyphen-minus, minus sign, full-width minus
_NUMBER = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?")
_DIGITS_GROUPED_WRONGLY = re.compile(r"[0-9,]+(?:\.[0-9]+)?")


class MoneyError(ValidationFailed):
    """An amount of money that cannot be read as whole fen."""

    code = "money_invalid"


def parse_yuan(text: str | int) -> int:
    """Read an amount in yuan ("800", "¥1,200.50", "800元", or an int) and return it in fen."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise TypeError(f"parse_yuan expects str or int, not {type(text).__name__}")
    if isinstance(text, int):
        if text < 0:
            raise MoneyError(_l("金额不能为负数"))
        if text > MAX_YUAN:
            raise MoneyError(_l("金额不能超过 %(max)s 元", max=f"{MAX_YUAN:,}"))
        return text * FEN_PER_YUAN

    shown = _shown(text)
    body = unicodedata.normalize("NFKC", text).strip()
    if not body:
        raise MoneyError(_l("请输入金额"))
    body, negative = _strip_sign(body)  # "-¥800"
    upper = body.upper()
    for prefix in _CURRENCY_PREFIXES:
        if upper.startswith(prefix):
            body = body[len(prefix) :].lstrip()
            break
    body, negative_after = _strip_sign(body)  # "¥-800"
    for suffix in _CURRENCY_SUFFIXES:
        if body.endswith(suffix):
            body = body[: -len(suffix)].rstrip()
            break
    if not body:
        raise MoneyError(_l("金额“%(text)s”中没有数字", text=shown))
    match = _NUMBER.fullmatch(body)
    if match is None:
        if _DIGITS_GROUPED_WRONGLY.fullmatch(body):
            raise MoneyError(_l("金额“%(text)s”的千位分隔符位置不正确，应每三位一组", text=shown))
        raise MoneyError(_l("金额“%(text)s”不是有效的数字", text=shown))
    if negative or negative_after:
        raise MoneyError(_l("金额不能为负数"))
    frac = match["frac"] or ""
    if len(frac) > 2:
        raise MoneyError(
            _l("金额“%(text)s”有%(n)d位小数，最多只能精确到分（两位小数）", text=shown, n=len(frac))
        )
    amount = Decimal(match["whole"].replace(",", "") + "." + frac.ljust(2, "0"))
    if amount > MAX_YUAN:
        raise MoneyError(_l("金额不能超过 %(max)s 元", max=f"{MAX_YUAN:,}"))
    return int(amount * FEN_PER_YUAN)


def _strip_sign(body: str) -> tuple[str, bool]:
    """Remove one leading minus sign; report whether there was one."""
    if body.startswith(_MINUS_SIGNS):
        return body[1:].lstrip(), True
    return body, False


def _shown(text: str) -> str:
    """The user's input as quoted back in a message, cut short if long."""
    text = text.strip()
    return text if len(text) <= 24 else text[:24] + "…"


def format_yuan(fen: int, *, thousands: bool = False) -> str:
    """Show fen as yuan with two decimals: 80000 → "800.00" (or "1,200.00" with thousands)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"format_yuan expects int fen, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    whole_text = f"{whole:,}" if thousands else str(whole)
    return f"{sign}{whole_text}.{cents:02d}"


def yuan(n: int) -> int:
    """``n`` whole yuan in fen."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"yuan expects int, not {type(n).__name__}")
    return n * FEN_PER_YUAN
