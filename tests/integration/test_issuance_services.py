"""Issuance services: quotas, eligibility, concurrency, tokens, revoke, expiry, CLI."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from tests.integration.test_issuance_support import (
    csv_bytes,
    make_eligible,
    make_quota,
    new_id,
    rows_for,
    unemployed_facts,
)
from voucher.audit.services import events_for
from voucher.core.clock import business_today, frozen_today
from voucher.core.token import decode_text, encode_text, key_id_for, parse_token, sign_token
from voucher.db import db, utcnow
from voucher.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from voucher.issuance import services
from voucher.issuance.models import Quota, Voucher, VoucherStatus


def issued_count(quota) -> int:
    db.session.rollback()
    return db.session.execute(select(Quota.issued).where(Quota.id == quota.id)).scalar_one()


def person_born(demo, birth: date, seq: int, sex_digit: int = 1):
    number = new_id(seq * 10 + sex_digit % 10 if seq < 100 else seq, birth)
    return services.register_person(
        demo.actor("city"),
        id_number=number,
        name="测试",
        phone="13600000000",
        facts=unemployed_facts(),
    )


# ---- quotas -----------------------------------------------------------------------------------


def test_quota_plans_of_an_occupation_never_exceed_its_accepted_headcount(demo):
    make_quota(demo, planned=60, unit=0)
    make_quota(demo, planned=30, unit=None)  # 通用 shares the city-wide headcount of 100
    with pytest.raises(RuleViolation) as refused:
        make_quota(demo, planned=11, unit=0)
    assert refused.value.code == "plan_over_headcount"
    assert "最多还可安排 10 人" in str(refused.value)
    make_quota(demo, planned=10, unit=None)


def test_a_quota_needs_an_accepted_occupation_and_a_face_value_within_the_cap(demo):
    with pytest.raises(RuleViolation) as refused:
        make_quota(demo, unit=1)  # unit 2 is not accepted for 养老护理员
    assert refused.value.code == "occupation_not_accepted"
    with pytest.raises(RuleViolation) as over:
        make_quota(demo, amount_fen=80_001)
    assert over.value.code == "amount_over_cap"
    # the catalogue standard of the targeted level (4: 2000 yuan in the demo) lifts the cap
    assert make_quota(demo, amount_fen=200_000, level="4", planned=1).amount_fen == 200_000
    assert make_quota(demo, planned=1).amount_fen == 80_000  # default: the accepted standard
    with pytest.raises(ValidationFailed):
        make_quota(demo, groups=())


def test_a_closed_quota_or_one_outside_its_window_issues_nothing(demo):
    make_eligible(demo, 0)
    quota = make_quota(demo, planned=2)
    city = demo.actor("city")
    with pytest.raises(RuleViolation) as late:
        services.issue_from_quota(
            city,
            quota_id=quota.id,
            person_id=demo.people[0].id,
            on_date=business_today() + timedelta(days=200),
        )
    assert late.value.code == "quota_out_of_window"
    services.close_quota(city, quota.id)
    with pytest.raises(RuleViolation) as closed:
        services.issue_from_quota(city, quota_id=quota.id, person_id=demo.people[0].id)
    assert closed.value.code == "quota_closed"


# ---- eligibility at issue time ----------------------------------------------------------------


def test_too_young_and_too_old_on_the_issue_date_are_refused_with_the_rule(demo):
    quota = make_quota(demo, planned=5)
    city = demo.actor("city")
    today = business_today()
    young = person_born(demo, date(today.year - 16, today.month, 1) + timedelta(days=40), 401)
    old_man = person_born(demo, date(today.year - 61, 1, 1), 403)  # odd digit: a man
    for person, code in ((young, "age_too_young"), (old_man, "age_too_old")):
        with pytest.raises(RuleViolation) as refused:
            services.issue_from_quota(city, quota_id=quota.id, person_id=person.id)
        assert refused.value.code == "not_eligible"
        assert code in refused.value.errors
    assert issued_count(quota) == 0


def test_a_man_is_eligible_through_the_day_before_his_61st_birthday(demo):
    quota = make_quota(demo, planned=5, valid_from=date(2020, 1, 1), valid_until=date(2030, 1, 1))
    birth = date(1965, 3, 15)
    person = person_born(demo, birth, 405)
    city = demo.actor("city")
    with pytest.raises(RuleViolation) as refused:
        services.issue_from_quota(
            city, quota_id=quota.id, person_id=person.id, on_date=date(2026, 3, 15)
        )
    assert "age_too_old" in refused.value.errors
    voucher = services.issue_from_quota(
        city, quota_id=quota.id, person_id=person.id, on_date=date(2026, 3, 14)
    )
    assert voucher.quota_id == quota.id


def test_the_per_person_rules_apply_across_quotas(demo):
    make_eligible(demo, 0)
    city = demo.actor("city")
    first = make_quota(demo, planned=2)
    other = make_quota(demo, planned=2, unit=1, entry=demo.housekeeping)
    services.issue_from_quota(city, quota_id=first.id, person_id=demo.people[0].id)
    with pytest.raises(RuleViolation) as refused:
        services.issue_from_quota(city, quota_id=other.id, person_id=demo.people[0].id)
    assert set(refused.value.errors) == {"yearly_limit"}


def test_the_eligibility_service_answers_every_failing_rule(demo):
    quota = make_quota(demo)
    decision = services.eligibility(
        demo.actor("city"), demo.people[3].id, quota.id, business_today()
    )
    assert decision.codes == ["residence_missing", "not_in_target_group"]


def test_self_service_refuses_an_unregistered_person_and_a_wrong_name(demo):
    quota = make_quota(demo)
    with pytest.raises(RuleViolation) as unknown:
        services.self_apply(
            id_number=new_id(800), name="无名", phone="13500000000", quota_id=quota.id
        )
    assert unknown.value.code == "person_not_registered"
    make_eligible(demo, 0)
    from voucher.keyring import pii_cipher

    person = demo.people[0]
    number = pii_cipher().decrypt(person.id_cipher, aad=b"person.id_number")
    with pytest.raises(RuleViolation) as wrong:
        services.self_apply(id_number=number, name="别人", phone=person.phone, quota_id=quota.id)
    assert wrong.value.code == "name_mismatch"
    voucher = services.self_apply(
        id_number=number, name=person.name, phone=person.phone, quota_id=quota.id
    )
    assert [e.data["channel"] for e in events_for("voucher", voucher.id)] == ["self"]


def test_person_facts_are_validated_with_every_field_named(demo):
    with pytest.raises(ValidationFailed) as refused:
        services.register_person(
            demo.actor("city"),
            id_number=new_id(810),
            name="某某",
            phone="13500000000",
            facts=services.PersonFactsInput(
                residence_basis="moon",
                groups=(
                    services.GroupInput("graduate", "学校"),
                    services.GroupInput("released", ""),
                ),
            ),
        )
    assert {"residence_basis", "groups.0", "groups.1"} <= set(refused.value.errors)


# ---- concurrency ------------------------------------------------------------------------------


def test_concurrent_issuers_never_issue_beyond_the_plan(app, demo, backend):
    quota = make_quota(demo, planned=5)
    city = demo.actor("city")
    people = [
        services.register_person(
            city,
            id_number=new_id(900 + i),
            name="并发",
            phone=f"135{i:08d}",
            facts=unemployed_facts(),
        )
        for i in range(12)
    ]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(people))

    def issue(person_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.issue_from_quota(city, quota_id=quota.id, person_id=person_id)
                outcomes.append("issued")
            except RuleViolation as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(p.id,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("issued") == 5
    assert outcomes.count("quota_exhausted") == 7
    assert issued_count(quota) == 5
    count = select(func.count()).where(Voucher.quota_id == quota.id)
    assert db.session.execute(count).scalar_one() == 5


def test_the_database_itself_refuses_issued_above_planned(demo):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    quota = make_quota(demo, planned=2)
    with pytest.raises(IntegrityError):
        db.session.execute(update(Quota).where(Quota.id == quota.id).values(issued=3))
        db.session.flush()
    db.session.rollback()


# ---- tokens and statuses ----------------------------------------------------------------------


def test_a_tampered_truncated_or_foreign_token_is_refused_with_the_rule(demo):
    voucher = demo.issue(0)
    raw = decode_text(voucher.token)
    tampered = bytearray(raw)
    tampered[30] ^= 1
    with pytest.raises(ValidationFailed) as bad:
        services.resolve_voucher(encode_text(bytes(tampered)))
    assert bad.value.code == "token_bad_signature"
    with pytest.raises(ValidationFailed) as short:
        services.resolve_voucher(voucher.token[:-8])
    assert short.value.code == "token_truncated"
    foreign_key = Ed25519PrivateKey.generate()
    claims, _body, _sig = parse_token(raw)
    from dataclasses import replace

    forged = replace(claims, key_id=key_id_for(foreign_key.public_key()))
    with pytest.raises(ValidationFailed) as foreign:
        services.resolve_voucher(encode_text(sign_token(forged, foreign_key)))
    assert foreign.value.code == "token_unknown_key"


def test_an_expired_or_revoked_voucher_is_refused_with_its_rule(demo):
    city = demo.actor("city")
    revoked = demo.issue(0)
    with pytest.raises(ValidationFailed) as no_reason:
        services.revoke_voucher(city, revoked.id, " ")
    assert no_reason.value.code == "reason_required"
    services.revoke_voucher(city, revoked.id, "身份信息有误")
    with pytest.raises(RuleViolation) as refused:
        services.check_voucher(revoked.token)
    assert refused.value.code == "voucher_revoked"
    with pytest.raises(Conflict):
        services.revoke_voucher(city, revoked.id, "再次撤销")
    assert [e.action for e in events_for("voucher", revoked.id)][-1] == "voucher.revoked"

    old = demo.issue(1, valid_from=business_today() - timedelta(days=200))
    with pytest.raises(ValidationFailed) as expired_token:
        services.check_voucher(old.token)
    assert expired_token.value.code == "token_expired"
    assert services.expire_due(city) == 1
    status = db.session.execute(select(Voucher.status).where(Voucher.id == old.id)).scalar_one()
    assert status == VoucherStatus.EXPIRED
    later = int((utcnow() - timedelta(days=150)).timestamp())
    with pytest.raises(RuleViolation) as marked:
        services.check_voucher(old.token, now=later)
    assert marked.value.code == "voucher_expired"
    assert services.expire_due(city) == 0


def test_units_see_only_their_vouchers_and_cannot_revoke(demo):
    mine = demo.issue(0, unit=demo.units[0].id)
    theirs = demo.issue(1, entry=demo.housekeeping, unit=demo.units[1].id)
    unit1 = demo.actor("unit1")
    assert services.get_voucher(unit1, mine.id).id == mine.id
    with pytest.raises(NotFound):
        services.get_voucher(unit1, theirs.id)
    from voucher.errors import Forbidden

    with pytest.raises(Forbidden):
        services.revoke_voucher(unit1, mine.id, "不想要了")


# ---- command line -----------------------------------------------------------------------------


def test_the_batch_command_prints_progress_and_refuses_a_second_run(demo, app, tmp_path):
    quota = make_quota(demo, planned=5)
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes(rows_for(3)))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["issuance", "batch", str(path), "--quota", str(quota.id)])
    assert result.exit_code == 0, result.output
    assert "完成：发放 3 张" in result.output
    assert "已检查 3/3 行" in result.output
    again = runner.invoke(args=["issuance", "batch", str(path), "--quota", str(quota.id)])
    assert again.exit_code == 1 and "不会重复发券" in again.output
    listed = runner.invoke(args=["issuance", "quotas"])
    assert f"#{quota.id}" in listed.output and "3/5" in listed.output


def test_the_expire_command_marks_due_vouchers(demo, app):
    demo.issue(0, valid_from=business_today() - timedelta(days=120))
    with frozen_today(business_today()):
        result = app.test_cli_runner().invoke(args=["issuance", "expire"])
    assert result.exit_code == 0 and "已将 1 张" in result.output


def test_payload_is_the_upper_case_url_with_the_token(demo):
    voucher = demo.issue(0)
    payload = services.voucher_payload(voucher)
    assert payload.startswith("HTTPS://VOUCHER.TEST/V/")
    assert payload.endswith(voucher.token)
    assert isinstance(voucher.expires_at, datetime)
