"""Pure rules of the wallet: one-time codes and how a voucher's state reads to its holder."""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from voucher.errors import ValidationFailed

__all__ = [
    "CODE_DIGITS",
    "CODE_TTL",
    "MAX_ATTEMPTS",
    "RESEND_AFTER",
    "VoucherView",
    "code_digest",
    "code_matches",
    "holder_status",
    "new_code",
    "normalise_code",
    "normalise_phone",
]

CODE_DIGITS = 6
#: A code expires this long after it was sent.
CODE_TTL = timedelta(minutes=5)
#: Wrong tries allowed on one code; then a new code is needed.
MAX_ATTEMPTS = 5
#: A new request within this interval re-uses the code already sent (no second SMS).
RESEND_AFTER = timedelta(seconds=60)

STATUS_LABELS = {
    "usable": _l("可使用"),
    "not_yet": _l("未到生效日期"),
    "redeemed": _l("已使用"),
    "expired": _l("已过期"),
    "revoked": _l("已作废"),
}


def new_code() -> str:
    """A fresh random 6-digit code (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(key: bytes, row_salt: bytes, code: str) -> bytes:
    """The stored form of a code: HMAC-SHA256 under a server key, salted per row."""
    return hmac.new(key, row_salt + b":" + code.encode("ascii"), "sha256").digest()


def code_matches(key: bytes, row_salt: bytes, code: str, stored: bytes) -> bool:
    """Constant-time comparison of a typed code with the stored digest."""
    return hmac.compare_digest(code_digest(key, row_salt, code), stored)


def normalise_code(text: str) -> str:
    """Digits of a typed code (full-width digits and spaces allowed); refuse anything else."""
    compact = "".join(unicodedata.normalize("NFKC", text or "").split())
    if len(compact) != CODE_DIGITS or not compact.isascii() or not compact.isdigit():
        raise ValidationFailed(_l("验证码应为 6 位数字"), code="code_format")
    return compact


def normalise_phone(text: str) -> str:
    """An 11-digit mainland mobile number (spaces, dashes and a +86 prefix are dropped)."""
    compact = "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch not in " -")
    if compact.startswith("+86"):
        compact = compact[3:]
    if not (len(compact) == 11 and compact.isascii() and compact.isdigit() and compact[0] == "1"):
        raise ValidationFailed(_l("手机号码应为 11 位数字"), code="phone_invalid")
    return compact


@dataclass(frozen=True)
class VoucherView:
    """How a voucher reads to its holder right now."""

    key: str
    label: str
    shows_code: bool


def holder_status(
    status: str, not_before: datetime, expires_at: datetime, now: datetime
) -> VoucherView:
    """The holder's view of a voucher: usable, not yet valid, used, expired or revoked.

    The QR code is shown only while the voucher can be (or will soon be) used.
    """
    if status == "issued":
        if now >= expires_at:
            key = "expired"
        elif now < not_before:
            key = "not_yet"
        else:
            key = "usable"
    elif status in STATUS_LABELS:
        key = status
    else:
        key = "revoked"
    return VoucherView(
        key=key, label=str(STATUS_LABELS[key]), shows_code=key in {"usable", "not_yet"}
    )
