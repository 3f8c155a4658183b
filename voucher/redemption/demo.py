"""Redemption demo data: a filed class for each demo unit's first occupation, and one redeemed
voucher where the issuance demo left a usable one, so the running instance shows them."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from voucher.accounts.access import Actor
from voucher.accounts.models import User
from voucher.accounts.services import actor_for
from voucher.core.clock import business_today
from voucher.core.workdays import CalendarOutOfRange
from voucher.db import db
from voucher.issuance.models import Voucher, VoucherStatus
from voucher.policy import POLICY
from voucher.redemption.classes import file_class
from voucher.redemption.models import Redemption, TrainingClass
from voucher.redemption.rules import ClassDetails
from voucher.redemption.services import redeem_fast
from voucher.units.models import AcceptedOccupation
from voucher.workcal.services import work_calendar

DEMO_UNITS = ("unit1", "unit2")


def load_redemption_demo() -> None:
    """File one class per demo unit and redeem one voucher there (safe to run again)."""
    for username in DEMO_UNITS:
        user = db.session.execute(
            select(User).where(User.username == username)
        ).scalar_one_or_none()
        if user is None or user.unit_id is None:
            continue
        actor = actor_for(user)
        klass = db.session.execute(
            select(TrainingClass).where(TrainingClass.unit_id == user.unit_id).limit(1)
        ).scalar_one_or_none()
        if klass is None:
            klass = _file_demo_class(actor)
        if (
            klass is None
            or db.session.execute(
                select(Redemption.id).where(Redemption.unit_id == user.unit_id).limit(1)
            ).first()
        ):
            continue
        voucher = db.session.execute(
            select(Voucher)
            .where(
                Voucher.status == VoucherStatus.ISSUED,
                Voucher.entry_id == klass.entry_id,
                or_(Voucher.unit_id.is_(None), Voucher.unit_id == user.unit_id),
            )
            .order_by(Voucher.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if voucher is not None:
            redeem_fast(actor, voucher.token, class_id=klass.id)


def _file_demo_class(actor: Actor) -> TrainingClass | None:
    occupation = db.session.execute(
        select(AcceptedOccupation)
        .where(AcceptedOccupation.unit_id == actor.unit_id)
        .order_by(AcceptedOccupation.id)
        .limit(1)
    ).scalar_one_or_none()
    if occupation is None:
        return None
    name = occupation.entry.name if occupation.entry else occupation.name
    try:
        start = work_calendar().add_workdays(business_today(), POLICY.class_filing_workdays + 2)
        return file_class(
            actor,
            occupation.id,
            ClassDetails(
                name=f"{name}（初级）{start.month}月班",
                start_date=start,
                end_date=start + timedelta(days=27),
                hours=120,
                plan="理论 48 课时：职业道德、基础知识、安全规范；实操 72 课时：技能训练与考核辅导",
                teachers="陈老师（高级技师，教师资格证）；刘老师（技师）",
                fee_fen=150_000,
                site="本机构实训楼 3 楼 301 室",
            ),
        )
    except CalendarOutOfRange as exc:
        # the official calendar of the coming weeks is not entered yet: say so, file nothing
        current_app.logger.warning(
            "演示班级未备案：%s（市人社局录入并声明该年安排后重新运行 voucher demo）", exc.message
        )
        return None
