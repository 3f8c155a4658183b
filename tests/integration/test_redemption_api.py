"""Redemption over HTTP: the API with Idempotency-Key, the desk's pages, exports, scope."""

from __future__ import annotations

import io
import re
import time

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import csrf_token, login
from voucher.accounts.services import issue_api_token
from voucher.db import db
from voucher.issuance.models import Voucher, VoucherStatus
from voucher.issuance.services import voucher_payload
from voucher.redemption.models import IdempotencyRecord, Redemption


def _bearer(demo, username="unit1"):
    actor = demo.actor(username)
    token = issue_api_token(actor, actor.user_id, "desk")
    return {"Authorization": f"Bearer {token}"}


def _status(voucher_id):
    db.session.rollback()
    return db.session.execute(select(Voucher.status).where(Voucher.id == voucher_id)).scalar_one()


def _count(model):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_api_redeems_once_and_replays_the_first_answer_for_the_same_key(demo, client):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1", fee_fen=120_000)
    body = {"code": voucher.token, "class_id": klass.id, "id_last4": demo.id_tail(voucher)}
    headers = _bearer(demo) | {"Idempotency-Key": "desk-1-0001"}

    before = _count(Redemption)
    first = client.post("/api/v1/redemptions", json=body, headers=headers)
    again = client.post("/api/v1/redemptions", json=body, headers=headers)

    assert first.status_code == 201, first.get_json()
    assert first.get_json()["offset_fen"] == 80_000 and first.get_json()["pay_fen"] == 40_000
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert _count(Redemption) == before + 1 and _status(voucher.id) == VoucherStatus.REDEEMED


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(demo, client):
    first_voucher, other_voucher = demo.issue(0), demo.issue(1)
    klass = demo.file_class("unit1")
    headers = _bearer(demo) | {"Idempotency-Key": "k-42"}
    before = _count(Redemption)
    body = {"code": first_voucher.token, "class_id": klass.id}
    ok = client.post(
        "/api/v1/redemptions",
        json=body | {"id_last4": demo.id_tail(first_voucher)},
        headers=headers,
    )

    other = client.post(
        "/api/v1/redemptions",
        json={
            "code": other_voucher.token,
            "class_id": klass.id,
            "id_last4": demo.id_tail(other_voucher),
        },
        headers=headers,
    )

    assert ok.status_code == 201
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in other.get_json()["message"]
    assert _status(other_voucher.id) == VoucherStatus.ISSUED
    assert _count(Redemption) == before + 1


def test_a_refusal_is_the_first_answer_too_and_keys_are_per_user(demo, client):
    voucher = demo.issue(0, unit=demo.units[0].id)
    klass = demo.file_class("unit2")
    body = {"code": voucher.token, "class_id": klass.id, "id_last4": demo.id_tail(voucher)}
    unit2 = _bearer(demo, "unit2") | {"Idempotency-Key": "same"}

    refused = client.post("/api/v1/redemptions", json=body, headers=unit2)
    replayed = client.post("/api/v1/redemptions", json=body, headers=unit2)

    assert refused.status_code == 422 and refused.get_json()["code"] == "voucher_other_unit"
    assert "指定的培训机构" in refused.get_json()["message"]
    assert replayed.status_code == 422 and replayed.get_json() == refused.get_json()
    assert _count(IdempotencyRecord) == 1
    # the same key of another user is another key
    klass1 = demo.file_class("unit1")
    body1 = body | {"class_id": klass1.id}
    mine = client.post(
        "/api/v1/redemptions", json=body1, headers=_bearer(demo) | {"Idempotency-Key": "same"}
    )
    assert mine.status_code == 201


def test_the_api_checks_a_voucher_without_changing_it(demo, client):
    voucher = demo.issue(0)
    demo.file_class("unit1")

    answer = client.post(
        "/api/v1/vouchers/check", json={"code": voucher.human_code.lower()}, headers=_bearer(demo)
    )

    data = answer.get_json()
    assert answer.status_code == 200 and data["valid"] is True
    assert data["holder_id"].endswith("****") and "*" in data["holder_name"]
    assert data["amount_fen"] == 80_000 and data["class_ids"]
    assert _status(voucher.id) == VoucherStatus.ISSUED


def test_an_unreadable_code_gets_a_chinese_reason_on_the_check(demo, client):
    answer = client.post(
        "/api/v1/vouchers/check", json={"code": "hello world"}, headers=_bearer(demo)
    )
    data = answer.get_json()
    assert data["valid"] is False and data["code"].startswith(("token_", "human_code"))
    assert re.search(r"[\u4e00-\u9fff]", data["reason"])


def test_an_api_redemption_without_id_characters_is_refused(demo, client):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1")

    answer = client.post(
        "/api/v1/redemptions",
        json={"code": voucher.token, "class_id": klass.id},
        headers=_bearer(demo),
    )

    assert answer.status_code == 422
    assert _status(voucher.id) == VoucherStatus.ISSUED


def test_another_unit_sees_no_redemption_of_mine(demo, client):
    redemption = demo.redeem(demo.issue(0))

    theirs = client.get(f"/api/v1/redemptions/{redemption.id}", headers=_bearer(demo, "unit2"))
    mine = client.get(f"/api/v1/redemptions/{redemption.id}", headers=_bearer(demo))
    roster = client.get(
        f"/api/v1/classes/{redemption.class_id}/roster", headers=_bearer(demo, "unit2")
    )

    assert theirs.status_code == 404 and roster.status_code == 404
    assert mine.status_code == 200 and mine.get_json()["offset_fen"] == redemption.offset_fen


def test_the_desk_opens_the_qr_url_in_any_case_checks_and_redeems_with_a_receipt(demo, client, app):
    voucher = demo.issue(0)
    klass = demo.file_class("unit1", fee_fen=50_000)
    login(client, "unit1")
    path = voucher_payload(voucher).split("/", 3)[3]  # V/<BASE32>

    page = client.get("/" + path.lower().replace("v/", "V/", 1))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="check-valid"' in html
    assert demo.id_tail(voucher) not in html  # the desk must read it from the card
    token = csrf_token(client, "/" + path)

    wrong = client.post(
        "/redeem",
        data={
            "csrf_token": token,
            "token": voucher.token,
            "class_id": klass.id,
            "id_last4": "0000",
        },
    )
    assert wrong.status_code == 422 and "身份证后 4 位" in wrong.get_data(as_text=True)
    done = client.post(
        "/redeem",
        data={
            "csrf_token": token,
            "token": voucher.token,
            "class_id": klass.id,
            "id_last4": demo.id_tail(voucher).lower(),
        },
    )
    assert done.status_code == 302 and "/receipt" in done.headers["Location"]
    receipt = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "500.00" in receipt and "0.00" in receipt  # fee 500 < face 800: nothing to pay

    again = client.get("/scan/check", query_string={"code": voucher.human_code})
    assert "已经核销" in again.get_data(as_text=True)


def test_the_exports_mask_the_holders(demo, client):
    voucher = demo.issue(0)
    demo.redeem(voucher)
    login(client, "unit1")
    number = demo.id_tail(voucher)

    for path in ("/unit/redemptions.xlsx", "/unit/redemptions/daily.xlsx"):
        answer = client.get(path)
        assert answer.status_code == 200
        sheet = load_workbook(io.BytesIO(answer.data)).active
        cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
        assert len(cells) > 6
        assert not any(len(c) == 18 and c.endswith(number) and "*" not in c for c in cells)
    listing = client.get("/unit/redemptions").get_data(as_text=True)
    assert "**********" in listing


def test_with_background_sealing_the_redemption_is_chained_shortly_after(demo, client, app):
    from voucher.audit.models import AuditEvent, AuditSeal
    from voucher.audit.services import verify_chain

    app.config["AUDIT_SEAL_IN_BACKGROUND"] = True
    vouchers = [demo.issue(i) for i in range(3)]
    klass = demo.file_class("unit1")
    headers = _bearer(demo)
    for voucher in vouchers:
        body = {"code": voucher.token, "class_id": klass.id, "id_last4": demo.id_tail(voucher)}
        assert client.post("/api/v1/redemptions", json=body, headers=headers).status_code == 201

    deadline = time.monotonic() + 15
    while _count(AuditSeal) < _count(AuditEvent) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert _count(AuditSeal) == _count(AuditEvent)
    checked, breaches, _head = verify_chain()
    assert breaches == [] and checked == _count(AuditEvent)


def test_the_api_changes_a_class_before_it_starts_and_refuses_after_in_chinese(demo, client):
    from datetime import timedelta

    from voucher.core.clock import business_today, frozen_today
    from voucher.redemption.models import TrainingClass
    from voucher.workcal.services import work_calendar

    start = work_calendar().add_workdays(business_today(), 8)
    klass = demo.file_class("unit1", start=start, fee_fen=120_000)
    details = {
        "name": klass.name,
        "start_date": start.isoformat(),
        "end_date": klass.end_date.isoformat(),
        "hours": klass.hours,
        "plan": klass.plan,
        "teachers": "李老师（技师）",
        "fee_fen": 125_000,
        "site": klass.site,
    }
    path = f"/api/v1/classes/{klass.id}"

    changed = client.put(path, json=details, headers=_bearer(demo))
    incomplete = client.put(path, json={"name": "只改名称"}, headers=_bearer(demo))
    foreign = client.put(path, json=details, headers=_bearer(demo, "unit2"))
    with frozen_today(start + timedelta(days=1)):
        locked = client.put(path, json=details | {"site": "新址"}, headers=_bearer(demo))

    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["teachers"] == "李老师（技师）"
    assert changed.get_json()["fee_fen"] == 125_000
    assert incomplete.status_code == 422
    assert foreign.status_code == 404
    assert locked.status_code == 422 and locked.get_json()["code"] == "roster_locked"
    assert "名册已锁定" in locked.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(TrainingClass, klass.id).site == klass.site != "新址"
