"""Demo data: one person per role, two accepted units, a few trainees (all synthetic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from stdnum.cn import ric, uscc

from voucher.accounts.access import Actor
from voucher.accounts.models import User
from voucher.accounts.roles import Role
from voucher.accounts.services import create_user
from voucher.catalog.services import entry_by_code, set_standard
from voucher.db import db
from voucher.issuance.demo import load_issuance_demo
from voucher.issuance.services import find_person, register_person
from voucher.redemption.demo import load_redemption_demo
from voucher.settlement.demo import load_settlement_demo
from voucher.units.models import TrainingUnit
from voucher.units.services import accept_occupation, create_round, current_round, register_unit

DEMO_PASSWORD = "Demo-2026-gz"  # noqa: S105 — published demo login, printed by the run command


@dataclass(frozen=True)
class DemoLogin:
    """A demo account as printed for the person trying the system."""

    username: str
    role: str
    password: str = DEMO_PASSWORD


def synthetic_id_number(region: str, birth: date, sequence: int) -> str:
    """A well-formed, check-digit-correct ID number that belongs to nobody real."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def synthetic_credit_code(seed: int) -> str:
    """A well-formed unified social credit code for a demo unit."""
    body = f"91440106MA5{seed:06d}"
    return body + uscc.calc_check_digit(body + "0")


UNITS = [
    (
        "广州天河职业技能培训学校（演示）",
        1,
        "天河区",
        [("4-10-01-05", 100, 80000), ("4-03-02-01", 60, 80000)],
    ),
    ("广州市越秀南粤家政服务培训中心（演示）", 2, "越秀区", [("4-10-01-06", 80, 60000)]),
]
DEMO_ROUND = "2027年“揭榜领题”职业技能培训项目（第一批）"
DEMO_ROUND_YEAR = 2027
TRAINEES = [
    ("陈小明", date(1998, 5, 12), 11, "13800000001"),
    ("李晓红", date(2001, 9, 3), 22, "13800000002"),
    ("王建国", date(1975, 1, 20), 33, "13800000003"),
    ("张丽", date(1990, 12, 31), 44, "13800000004"),
]


def load_demo() -> list[DemoLogin]:
    """Create the demo accounts, units and trainees; safe to run again."""
    system = Actor.system("demo")
    logins: list[DemoLogin] = []

    def user(username: str, name: str, role: Role, **binding: object) -> None:
        if db.session.execute(select(User.id).where(User.username == username)).first() is None:
            create_user(
                system,
                username=username,
                display_name=name,
                password=DEMO_PASSWORD,
                role=role,
                **binding,  # type: ignore[arg-type]
            )
        logins.append(DemoLogin(username, str(name)))

    for code, level, yuan in [
        ("4-10-01-05", "5", 1500),
        ("4-10-01-05", "4", 2000),
        ("4-03-02-01", "5", 1200),
    ]:
        set_standard(system, entry_by_code(code).id, level, yuan * 100)

    user("city", "市人社局 周科长", Role.CITY)
    user("tianhe", "天河区人社局 林主任", Role.DISTRICT, district="440106")
    for name, seed, district, occupations in UNITS:
        credit = synthetic_credit_code(seed)
        unit = db.session.execute(
            select(TrainingUnit).where(TrainingUnit.credit_code == credit)
        ).scalar_one_or_none()
        if unit is None:
            unit = register_unit(system, name=name, credit_code=credit, district=district)
            for code, headcount, standard in occupations:
                accept_occupation(
                    system,
                    unit.id,
                    entry_by_code(code).id,
                    headcount=headcount,
                    standard_fen=standard,
                )
        user(f"unit{seed}", f"{name} 操作员", Role.UNIT, unit_id=unit.id)
    user("finance", "市人社局 财务 何会计", Role.FINANCE)

    if current_round() is None:
        create_round(system, name=DEMO_ROUND, year=DEMO_ROUND_YEAR)

    for number, (name, birth, seq, phone) in enumerate(TRAINEES, start=1):
        id_number = synthetic_id_number("440106", birth, seq * 10 + number % 2)
        if find_person(id_number) is None:
            register_person(system, id_number=id_number, name=name, phone=phone)
    load_issuance_demo()
    load_redemption_demo()
    load_settlement_demo()
    return logins
