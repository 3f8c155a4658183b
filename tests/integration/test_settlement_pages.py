"""Settlement pages over HTTP on both databases: a claim from results to payment, refusals shown
in Chinese with nothing changed, reconciliation and its masked exports, the trainee's flag."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import csrf_token, login
from voucher.core.clock import business_today
from voucher.db import db
from voucher.keyring import pii_cipher
from voucher.settlement.models import AssessmentResult, AttendanceFlag, Claim, ClaimLine
from voucher.wallet.session import PERSON_KEY, SINCE_KEY


def signed_in(app, username):
    client = app.test_client()
    login(client, username)
    return client


def post(client, path, data, *, token_from=None):
    token = csrf_token(client, token_from or path)
    return client.post(path, data={"csrf_token": token, **data})


def result_form(number, occupation="养老护理员"):
    return {
        "outcome": "passed",
        "occupation": occupation,
        "certificate_type": "training",
        "level": "",
        "certificate_no": number,
        "issued_on": business_today().isoformat(),
        "assessment_body": "广州市职业技能鉴定中心",
    }


def test_a_claim_walks_from_results_to_payment_through_the_pages(app, client, demo):
    first = demo.redeem(demo.issue(0), unit="unit1", fee_fen=100_000)
    second = demo.redeem(demo.issue(1), unit="unit1", fee_fen=100_000)
    unit = signed_in(app, "unit1")

    results_before = db.session.execute(select(func.count(AssessmentResult.id))).scalar_one()
    refused = post(unit, f"/settlement/results/{first.id}", result_form("W-1", "家政服务员"))
    assert refused.status_code == 422
    assert "不一致" in refused.get_data(as_text=True)
    assert (
        db.session.execute(select(func.count(AssessmentResult.id))).scalar_one() == results_before
    )
    for redemption, number in ((first, "W-1"), (second, "W-2")):
        saved = post(unit, f"/settlement/results/{redemption.id}", result_form(number))
        assert saved.status_code == 302
    duplicate = post(unit, f"/settlement/results/{second.id}", result_form("W-1"))
    assert duplicate.status_code == 422 and "已被使用" in duplicate.get_data(as_text=True)

    page = unit.get("/settlement/proposal").get_data(as_text=True)
    assert 'data-testid="proposal-count">2<' in page
    generated = post(unit, "/settlement/claims/generate", {}, token_from="/settlement/proposal")
    assert generated.status_code == 302
    claim_path = generated.headers["Location"]
    claim_id = int(claim_path.rsplit("/", 1)[1])

    no_pledge = post(
        unit, claim_path, {"unit_details": "联系人 王老师", "body_details": "鉴定中心"}
    )
    assert no_pledge.status_code == 422 and "诚信承诺" in no_pledge.get_data(as_text=True)
    submitted = post(
        unit,
        claim_path,
        {"unit_details": "联系人 王老师", "body_details": "鉴定中心", "pledge": "y"},
    )
    assert submitted.status_code == 302
    line_ids = (
        db.session.execute(
            select(ClaimLine.id).where(ClaimLine.claim_id == claim_id).order_by(ClaimLine.id)
        )
        .scalars()
        .all()
    )
    frozen = post(unit, f"{claim_path}/lines/{line_ids[0]}/remove", {}, token_from=claim_path)
    assert "不能再修改" in unit.get(frozen.headers["Location"]).get_data(as_text=True)
    assert len(line_ids) == 2 and db.session.get(Claim, claim_id).total_fen == 160_000

    district = signed_in(app, "tianhe")
    assert f"#{claim_id}" in district.get("/settlement/claims?status=submitted").get_data(
        as_text=True
    )
    post(
        district,
        f"{claim_path}/lines/{line_ids[1]}/decide",
        {"decision": "reduced", "approved": "500", "reason": "缺课 8 学时"},
        token_from=claim_path,
    )
    post(district, f"{claim_path}/check", {}, token_from=claim_path)

    finance = signed_in(app, "finance")
    post(finance, f"{claim_path}/approve", {}, token_from=claim_path)
    assert db.session.get(Claim, claim_id).approved_fen == 130_000
    over = post(
        finance,
        f"{claim_path}/pay",
        {"paid_on": business_today().isoformat(), "bank_reference": "CMB001", "amount": "1300.01"},
        token_from=claim_path,
    )
    assert "超过审批金额" in finance.get(over.headers["Location"]).get_data(as_text=True)
    post(
        finance,
        f"{claim_path}/pay",
        {"paid_on": business_today().isoformat(), "bank_reference": "CMB001", "amount": "1300"},
        token_from=claim_path,
    )
    claim = db.session.get(Claim, claim_id)
    assert claim.status == "paid" and claim.paid_fen == 130_000

    timeline = unit.get(claim_path).get_data(as_text=True)
    for label in ("接受诚信承诺并提交", "区人社局初审完成", "财务审批通过", "记录支付"):
        assert label in timeline

    recon = finance.get("/settlement/reconciliation").get_data(as_text=True)
    total = recon[recon.index('data-testid="total-row"') :]
    assert re.search(r'data-testid="paid-total"><span data-stage="paid">2</span>', total)
    assert "1,300.00" in total or "1300.00" in total

    export = finance.get(f"/settlement/reconciliation/lines.xlsx?unit_id={demo.units[0].id}")
    sheet = load_workbook(io.BytesIO(export.data), read_only=True).worksheets[0]
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row]
    full_id = pii_cipher().decrypt(demo.people[0].id_cipher, aad=b"person.id_number")
    assert demo.people[0].id_masked in cells and full_id not in cells
    assert "陈小明" not in cells

    city = signed_in(app, "city").get("/city").get_data(as_text=True)
    assert 'data-testid="funnel-chart"' in city


def test_another_unit_gets_not_found_and_the_trainee_flag_reaches_the_district(app, client, demo):
    from voucher.settlement import claims, review
    from voucher.settlement.results import ResultInput, record_result

    redemption = demo.redeem(demo.issue(0), unit="unit1", fee_fen=100_000)
    record_result(
        demo.actor("unit1"),
        redemption.id,
        ResultInput(
            passed=True,
            occupation="养老护理员",
            certificate_type="培训合格证书",
            certificate_no="F-1",
            issued_on=business_today(),
            assessment_body="鉴定中心",
        ),
    )
    claims.generate_claims(demo.actor("unit1"))
    claim = db.session.execute(select(Claim).where(Claim.unit_id == demo.units[0].id)).scalar_one()
    claims.submit_claim(
        demo.actor("unit1"), claim.id, pledge=True, unit_details="x", body_details="y"
    )
    trainee = app.test_client()
    with trainee.session_transaction() as session:
        import time

        session[PERSON_KEY] = demo.people[0].id
        session[SINCE_KEY] = int(time.time())
    page = trainee.get("/wallet/claims").get_data(as_text=True)
    assert "广州天河职业技能培训学校（演示）" in page and "我没有参加培训" in page
    line_id = claim.lines[0].id
    flagged = post(
        trainee, f"/wallet/claims/{line_id}/flag", {"note": "从未上课"}, token_from="/wallet/claims"
    )
    assert flagged.status_code == 302
    assert db.session.execute(select(func.count(AttendanceFlag.id))).scalar_one() == 1
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    again = trainee.post(f"/wallet/claims/{line_id}/flag", data={"csrf_token": token})
    assert "已经反映过" in trainee.get(again.headers["Location"]).get_data(as_text=True)

    assert signed_in(app, "unit2").get(f"/settlement/claims/{claim.id}").status_code == 404
    flags = signed_in(app, "tianhe").get("/settlement/flags").get_data(as_text=True)
    assert "从未上课" in flags and demo.people[0].id_masked in flags
    assert "从未上课" not in signed_in(app, "unit1").get("/settlement/flags").get_data(as_text=True)
    other = app.test_client()
    with other.session_transaction() as session:
        session[PERSON_KEY] = demo.people[1].id
        session[SINCE_KEY] = int(time.time())
    stolen = other.post(
        f"/wallet/claims/{line_id}/flag", data={"csrf_token": csrf_token(other, "/login")}
    )
    assert "未找到" in other.get(stolen.headers["Location"]).get_data(as_text=True)
    assert review.timeline(demo.actor("unit1"), claim.id)[-1].action == "claim.trainee_flagged"


def test_reconciliation_is_for_officers_and_exports_the_funnel(app, client, demo):
    unit = signed_in(app, "unit1")
    assert unit.get("/settlement/reconciliation").status_code == 403
    assert signed_in(app, "finance").get("/settlement/results").status_code == 403

    district = signed_in(app, "tianhe")
    page = district.get("/settlement/reconciliation?by=district").get_data(as_text=True)
    assert "天河区" in page and "越秀区" not in page  # a district sees its own units only
    bad = district.get("/settlement/reconciliation?start=2027-05-01&end=2027-01-01")
    assert bad.status_code == 422 and "开始日期不能晚于结束日期" in bad.get_data(as_text=True)

    export = signed_in(app, "city").get("/settlement/reconciliation.xlsx?by=project")
    sheet = load_workbook(io.BytesIO(export.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("项目（机构×职业）", "计划（人）", "计划（元）")
    assert rows[-1][0] == "合计"
