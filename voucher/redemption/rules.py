"""Redemption rules (pure): class filing, roster lock, redeem window, identity check, voids."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from voucher.core.workdays import WorkCalendar
from voucher.errors import RuleViolation, ValidationFailed
from voucher.redemption.models import ClassMode

NAME_MAX = 120
SITE_MAX = 200
PLATFORM_MAX = 200
TEXT_MAX = 4000
MAX_HOURS = 10_000
REASON_MAX = 500


def offset_for(face_value_fen: int, fee_fen: int) -> int:
    """The voucher offsets min(face value, fee); the trainee pays the rest."""
    return min(face_value_fen, fee_fen)


def check_scope(
    *,
    voucher_unit_id: int | None,
    unit_id: int,
    unit_can_redeem: bool,
    occupation_accepted: bool,
) -> None:
    """A unit redeems only while accepted, for its accepted occupations, and only the
    定向 vouchers bound to it."""
    if not unit_can_redeem:
        raise RuleViolation(
            _l("本机构不在揭榜单位名单内，不能核销培训券"), code="unit_not_accepted"
        )
    if voucher_unit_id is not None and voucher_unit_id != unit_id:
        raise RuleViolation(_l("这张培训券只能在指定的培训机构使用"), code="voucher_other_unit")
    if not occupation_accepted:
        raise RuleViolation(
            _l("本机构未承接这张培训券对应的职业（工种）"), code="occupation_not_accepted"
        )


def check_fee(fee_fen: int) -> None:
    """A class fee is a positive amount."""
    if fee_fen <= 0:
        raise RuleViolation(_l("培训费用必须大于 0"), code="fee_invalid")


@dataclass(frozen=True)
class ClassDetails:
    """What a unit files for a class (开班备案), as plain values."""

    name: str
    start_date: date
    end_date: date
    hours: int
    plan: str
    teachers: str
    fee_fen: int
    site: str
    mode: str = ClassMode.OFFLINE
    platform: str = ""
    courses: str = ""
    online_hours: int | None = None


def _required(value: str, limit: int, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, code=f"{field}_required", errors={field: message})
    if len(value) > limit:
        message = _l("内容过长（不超过 %(limit)d 个字符）", limit=limit)
        raise ValidationFailed(message, code=f"{field}_too_long", errors={field: message})
    return value


def clean_class(details: ClassDetails) -> ClassDetails:
    """Check and tidy a filing: required fields, date order, hours, fee, online parts."""
    name = _required(details.name, NAME_MAX, "name", _l("请填写班级名称"))
    plan = _required(details.plan, TEXT_MAX, "plan", _l("请填写培训计划"))
    teachers = _required(details.teachers, TEXT_MAX, "teachers", _l("请填写授课教师"))
    site = _required(details.site, SITE_MAX, "site", _l("请填写培训地点"))
    if details.end_date < details.start_date:
        raise ValidationFailed(_l("结束日期不能早于开班日期"), code="dates_reversed")
    if not 0 < details.hours <= MAX_HOURS:
        raise ValidationFailed(_l("培训课时应为 1 到 10000 之间的整数"), code="hours_invalid")
    if details.fee_fen <= 0:
        raise ValidationFailed(_l("每人培训费用必须大于 0"), code="fee_invalid")
    if details.mode not in ClassMode.ALL:
        raise ValidationFailed(_l("培训方式应为线下、线上或线上线下结合"), code="mode_invalid")
    platform, courses, online_hours = "", "", None
    if details.mode != ClassMode.OFFLINE:
        platform = _required(details.platform, PLATFORM_MAX, "platform", _l("线上培训请填写平台"))
        courses = _required(details.courses, TEXT_MAX, "courses", _l("线上培训请填写课程"))
        online_hours = details.online_hours
        if online_hours is None or not 0 < online_hours <= details.hours:
            raise ValidationFailed(
                _l("线上课时应大于 0 且不超过总课时"), code="online_hours_invalid"
            )
        if details.mode == ClassMode.MIXED and online_hours >= details.hours:
            raise ValidationFailed(
                _l("线上线下结合的班级，线上课时应少于总课时"), code="online_hours_invalid"
            )
    return ClassDetails(
        name=name,
        start_date=details.start_date,
        end_date=details.end_date,
        hours=details.hours,
        plan=plan,
        teachers=teachers,
        fee_fen=details.fee_fen,
        site=site,
        mode=details.mode,
        platform=platform,
        courses=courses,
        online_hours=online_hours,
    )


def earliest_start(calendar: WorkCalendar, filed_on: date, workdays: int) -> date:
    """The first start date a class filed on ``filed_on`` may have (N working days later)."""
    return calendar.add_workdays(filed_on, workdays)


def check_filed_in_time(
    calendar: WorkCalendar, *, filed_on: date, start_date: date, workdays: int
) -> None:
    """附件4 第8项②: file at least ``workdays`` working days before the class starts.

    A start date in a year whose official holidays are not entered is refused
    (``calendar_unknown``) rather than guessed.
    """
    calendar.is_workday(start_date)  # raises CalendarOutOfRange for unknown years
    if start_date <= filed_on:
        raise RuleViolation(
            _l("开班日期应晚于备案日期，且至少提前 %(n)d 个工作日备案", n=workdays),
            code="class_filed_late",
        )
    first = earliest_start(calendar, filed_on, workdays)
    if start_date < first:
        raise RuleViolation(
            _l(
                "开班须至少提前 %(n)d 个工作日备案：%(filed)s 备案的班级最早 %(first)s 开班",
                n=workdays,
                filed=filed_on.isoformat(),
                first=first.isoformat(),
            ),
            code="class_filed_late",
            errors={"earliest_start": first.isoformat()},
        )


def roster_locked(start_date: date, today: date) -> bool:
    """The roster locks when the class starts."""
    return today >= start_date


def check_class_open(start_date: date, end_date: date, today: date, late_days: int) -> None:
    """A voucher joins a class until ``late_days`` after its start (and never after its end)."""
    last = min(start_date + timedelta(days=late_days), end_date)
    if today > last:
        raise RuleViolation(
            _l(
                "该班级已于 %(start)s 开班，超过 %(n)d 天，不能再核销培训券",
                start=start_date.isoformat(),
                n=late_days,
            ),
            code="class_started_too_long",
        )


def unit_may_void(start_date: date, today: date, window_days: int) -> bool:
    """The unit voids on its own before the class starts (plus the policy window)."""
    return today < start_date + timedelta(days=window_days)


def clean_reason(reason: str) -> str:
    """A void or change reason: required, at most 500 characters."""
    return _required(reason, REASON_MAX, "reason", _l("请填写原因"))


def normalize_id_tail(text: str) -> str:
    """The typed last characters of an ID card: full width folded, upper case, no spaces."""
    return unicodedata.normalize("NFKC", text or "").strip().upper().replace(" ", "")


def check_id_tail_format(text: str) -> str:
    """Four characters: digits, the last may be X."""
    tail = normalize_id_tail(text)
    if len(tail) != 4 or not (tail[:3].isdigit() and (tail[3].isdigit() or tail[3] == "X")):
        raise ValidationFailed(
            _l("请输入身份证号码的后 4 位（数字，最后一位可能是 X）"),
            code="id_tail_invalid",
            errors={"id_last4": "format"},
        )
    return tail


def id_tail_matches(id_number: str, typed: str) -> bool:
    """Whether the typed tail equals the ID number's last 4 characters."""
    import hmac

    return hmac.compare_digest(id_number[-4:].upper().encode(), typed.encode())


def check_not_locked(locked_until: datetime | None, now: datetime) -> None:
    """A voucher locked by repeated wrong ID characters refuses until the lock ends."""
    if locked_until is not None and locked_until > now:
        raise RuleViolation(
            _l("身份核验错误次数过多，这张培训券已暂时锁定，请稍后再试或联系区人社局"),
            code="id_check_locked",
            errors={"locked_until": locked_until.isoformat()},
        )


def masked_id_for_check(id_masked: str) -> str:
    """The ID shown at the desk hides its last 4 characters: the operator reads them from the
    card, so typing them proves the card is in front of them."""
    return id_masked[:4] + "*" * (len(id_masked) - 4)
