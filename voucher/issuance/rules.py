"""Issuance rules as pure functions on plain values (DESIGN.md §3): who may get a voucher when.

``check_eligibility`` returns EVERY failing rule (code + Chinese message), never just the first,
so a refusal tells the trainee or officer all that has to change at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from voucher.core.idcard import age_on
from voucher.policy import POLICY

# ---- vocabularies -----------------------------------------------------------------------------

#: Residence bases of notice §二 (one suffices), each recorded with its evidence.
RESIDENCE_BASES = {
    "hukou": _l("广州市户籍"),
    "social_insurance": _l("在广州市缴纳社会保险"),
    "unemployment": _l("在广州市办理失业登记"),
}

#: Target groups of notice §二 (包括但不限于).
TARGET_GROUPS = {
    "poverty": _l("脱贫人口及其子女"),
    "graduate": _l(
        "毕业年度高校毕业生（含技工院校高级工班、预备技师班、技师班和特殊教育院校职业教育类毕业生）"
    ),
    "unemployed": _l("登记失业人员"),
    "disabled": _l("残疾人"),
    "veteran": _l("退役军人"),
    "released": _l("刑满释放人员（释放后 24 个月内）"),
    "rehab": _l("强制隔离戒毒人员"),
    "migrant": _l("在穗就业的外省及港澳台劳动者"),
}

#: Short labels for tables and spreadsheet headers.
GROUP_SHORT = {
    "poverty": _l("脱贫人口"),
    "graduate": _l("毕业年度毕业生"),
    "unemployed": _l("登记失业"),
    "disabled": _l("残疾人"),
    "veteran": _l("退役军人"),
    "released": _l("刑满释放"),
    "rehab": _l("强制戒毒"),
    "migrant": _l("外省及港澳台在穗就业"),
}

#: Exclusions of notice §二.
EXCLUSIONS = {
    "establishment": _l("机关事业单位在编人员"),
    "student": _l("非毕业年度的全日制在校学生"),
    "pensioner": _l("已领取养老金人员"),
}


# ---- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupFact:
    """One target-group membership with its evidence."""

    group: str
    evidence_date: date | None = None
    graduation_year: int | None = None
    release_date: date | None = None


@dataclass(frozen=True, slots=True)
class HeldVoucher:
    """A voucher the person already holds or held (status issued/redeemed/expired/revoked)."""

    entry_id: int
    level: str | None
    status: str
    issued_on: date


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the rules need to know about a person (no name, no ID number)."""

    birth_date: date
    sex: str
    residence_basis: str | None = None
    residence_date: date | None = None
    groups: tuple[GroupFact, ...] = ()
    establishment_staff: bool = False
    full_time_student: bool = False
    pensioner: bool = False
    held: tuple[HeldVoucher, ...] = ()


@dataclass(frozen=True, slots=True)
class QuotaFacts:
    """What the rules need to know about the quota the voucher would come from."""

    entry_id: int
    groups: frozenset[str]
    level: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed rule."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome: eligible when no rule failed."""

    failures: tuple[Failure, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        """True when every rule passed."""
        return not self.failures

    @property
    def codes(self) -> list[str]:
        """The failed rules' codes, in rule order."""
        return [f.code for f in self.failures]

    def summary(self) -> str:
        """All reasons on one line (Chinese)."""
        return "；".join(f.message for f in self.failures)


# ---- helpers ----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for dd in (day.day, 30, 29, 28):
        try:
            return date(year, month, dd)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 always exists


def max_age_for(sex: str) -> int:
    """The oldest eligible age in full years: 60 for men, 55 for women."""
    return POLICY.max_age_male if sex == "M" else POLICY.max_age_female


def group_valid_on(fact: GroupFact, on_date: date) -> bool:
    """Whether this membership counts on ``on_date`` (evidence dated, within its window)."""
    if fact.group not in TARGET_GROUPS:
        return False
    if fact.evidence_date is not None and fact.evidence_date > on_date:
        return False
    if fact.group == "graduate":
        return fact.graduation_year == on_date.year
    if fact.group == "released":
        if fact.release_date is None or fact.release_date > on_date:
            return False
        return on_date < add_months(fact.release_date, POLICY.released_within_months)
    return True


def in_graduation_year(person: PersonFacts, on_date: date) -> bool:
    """Whether the person is a graduate in their graduation year on ``on_date``."""
    return any(g.group == "graduate" and g.graduation_year == on_date.year for g in person.groups)


# ---- the rules --------------------------------------------------------------------------------


def _age_failures(person: PersonFacts, on_date: date) -> Iterable[Failure]:
    age = age_on(person.birth_date, on_date) if on_date >= person.birth_date else -1
    if age < POLICY.min_age:
        yield Failure(
            "age_too_young",
            str(_l("未满 %(n)d 周岁（按发券日期计算）", n=POLICY.min_age)),
        )
    limit = max_age_for(person.sex)
    if age > limit:
        yield Failure(
            "age_too_old",
            str(
                _l(
                    "%(sex)s超过 %(n)d 周岁（按发券日期计算）",
                    sex=_l("男性") if person.sex == "M" else _l("女性"),
                    n=limit,
                )
            ),
        )


def _residence_failures(person: PersonFacts, on_date: date) -> Iterable[Failure]:
    if person.residence_basis not in RESIDENCE_BASES:
        yield Failure(
            "residence_missing",
            str(_l("未登记广州市户籍、在穗社保或在穗失业登记中的任何一项")),
        )
    elif person.residence_date is not None and person.residence_date > on_date:
        yield Failure("residence_not_yet", str(_l("户籍/社保/失业登记证明日期晚于发券日期")))


def _group_failures(person: PersonFacts, on_date: date, quota: QuotaFacts) -> Iterable[Failure]:
    wanted = quota.groups or frozenset(TARGET_GROUPS)
    if not any(g.group in wanted and group_valid_on(g, on_date) for g in person.groups):
        names = "、".join(str(GROUP_SHORT[g]) for g in sorted(wanted) if g in GROUP_SHORT)
        yield Failure(
            "not_in_target_group",
            str(_l("不属于该指标面向的重点群体（%(names)s），或其证明已失效", names=names)),
        )


def _exclusion_failures(person: PersonFacts, on_date: date) -> Iterable[Failure]:
    if person.establishment_staff:
        yield Failure("excluded_establishment", str(_l("机关事业单位在编人员不属于补贴对象")))
    if person.full_time_student and not in_graduation_year(person, on_date):
        yield Failure("excluded_student", str(_l("非毕业年度的全日制在校学生不属于补贴对象")))
    if person.pensioner:
        yield Failure("excluded_pensioner", str(_l("已领取养老金人员不属于补贴对象")))


COUNTED = ("issued", "redeemed")


def _held_failures(person: PersonFacts, on_date: date, quota: QuotaFacts) -> Iterable[Failure]:
    if any(h.entry_id == quota.entry_id and h.status == "issued" for h in person.held):
        yield Failure("voucher_already_held", str(_l("此人已持有该职业（工种）的有效培训券")))
    this_year = [h for h in person.held if h.status in COUNTED and h.issued_on.year == on_date.year]
    if len(this_year) >= POLICY.project_subsidies_per_year:
        yield Failure(
            "yearly_limit",
            str(
                _l(
                    "每人每个自然年度最多享受 %(n)d 次项目制培训补贴，%(y)d 年已领取",
                    n=POLICY.project_subsidies_per_year,
                    y=on_date.year,
                )
            ),
        )
    if any(
        h.entry_id == quota.entry_id and h.level == quota.level and h.status in COUNTED
        for h in person.held
    ):
        yield Failure(
            "same_occupation_level",
            str(_l("同一职业（工种）同一等级只能享受一次补贴")),
        )


def check_eligibility(person: PersonFacts, on_date: date, quota: QuotaFacts) -> Decision:
    """Every rule a voucher from ``quota`` to ``person`` on ``on_date`` breaks (none = eligible)."""
    failures = [
        *_age_failures(person, on_date),
        *_residence_failures(person, on_date),
        *_group_failures(person, on_date, quota),
        *_exclusion_failures(person, on_date),
        *_held_failures(person, on_date, quota),
    ]
    return Decision(tuple(failures))


# ---- quota rules ------------------------------------------------------------------------------


def quota_face_ceiling(catalogue_level_fen: int | None) -> int:
    """The highest face value: 800 yuan, or the catalogue standard of the targeted level."""
    return max(POLICY.project_standard_cap_fen, catalogue_level_fen or 0)


def check_quota_plan(planned: int, already_planned: int, headcount: int) -> Failure | None:
    """The sum of plans for one accepted occupation never exceeds its accepted headcount."""
    if planned <= 0:
        return Failure("planned_invalid", str(_l("计划发放数量必须大于 0")))
    if already_planned + planned > headcount:
        return Failure(
            "plan_over_headcount",
            str(
                _l(
                    "计划发放数量超过揭榜核定人数：核定 %(h)d 人，已安排 %(a)d 人，最多还可安排"
                    " %(r)d 人",
                    h=headcount,
                    a=already_planned,
                    r=max(0, headcount - already_planned),
                )
            ),
        )
    return None


def check_name(name: str) -> str | None:
    """A cleaned name, or None when it is not a plausible person's name."""
    cleaned = "".join(name.split()) if name else ""
    if not cleaned or len(cleaned) > 64:
        return None
    if any(ch.isdigit() for ch in cleaned):
        return None
    return cleaned


def check_phone(phone: str) -> str | None:
    """An 11-digit mainland mobile number starting with 1, or None."""
    cleaned = (phone or "").strip().replace(" ", "").replace("-", "")
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    if len(cleaned) == 11 and cleaned.isdigit() and cleaned.startswith("1"):
        return cleaned
    return None
