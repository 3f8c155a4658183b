"""National ID numbers (居民身份证号码, GB 11643) and Hong Kong/Macao/Taiwan residence permits.

An 18-character number is: a 6-digit address code, the birth date as YYYYMMDD, a 3-digit
sequence number (odd for men, even for women) and a MOD 11-2 check character (0-9 or X).
Mainland address codes are checked against python-stdnum's table of administrative divisions;
residence permits for Hong Kong, Macao and Taiwan residents use 810000, 820000 and 830000.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from stdnum import numdb
from stdnum.cn import ric

from voucher.core.clock import business_today
from voucher.errors import ValidationFailed

ID_NUMBER_LENGTH = 18
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
RESIDENCE_PERMIT_REGIONS: dict[str, str] = {
    "810000": "hongkong",
    "820000": "macao",
    "830000": "taiwan",
}
KINDS = ("mainland", "hongkong", "macao", "taiwan")
_DIGITS = frozenset("0123456789")


class IdNumberError(ValidationFailed):
    """An ID number that is malformed; ``code`` names the defect."""

    code = "id_number_invalid"


@dataclass(frozen=True)
class IdNumber:
    """A checked 18-character ID number and what it encodes."""

    number: str
    kind: str
    region_code: str
    birth_date: date
    sex: str

    @property
    def is_residence_permit(self) -> bool:
        """Whether this is a Hong Kong, Macao or Taiwan residents' residence permit number."""
        return self.kind != "mainland"


def normalize_id_number(text: str) -> str:
    """Canonical spelling: full-width characters folded, whitespace removed, x upper-cased."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def parse_id_number(text: str, *, today: date | None = None) -> IdNumber:
    """Check an ID number and return its parts; raise IdNumberError naming the first defect."""
    number = normalize_id_number(text)
    if not number:
        raise IdNumberError(_l("请输入身份证号码"), code="id_number_empty")
    if len(number) != ID_NUMBER_LENGTH:
        raise IdNumberError(
            _l("身份证号码应为18位，实际为%(n)d位", n=len(number)), code="id_number_length"
        )
    for position, char in enumerate(number[:-1], start=1):
        if char not in _DIGITS:
            raise IdNumberError(
                _l("第%(position)d位“%(char)s”不是数字", position=position, char=char),
                code="id_number_not_digit",
            )
    if number[-1] not in _DIGITS and number[-1] != "X":
        raise IdNumberError(
            _l("第18位“%(char)s”应为数字或X", char=number[-1]), code="id_number_not_digit"
        )

    region_code = number[:6]
    kind = RESIDENCE_PERMIT_REGIONS.get(region_code, "mainland")
    if kind == "mainland" and not _is_mainland_region(region_code):
        raise IdNumberError(_l("地区码 %(code)s 不存在", code=region_code), code="id_number_region")

    birth_text = number[6:14]
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        raise IdNumberError(
            _l("出生日期 %(date)s 不是有效日期", date=birth_text), code="id_number_birth_date"
        ) from None
    if birth > (today or business_today()):
        raise IdNumberError(
            _l("出生日期 %(date)s 晚于今天", date=birth_text),
            code="id_number_birth_future",
        )
    if birth < EARLIEST_BIRTH_DATE:
        raise IdNumberError(
            _l("出生日期 %(date)s 早于1900年1月1日", date=birth_text),
            code="id_number_birth_too_early",
        )

    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        raise IdNumberError(
            _l("校验位应为 %(expected)s，实际为 %(actual)s", expected=expected, actual=number[-1]),
            code="id_number_check_digit",
        )

    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumber(number=number, kind=kind, region_code=region_code, birth_date=birth, sex=sex)


def is_valid_id_number(text: str, *, today: date | None = None) -> bool:
    """Whether ``text`` parses as an ID number."""
    try:
        parse_id_number(text, today=today)
    except IdNumberError:
        return False
    return True


def age_on(birth: date, on: date) -> int:
    """Age in full years on ``on``; someone born 29 Feb ages on 1 Mar in non-leap years."""
    if on < birth:
        raise ValueError(f"{on.isoformat()} precedes the birth date {birth.isoformat()}")
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@cache
def _is_mainland_region(code: str) -> bool:
    """Whether stdnum's table of divisions has ever listed ``code`` (any period of validity).

    stdnum.cn.ric.get_birth_place also requires the code to have existed in the birth year,
    but the code records where the number was first issued, often years after birth (天河区,
    440106, dates from 1985 and is carried by people born long before), so that test would
    refuse real people.
    """
    if code in RESIDENCE_PERMIT_REGIONS:
        return False
    parts = numdb.get("cn/loc").info(code)
    return any("county" in props for _part, props in parts)
