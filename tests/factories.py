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

__all__ = ["DEMO_PASSWORD", "DemoWorld", "login", "synthetic_credit_code", "synthetic_id_number"]


@dataclass
class DemoWorld:
    """Handles to the demo objects, looked up by their demo names."""

    users: dict[str, User]
    units: list[TrainingUnit]
    people: list[Person]

    @classmethod
    def build(cls) -> DemoWorld:
        """Load the demo data set and a signing key."""
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
