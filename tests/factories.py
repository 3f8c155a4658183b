"""Builders for test data through the real services (so audit rows and rules apply)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from voucher.accounts.access import Actor
from voucher.accounts.models import User
from voucher.accounts.services import actor_for
from voucher.catalog.services import entry_by_code
from voucher.db import db
from voucher.demo import DEMO_PASSWORD, load_demo, synthetic_credit_code, synthetic_id_number
from voucher.issuance.keys import ensure_active_key
from voucher.issuance.models import Person
from voucher.units.models import TrainingUnit

__all__ = [
    "DEMO_PASSWORD",
    "DemoWorld",
    "know_the_coming_weeks",
    "login",
    "synthetic_credit_code",
    "synthetic_id_number",
]


def know_the_coming_weeks(days: int = 30) -> None:
    """Make the working-day calendar know every date of the next ``days`` days.

    The installed chinesecalendar covers the years the State Council had published when it
    was released; once the filing window reaches a later year (from late December), filing a
    class would be refused until the city officer enters that year. Tests must not depend on
    the date they run, so such a year is entered here as the officer would: 元旦 as a day off,
    then declared complete (test data, not the official schedule).
    """
    from datetime import timedelta

    from voucher.core.clock import business_today
    from voucher.workcal.services import declare_year, set_day, work_calendar

    system = Actor.system("test")
    today = business_today()
    for year in sorted({today.year, (today + timedelta(days=days)).year}):
        if not work_calendar().is_known_year(year):
            set_day(system, date(year, 1, 1), False, "元旦（测试数据）")
            declare_year(system, year, "测试数据，非国务院公布的安排")


@dataclass
class DemoWorld:
    """Handles to the demo objects, looked up by their demo names."""

    users: dict[str, User]
    units: list[TrainingUnit]
    people: list[Person]

    @classmethod
    def build(cls) -> DemoWorld:
        """Load the demo data set and a signing key."""
        know_the_coming_weeks()
        load_demo()
        ensure_active_key(Actor.system("test"))
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        units = list(db.session.execute(select(TrainingUnit).order_by(TrainingUnit.id)).scalars())
        people = list(db.session.execute(select(Person).order_by(Person.id)).scalars())
        return cls(users=users, units=units, people=people)

    def actor(self, username: str) -> Actor:
        """The actor of a demo account."""
        return actor_for(self.users[username])

    def entry_id(self, code: str) -> int:
        """A catalogue entry's id by code."""
        return entry_by_code(code).id

    @property
    def care(self) -> int:
        """养老护理员, accepted at unit 1 (standard 800 yuan)."""
        return self.entry_id("4-10-01-05")

    @property
    def housekeeping(self) -> int:
        """家政服务员, accepted at unit 2 (standard 600 yuan)."""
        return self.entry_id("4-10-01-06")

    def issue(
        self,
        person: int = 0,
        *,
        entry: int | None = None,
        unit: int | None = None,
        amount_fen: int = 80_000,
        valid_from: date | None = None,
    ) -> Any:
        """Issue a voucher to a demo trainee through the issuance service."""
        from voucher.core.clock import business_today
        from voucher.issuance.services import issue_voucher

        return issue_voucher(
            self.actor("city"),
            person_id=self.people[person].id,
            entry_id=entry or self.care,
            amount_fen=amount_fen,
            unit_id=unit,
            valid_from=valid_from or business_today(),
        )

    def file_class(
        self,
        unit: str = "unit1",
        entry: int | None = None,
        start: date | None = None,
        fee_fen: int = 120_000,
        *,
        end: date | None = None,
        hours: int = 80,
        mode: str = "offline",
        name: str = "",
    ) -> Any:
        """File a class for one of the unit's accepted occupations (entry: catalogue id; the
        unit's first one by default). Without ``start`` it starts as early as the filing rule
        allows from today; an earlier ``start`` is filed on the working day it needed."""
        from datetime import timedelta

        from voucher.core.clock import business_today, frozen_today
        from voucher.policy import POLICY
        from voucher.redemption.classes import file_class
        from voucher.redemption.rules import ClassDetails
        from voucher.units.models import AcceptedOccupation
        from voucher.workcal.services import work_calendar

        actor = self.actor(unit)
        stmt = select(AcceptedOccupation).where(AcceptedOccupation.unit_id == actor.unit_id)
        if entry is not None:
            stmt = stmt.where(AcceptedOccupation.entry_id == entry)
        occupation = db.session.execute(stmt.order_by(AcceptedOccupation.id)).scalars().first()
        assert occupation is not None, f"{unit} is not accepted for entry {entry}"
        calendar = work_calendar()
        workdays = POLICY.class_filing_workdays
        today = business_today()
        earliest = calendar.add_workdays(today, workdays)
        start = start or earliest
        filed_on = today if start >= earliest else calendar.add_workdays(start, -workdays)
        while calendar.add_workdays(filed_on, workdays) > start:  # a start on a day off
            filed_on -= timedelta(days=1)
        details = ClassDetails(
            name=name or f"{occupation.name or '培训'}班 {start.isoformat()}",
            start_date=start,
            end_date=end or start + timedelta(days=30),
            hours=hours,
            plan="理论 40 课时，实操 40 课时",
            teachers="王老师（高级技师）",
            fee_fen=fee_fen,
            site="广州市天河区培训楼 301",
            mode=mode,
            platform="" if mode == "offline" else "粤培训在线",
            courses="" if mode == "offline" else "基础理论",
            online_hours=None if mode == "offline" else hours // 2,
        )
        with frozen_today(filed_on):
            return file_class(actor, occupation.id, details)

    def id_tail(self, voucher: Any) -> str:
        """The last 4 characters of the voucher holder's ID number (what the desk types)."""
        from voucher.issuance.models import Voucher
        from voucher.keyring import pii_cipher

        person = db.session.get(Voucher, voucher.id).person  # type: ignore[union-attr]
        return pii_cipher().decrypt(person.id_cipher, aad=b"person.id_number")[-4:]

    def redeem(
        self,
        voucher: Any,
        unit: str = "unit1",
        fee_fen: int = 120_000,
        class_id: int | None = None,
    ) -> Any:
        """Redeem a voucher at a unit through the service (filing a fitting class if none
        is given), with the right ID-card characters; returns the Redemption."""
        from voucher.redemption.services import redeem

        if class_id is None:
            class_id = self.file_class(unit, entry=voucher.entry_id, fee_fen=fee_fen).id
        return redeem(
            self.actor(unit), voucher.token, class_id=class_id, id_last4=self.id_tail(voucher)
        )


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """Fetch a page and read its CSRF token."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> Any:
    """Sign in through the login form, CSRF token included."""
    token = csrf_token(client)
    return client.post(
        "/login", data={"csrf_token": token, "username": username, "password": password}
    )
