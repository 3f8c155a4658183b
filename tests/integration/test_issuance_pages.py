"""Issuance pages and API: people, quotas, officer issue, batches, vouchers, self-service."""

from __future__ import annotations

import io
import re
from datetime import date

import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from tests.factories import csrf_token, login
from tests.integration.test_issuance_support import (
    csv_bytes,
    make_eligible,
    make_quota,
    new_id,
    rows_for,
)
from voucher.db import db
from voucher.issuance import batches
from voucher.issuance.models import Person, Voucher
from voucher.issuance.services import resolve_voucher


def test_a_city_officer_registers_a_person_with_facts_and_the_id_is_masked(client, demo):
    login(client, "city")
    number = new_id(501)
    token = csrf_token(client, "/issuance/people/new")
    response = client.post(
        "/issuance/people/new",
        data={
            "csrf_token": token,
            "id_number": number,
            "name": "赵六",
            "phone": "13912345678",
            "residence_basis": "social_insurance",
            "residence_source": "广州社保系统",
            "residence_date": "2024-01-01",
            "group_veteran-member": "y",
            "group_veteran-source": "退役军人事务局",
            "group_veteran-evidence_date": "2023-05-01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "赵六" in page
    assert number not in page
    assert number[:4] + "**********" in page
    person = db.session.execute(select(Person).where(Person.name == "赵六")).scalar_one()
    assert person.residence_basis == "social_insurance"
    assert [g.group for g in person.groups] == ["veteran"]
    listing = client.get("/issuance/people?q=赵").get_data(as_text=True)
    assert "赵六" in listing and number not in listing and "13912345678" not in listing


def test_a_wrong_check_digit_is_refused_in_chinese_on_the_page(client, demo):
    login(client, "city")
    number = new_id(502)
    bad = number[:-1] + ("1" if number[-1] != "1" else "2")
    token = csrf_token(client, "/issuance/people/new")
    response = client.post(
        "/issuance/people/new",
        data={"csrf_token": token, "id_number": bad, "name": "钱七", "phone": "13912345679"},
    )
    assert response.status_code == 422
    assert "校验位应为" in response.get_data(as_text=True)


def test_an_officer_issues_from_a_quota_page_and_sees_the_qr_and_code(client, demo):
    make_eligible(demo, 0)
    quota = make_quota(demo, planned=2)
    login(client, "city")
    person = demo.people[0]
    token = csrf_token(client, f"/issuance/people/{person.id}")
    response = client.post(
        f"/issuance/people/{person.id}/issue",
        data={"csrf_token": token, "issue-quota_id": str(quota.id)},
    )
    assert response.status_code == 302
    assert "/issuance/vouchers/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<svg" in page
    voucher = db.session.execute(select(Voucher).where(Voucher.quota_id == quota.id)).scalar_one()
    code = voucher.human_code
    assert f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12]}" in page
    png = client.get(f"/issuance/vouchers/{voucher.id}/qr.png")
    assert png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert len(decoded) == 1
    _claims, found = resolve_voucher(decoded[0].text)
    assert found.id == voucher.id


def test_an_officer_is_told_every_rule_a_person_fails(client, demo):
    quota = make_quota(demo, planned=2)  # demo trainee 1 has no residence and no group
    login(client, "city")
    person = demo.people[1]
    token = csrf_token(client, f"/issuance/people/{person.id}")
    response = client.post(
        f"/issuance/people/{person.id}/issue",
        data={"csrf_token": token, "issue-quota_id": str(quota.id)},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "不符合发券条件" in page
    assert "未登记广州市户籍" in page and "不属于该指标面向的重点群体" in page


def test_a_city_officer_creates_a_quota_within_the_headcount_on_the_page(client, demo):
    login(client, "city")
    from voucher.units.models import AcceptedOccupation

    occupation = db.session.execute(
        select(AcceptedOccupation).where(AcceptedOccupation.entry_id == demo.care)
    ).scalar_one()
    token = csrf_token(client, "/issuance/quotas")
    form = {
        "csrf_token": token,
        "occupation": str(occupation.id),
        "directed": "1",
        "groups": ["unemployed", "veteran"],
        "planned": "101",
        "amount": "",
        "level": "",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "voucher_days": "90",
    }
    over = client.post("/issuance/quotas", data=form)
    assert over.status_code == 422
    assert "计划发放数量超过揭榜核定人数" in over.get_data(as_text=True)
    form["planned"] = "100"
    created = client.post("/issuance/quotas", data=form)
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "800.00" in page and "已发 0 / 计划 100" in page


def test_a_batch_uploaded_on_the_page_shows_progress_then_the_result(client, demo):
    quota = make_quota(demo, planned=5)
    login(client, "city")
    token = csrf_token(client, f"/issuance/quotas/{quota.id}")
    data = csv_bytes(rows_for(3))
    response = client.post(
        f"/issuance/quotas/{quota.id}",
        data={"csrf_token": token, "file": (io.BytesIO(data), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    batch_id = int(re.search(r"/batches/(\d+)", response.headers["Location"]).group(1))
    batches.wait(batch_id)
    progress = client.get(f"/issuance/batches/{batch_id}/progress").get_json()
    assert progress["status"] == "done" and progress["issued"] == 3
    page = client.get(f"/issuance/batches/{batch_id}").get_data(as_text=True)
    assert "已发放 3 张培训券" in page and 'http-equiv="refresh"' not in page
    again = client.post(
        f"/issuance/quotas/{quota.id}",
        data={"csrf_token": token, "file": (io.BytesIO(data), "again.csv")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 422
    assert "不会重复发券" in again.get_data(as_text=True)
    api = client.get(f"/api/v1/batches/{batch_id}").get_json()
    assert api["issued"] == 3


def test_a_refused_batch_page_lists_rows_and_offers_the_error_report(client, demo):
    quota = make_quota(demo, planned=5)
    login(client, "city")
    rows = rows_for(2)
    rows.append(list(rows[0]))
    city = demo.actor("city")
    data = csv_bytes(rows)
    batch = batches.start_batch(city, quota_id=quota.id, filename="dup.csv", data=data)
    batches.run_batch(city, batch.id, data)
    page = client.get(f"/issuance/batches/{batch.id}").get_data(as_text=True)
    assert "duplicate_row" in page and "与第 2 行的身份证号码重复" in page
    report = client.get(f"/issuance/batches/{batch.id}/errors.xlsx")
    assert report.status_code == 200 and report.data[:2] == b"PK"


def test_a_trainee_applies_on_the_phone_and_gets_a_voucher_at_once(client, demo):
    make_eligible(demo, 2)
    quota = make_quota(demo, planned=1)
    from voucher.keyring import pii_cipher

    person = demo.people[2]
    number = pii_cipher().decrypt(person.id_cipher, aad=b"person.id_number")
    token = csrf_token(client, "/apply")
    form = {"csrf_token": token, "id_number": number, "name": person.name}
    wrong = client.post("/apply", data=form | {"phone": "13999999999", "quota_id": quota.id})
    assert wrong.status_code == 422
    assert "手机号码与登记信息不符" in wrong.get_data(as_text=True)
    ok = client.post("/apply", data=form | {"phone": person.phone, "quota_id": quota.id})
    assert ok.status_code == 200
    page = ok.get_data(as_text=True)
    assert "申领成功" in page and "<svg" in page
    issued = select(func.count()).where(Voucher.quota_id == quota.id)
    assert db.session.execute(issued).scalar_one() == 1


def test_self_service_lists_every_failed_rule(client, demo):
    quota = make_quota(demo, planned=1)
    from voucher.keyring import pii_cipher

    person = demo.people[3]  # registered without residence or group
    number = pii_cipher().decrypt(person.id_cipher, aad=b"person.id_number")
    token = csrf_token(client, "/apply")
    response = client.post(
        "/apply",
        data={
            "csrf_token": token,
            "id_number": number,
            "name": person.name,
            "phone": person.phone,
            "quota_id": quota.id,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-rule="residence_missing"' in page
    assert 'data-rule="not_in_target_group"' in page


def test_self_service_is_rate_limited(make_app):
    from tests.factories import DemoWorld

    app = make_app(APPLY_RATE_LIMIT="2 per minute")
    client = app.test_client()
    demo = DemoWorld.build()
    quota = make_quota(demo, planned=1)
    token = csrf_token(client, "/apply")
    form = {
        "csrf_token": token,
        "id_number": new_id(600),
        "name": "某人",
        "phone": "13900000000",
        "quota_id": quota.id,
    }
    codes = [client.post("/apply", data=form).status_code for _ in range(3)]
    assert codes == [422, 422, 429]


def test_the_api_registers_issues_lists_and_revokes(client, demo):
    quota = make_quota(demo, planned=3)
    login(client, "city")
    token = csrf_token(client, "/issuance/people")
    headers = {"X-CSRFToken": token}
    number = new_id(700, date(1995, 6, 1))
    created = client.post(
        "/api/v1/people",
        json={
            "id_number": number,
            "name": "孙八",
            "phone": "13700000000",
            "residence_basis": "hukou",
            "residence_source": "户籍",
            "groups": [{"group": "unemployed", "source": "失业登记"}],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert number not in created.get_data(as_text=True)
    assert body["phone"] != "13700000000"
    issued = client.post(
        f"/api/v1/quotas/{quota.id}/vouchers", json={"person_id": body["id"]}, headers=headers
    )
    assert issued.status_code == 201, issued.get_json()
    voucher = issued.get_json()
    again = client.post(
        f"/api/v1/quotas/{quota.id}/vouchers", json={"person_id": body["id"]}, headers=headers
    )
    assert again.status_code == 422
    assert {"voucher_already_held", "yearly_limit"} <= set(again.get_json()["errors"])
    listed = client.get(f"/api/v1/vouchers?status=issued&quota_id={quota.id}").get_json()
    assert [v["id"] for v in listed] == [voucher["id"]]
    no_reason = client.post(
        f"/api/v1/vouchers/{voucher['id']}/revoke", json={"reason": ""}, headers=headers
    )
    assert no_reason.status_code == 422
    revoked = client.post(
        f"/api/v1/vouchers/{voucher['id']}/revoke", json={"reason": "重复发放"}, headers=headers
    )
    assert revoked.get_json()["status"] == "revoked"


def test_a_unit_sees_only_its_own_vouchers_and_never_the_register(client, demo):
    make_eligible(demo, 0, 1)
    quota1 = make_quota(demo, planned=1, unit=0)
    quota2 = make_quota(demo, planned=1, unit=1, entry=demo.housekeeping)
    from voucher.issuance.services import issue_from_quota

    city = demo.actor("city")
    mine = issue_from_quota(city, quota_id=quota1.id, person_id=demo.people[0].id)
    theirs = issue_from_quota(city, quota_id=quota2.id, person_id=demo.people[1].id)
    login(client, "unit1")
    assert client.get(f"/issuance/vouchers/{mine.id}").status_code == 200
    assert client.get(f"/issuance/vouchers/{theirs.id}").status_code == 404
    assert client.get(f"/api/v1/vouchers/{theirs.id}").status_code == 404
    assert client.get("/issuance/people").status_code == 403
    assert client.get(f"/issuance/quotas/{quota1.id}").status_code == 403
    listed = client.get("/issuance/vouchers").get_data(as_text=True)
    assert mine.human_code in listed and theirs.human_code not in listed
