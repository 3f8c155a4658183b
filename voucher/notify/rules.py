"""Pure rules of the outbox: message texts, when a reminder is due, what a failed send leads to.

Texts are Simplified Chinese, carry the masked name and the short voucher code, never an ID
number or a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from voucher.core.clock import to_business_time
from voucher.core.humancode import format_human_code
from voucher.core.money import format_yuan
from voucher.core.pii import mask_name

__all__ = [
    "KIND_ISSUED",
    "KIND_REMINDER",
    "MAX_ATTEMPTS",
    "NoticeFacts",
    "after_failure",
    "issued_text",
    "last_valid_day",
    "reminder_due",
    "reminder_text",
]

KIND_ISSUED = "voucher_issued"
KIND_REMINDER = "voucher_expiring"
KINDS = (KIND_ISSUED, KIND_REMINDER)

STATUS_PENDING = "pending"
STATUS_SENDING = "sending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"
#: The voucher was used, revoked or lapsed before its notice went out: nothing to say any more.
STATUS_SKIPPED = "skipped"
STATUSES = (STATUS_PENDING, STATUS_SENDING, STATUS_SENT, STATUS_FAILED, STATUS_SKIPPED)

#: A message that failed this many times is marked failed and left for an officer.
MAX_ATTEMPTS = 3
SIGNATURE = "【广州职业培训券】"


@dataclass(frozen=True)
class NoticeFacts:
    """What a voucher notice says."""

    name: str
    occupation: str
    amount_fen: int
    human_code: str
    expires_at: datetime
    wallet_url: str


def last_valid_day(expires_at: datetime) -> date:
    """The last business day on which a voucher expiring at ``expires_at`` can be used."""
    local = to_business_time(expires_at)
    day = local.date()
    return day - timedelta(days=1) if local.time() == time.min else day


def issued_text(facts: NoticeFacts) -> str:
    """The issuance notice."""
    return (
        f"{SIGNATURE}{mask_name(facts.name)}您好，您已获发职业培训券一张："
        f"{facts.occupation}，面值{format_yuan(facts.amount_fen)}元，"
        f"有效期至{last_valid_day(facts.expires_at):%Y年%m月%d日}，券码{format_human_code(facts.human_code)}。"
        f"请凭身份证号和手机号登录 {facts.wallet_url} 查看，到揭榜培训机构报名时出示。"
    )


def reminder_text(facts: NoticeFacts) -> str:
    """The expiry reminder."""
    return (
        f"{SIGNATURE}{mask_name(facts.name)}您好，您的职业培训券（{facts.occupation}，"
        f"面值{format_yuan(facts.amount_fen)}元，券码{format_human_code(facts.human_code)}）"
        f"将于{last_valid_day(facts.expires_at):%Y年%m月%d日}后失效，请尽快到揭榜培训机构报名使用。"
        f"查看：{facts.wallet_url}"
    )


def reminder_due(
    expires_at: datetime, now: datetime, days: int, *, issued_at: datetime | None = None
) -> bool:
    """True when the voucher is still valid and expires within ``days`` days from ``now``.

    A voucher valid for ``days`` days or less gets no reminder: its issuance notice already
    told the holder how soon it expires.
    """
    window = timedelta(days=days)
    if issued_at is not None and expires_at - issued_at <= window:
        return False
    return now < expires_at <= now + window


def still_worth_sending(kind: str, voucher_status: str | None, expired: bool) -> bool:
    """A voucher notice goes out only while its voucher can still be used."""
    if kind not in KINDS or voucher_status is None:
        return True
    return voucher_status == "issued" and not expired


def after_failure(attempts: int, max_attempts: int = MAX_ATTEMPTS) -> str:
    """The status of a message after a failed attempt (``attempts`` counts this one)."""
    return STATUS_FAILED if attempts >= max_attempts else STATUS_PENDING
