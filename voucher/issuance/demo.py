"""Demo data of issuance: two more trainees with residence and target groups, two quotas, and a
voucher for each of them. The four foundation trainees are left as they are (tests issue to
them directly)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from voucher.accounts.access import Actor
from voucher.catalog.services import entry_by_code
from voucher.core.clock import business_today
from voucher.db import db
from voucher.issuance.keys import ensure_active_key
from voucher.issuance.models import Quota, Voucher
from voucher.issuance.services import (
    GroupInput,
    PersonFactsInput,
    create_quota,
    find_person,
    issue_from_quota,
    register_person,
)
from voucher.units.models import TrainingUnit

DEMO_QUOTA_NAMES = ("中式烹调师（演示，定向）", "家政服务员（演示，通用）")


def load_issuance_demo() -> None:
    """Create the demo quotas and trainees and issue their vouchers; safe to run again."""
    from voucher.demo import synthetic_id_number

    system = Actor.system("demo")
    if db.session.execute(select(Quota.id).where(Quota.name == DEMO_QUOTA_NAMES[0])).first():
        return
    units = list(db.session.execute(select(TrainingUnit).order_by(TrainingUnit.id)).scalars())
    if len(units) < 2:
        return
    ensure_active_key(system)
    today = business_today()
    trainees = [
        ("周小燕", date(2004, 7, 8), "13800000005", "social_insurance", "graduate"),
        ("吴志强", date(1985, 3, 2), "13800000006", "unemployment", "unemployed"),
    ]
    people = []
    for index, (name, birth, phone, basis, group) in enumerate(trainees, start=5):
        number = synthetic_id_number("440106", birth, index * 10 + index % 2)
        person = find_person(number)
        if person is None:
            person = register_person(
                system,
                id_number=number,
                name=name,
                phone=phone,
                facts=PersonFactsInput(
                    residence_basis=basis,
                    residence_source="演示数据",
                    residence_reference=f"DEMO-R{index}",
                    residence_date=date(2024, 1, 1),
                    groups=(
                        GroupInput(
                            group,
                            "演示数据",
                            f"DEMO-G{index}",
                            date(today.year, 1, 2),
                            graduation_year=today.year if group == "graduate" else None,
                        ),
                    ),
                ),
            )
        people.append(person)
    window = {"valid_from": today - timedelta(days=7), "valid_until": today + timedelta(days=180)}
    electrician = create_quota(
        system,
        entry_id=entry_by_code("4-03-02-01").id,
        unit_id=units[0].id,
        groups=["unemployed", "graduate", "veteran"],
        planned=20,
        name=DEMO_QUOTA_NAMES[0],
        **window,
    )
    housekeeping = create_quota(
        system,
        entry_id=entry_by_code("4-10-01-06").id,
        unit_id=None,
        groups=["unemployed", "graduate"],
        planned=30,
        name=DEMO_QUOTA_NAMES[1],
        **window,
    )
    for person, quota in zip(people, (electrician, housekeeping), strict=True):
        if db.session.execute(select(Voucher.id).where(Voucher.person_id == person.id)).first():
            continue
        issue_from_quota(system, quota_id=quota.id, person_id=person.id)
