"""Redeeming at the desk: every bad input of issue 5 gets a Chinese refusal and changes nothing;
exactly once under concurrent desks; voids return the voucher; roster lock and approvals."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update

from voucher.audit.models import AuditEvent
from voucher.core.clock import business_today, frozen_today
from voucher.core.token import VoucherClaims, encode_text, key_id_for, sign_token
from voucher.db import db, utcnow
from voucher.errors import Conflict, DomainError, NotFound, RuleViolation, ValidationFailed
from voucher.issuance.keys import revoke_key
from voucher.issuance.models import Voucher, VoucherStatus
from voucher.policy import POLICY
from voucher.redemption import classes
from voucher.redemption.models import IdCheckCounter, Redemption, RedemptionStatus, TrainingClass
from voucher.redemption.services import check_voucher, redeem, void_redemption
from voucher.units.models import TrainingUnit, UnitStatus

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _fresh_status(voucher_id):
    db.session.rollback()
    return db.session.execute(select(Voucher.status).where(Voucher.id == voucher_id)).scalar_one()


def _redemptions():
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Redemption)).scalar_one()


def _refused(demo, voucher, text, klass, *, unit="unit1", last4=None, error=DomainError):
    """Try to redeem; the refusal is returned after checking nothing changed."""
    before = _redemptions()
    with pytest.raises(error) as refused:
        redeem(
            demo.actor(unit),
            text,
            class_id=klass.id,
            id_last4=last4 if last4 is not None else demo.id_tail(voucher),
        )
    assert CHINESE.search(str(refused.value)), refused.value
    assert _fresh_status(voucher.id) == VoucherStatus.ISSUED
    assert _redemptions() == before
    return refused.value


@pytest.mark.parametrize(
    "text",
    ["", "hello", "HTTPS://EVIL.EXAMPLE/X/ABC", "weixin://dl/business/?t=abc", "ABCD" * 60],
)
def test_unreadable_qr_text_is_refused(demo, text):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    refusal = _refused(demo, voucher, text, klass)
    assert refusal.code.startswith(("token_", "human_code"))


def test_a_tampered_token_is_refused(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    token = voucher.token
    tampered = token[:60] + ("A" if token[60] != "A" else "B") + token[61:]
    assert _refused(demo, voucher, tampered, klass).code.startswith("token_")


def test_a_token_signed_by_a_foreign_key_is_refused(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    foreign = Ed25519PrivateKey.generate()
    claims = VoucherClaims(
        key_id=key_id_for(foreign.public_key()),
        voucher_id=bytes.fromhex(voucher.uid),
        holder_ref=b"\x00" * 16,
        amount_fen=80_000,
        programme=voucher.entry_id,
        unit=0,
        not_before=int(voucher.not_before.timestamp()),
        expires=int(voucher.expires_at.timestamp()),
    )
    forged = encode_text(sign_token(claims, foreign))
    assert _refused(demo, voucher, forged, klass).code == "token_unknown_key"


def test_a_voucher_bound_to_another_unit_is_refused(demo):
    voucher = demo.issue(1, entry=demo.housekeeping, unit=demo.units[1].id)
    klass = demo.file_class("unit1")
    assert _refused(demo, voucher, voucher.token, klass).code in {
        "voucher_other_unit",
        "occupation_not_accepted",
    }
    bound = demo.issue(0, unit=demo.units[0].id)
    klass2 = demo.file_class("unit2")
    assert _refused(demo, bound, bound.token, klass2, unit="unit2").code == "voucher_other_unit"


def test_an_expired_voucher_is_refused(demo):
    voucher = demo.issue(0, valid_from=business_today() - timedelta(days=200))
    klass = demo.file_class("unit1")
    assert _refused(demo, voucher, voucher.token, klass).code == "token_expired"


def test_a_voucher_of_a_revoked_key_is_refused(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    revoke_key(demo.actor("city"), voucher.kid, reason="测试吊销")
    assert _refused(demo, voucher, voucher.token, klass).code == "token_unknown_key"


def test_wrong_id_characters_are_counted_and_then_lock_the_voucher(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    right = demo.id_tail(voucher)
    wrong = "0000" if right != "0000" else "1111"

    codes = [
        _refused(demo, voucher, voucher.token, klass, last4=wrong).code
        for _ in range(POLICY.id_check_max_failures)
    ]
    locked = _refused(demo, voucher, voucher.token, klass, last4=right)

    assert codes[:-1] == ["id_check_failed"] * (POLICY.id_check_max_failures - 1)
    assert codes[-1] == "id_check_locked" and locked.code == "id_check_locked"
    assert check_voucher(demo.actor("unit1"), voucher.token).code == "id_check_locked"
    failures = db.session.execute(
        select(func.count()).where(AuditEvent.action == "voucher.id_check_failed")
    ).scalar_one()
    assert failures == POLICY.id_check_max_failures
    # once the lock has run out, the right characters redeem
    db.session.execute(
        update(IdCheckCounter)
        .where(IdCheckCounter.voucher_id == voucher.id)
        .values(locked_until=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    assert redeem(demo.actor("unit1"), voucher.token, class_id=klass.id, id_last4=right).id


def test_a_right_tail_after_a_wrong_one_redeems_and_clears_the_count(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    right = demo.id_tail(voucher)
    wrong = "0000" if right != "0000" else "1111"
    assert _refused(demo, voucher, voucher.token, klass, last4=wrong).code == "id_check_failed"

    redemption = redeem(demo.actor("unit1"), voucher.token, class_id=klass.id, id_last4=right)

    db.session.rollback()
    counter = db.session.get(IdCheckCounter, voucher.id)
    assert redemption.id and counter.failures == 0 and counter.locked_until is None


def test_badly_formed_id_characters_are_refused_without_counting(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    refusal = _refused(demo, voucher, voucher.token, klass, last4="12", error=ValidationFailed)
    assert refusal.code == "id_tail_invalid"
    assert db.session.get(IdCheckCounter, voucher.id) is None


def test_a_class_filed_late_is_refused_at_filing_and_at_redemption(demo):
    start = business_today() + timedelta(days=2)
    with pytest.raises(RuleViolation) as late:
        demo_details_file(demo, start)
    assert late.value.code == "class_filed_late" and "工作日" in str(late.value)

    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    db.session.execute(
        update(TrainingClass).where(TrainingClass.id == klass.id).values(filed_on=klass.start_date)
    )
    db.session.commit()
    assert _refused(demo, voucher, voucher.token, klass).code == "class_filed_late"


def demo_details_file(demo, start):
    from voucher.redemption.rules import ClassDetails

    occupation = classes.unit_occupations(demo.actor("unit1"))[0]
    return classes.file_class(
        demo.actor("unit1"),
        occupation.id,
        ClassDetails(
            name="急班",
            start_date=start,
            end_date=start + timedelta(days=10),
            hours=40,
            plan="计划",
            teachers="李老师",
            fee_fen=100_000,
            site="天河",
        ),
    )


def test_a_start_date_beyond_the_known_calendar_is_refused_clearly(demo):
    with pytest.raises(RuleViolation) as unknown:
        demo_details_file(demo, business_today().replace(year=2035))
    assert unknown.value.code == "calendar_unknown"
    assert "节假日安排尚未录入" in str(unknown.value)


def test_a_class_started_too_long_ago_takes_no_voucher(demo):
    voucher = demo.issue(0)
    klass = demo.file_class(
        "unit1", start=business_today() - timedelta(days=POLICY.class_late_redeem_days + 1)
    )
    assert _refused(demo, voucher, voucher.token, klass).code == "class_started_too_long"


def test_another_units_class_is_not_found(demo):
    voucher = demo.issue(0)
    theirs = demo.file_class("unit2")
    refusal = _refused(demo, voucher, voucher.token, theirs, error=NotFound)
    assert refusal.code == "class_unknown"


def test_a_removed_unit_redeems_nothing(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    db.session.execute(
        update(TrainingUnit)
        .where(TrainingUnit.id == demo.units[0].id)
        .values(status=UnitStatus.REMOVED)
    )
    db.session.commit()
    assert _refused(demo, voucher, voucher.token, klass).code == "unit_not_accepted"


def test_a_voucher_scanned_twice_is_redeemed_once(demo):
    voucher = demo.issue(0)
    before = _redemptions()
    first = demo.redeem(voucher)
    klass = db.session.get(TrainingClass, first.class_id)
    with pytest.raises(Conflict) as twice:
        redeem(
            demo.actor("unit1"), voucher.token, class_id=klass.id, id_last4=demo.id_tail(voucher)
        )
    assert twice.value.code == "voucher_redeemed" and "已经核销" in str(twice.value)
    assert _redemptions() == before + 1


def test_a_holder_already_in_an_active_class_of_the_occupation_is_refused(demo):
    first = demo.issue(0)
    demo.redeem(first)
    second = demo.issue(0)  # the first is redeemed, so a new voucher can be issued
    klass = demo.file_class("unit1")
    assert _refused(demo, second, second.token, klass).code == "holder_in_other_class"


def test_two_desks_redeeming_the_same_voucher_at_once_succeed_once(demo, app):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")
    tail = demo.id_tail(voucher)
    actor = demo.actor("unit1")
    outcomes: list[str] = []
    before = _redemptions()
    barrier = threading.Barrier(8)

    def desk():
        with app.app_context():
            barrier.wait()
            try:
                redeem(actor, voucher.token, class_id=klass.id, id_last4=tail)
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=desk) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["ok"] + ["voucher_redeemed"] * 7
    assert _redemptions() == before + 1


def test_a_void_before_the_start_returns_the_voucher_and_it_redeems_again(demo):
    voucher = demo.issue(0)
    first = demo.redeem(voucher)

    voided = void_redemption(demo.actor("unit1"), first.id, reason="学员改报其他班级")
    again = demo.redeem(voucher)

    assert voided.status == RedemptionStatus.VOIDED and again.id != first.id
    assert _fresh_status(voucher.id) == VoucherStatus.REDEEMED
    actions = list(
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.object_id == str(voucher.id))
        ).scalars()
    )
    assert actions.count("voucher.redeemed") == 2 and "voucher.redemption_voided" in actions
    with pytest.raises(ValidationFailed):
        void_redemption(demo.actor("unit1"), again.id, reason="  ")
    with pytest.raises(NotFound):
        void_redemption(demo.actor("unit2"), again.id, reason="不是我的")


def test_after_the_start_only_the_district_voids_through_an_approved_request(demo):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1", start=business_today() + timedelta(days=7))
    redemption = demo.redeem(voucher, class_id=klass.id)
    with frozen_today(klass.start_date + timedelta(days=1)):
        with pytest.raises(RuleViolation) as locked:
            void_redemption(demo.actor("unit1"), redemption.id, reason="学员退学")
        assert locked.value.code == "roster_locked"
        change = classes.request_change(
            demo.actor("unit1"), klass.id, reason="学员退学", redemption_id=redemption.id
        )
        with pytest.raises(DomainError):
            classes.decide_change(demo.actor("unit1"), change.id, approve=True)
        with pytest.raises(ValidationFailed):
            classes.decide_change(demo.actor("tianhe"), change.id, approve=False)
        classes.decide_change(demo.actor("tianhe"), change.id, approve=True, note="同意")
    assert _fresh_status(voucher.id) == VoucherStatus.ISSUED
    assert db.session.get(Redemption, redemption.id).status == RedemptionStatus.VOIDED


def test_details_of_a_locked_class_change_only_with_approval(demo):
    klass = demo.file_class("unit1", start=business_today() + timedelta(days=7))
    new_end = klass.end_date + timedelta(days=5)
    with frozen_today(klass.start_date):
        from dataclasses import replace

        from voucher.redemption.classes import _details_of, update_class

        with pytest.raises(RuleViolation) as locked:
            update_class(demo.actor("unit1"), klass.id, replace(_details_of(klass), site="新址"))
        assert locked.value.code == "roster_locked"
        change = classes.request_change(
            demo.actor("unit1"),
            klass.id,
            reason="场地维修",
            changes={"site": "天河区新址 2 楼", "end_date": new_end.isoformat()},
        )
        assert db.session.get(TrainingClass, klass.id).site != "天河区新址 2 楼"
        classes.decide_change(demo.actor("tianhe"), change.id, approve=True)
    db.session.rollback()
    after = db.session.get(TrainingClass, klass.id)
    assert after.site == "天河区新址 2 楼" and after.end_date == new_end
    assert (
        db.session.execute(
            select(func.count()).where(AuditEvent.action == "class.change_approved")
        ).scalar_one()
        == 1
    )
