"""One subsidy claim walked in a real browser on a 360-px phone.

Three demo trainees were redeemed at unit1 (fee 1,000 yuan each); two passed with a
training-qualified certificate, one failed. unit1 opens 补贴申领: two lines of 800 yuan, the
failed trainee listed as excluded with its reason; it generates the claim, fills in the unit's
and the assessment body's details, accepts the integrity pledge and submits. The Tianhe district
officer checks it; the finance officer reduces one line to 500 yuan with a reason, approves
(1,300 yuan) and records the payment; the unit's timeline shows every step. The reconciliation
page's total row then shows 2 more claimed (1,600.00), approved (1,300.00) and paid (1,300.00)
than before the walk.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, LiveServer
from voucher.core.money import format_yuan
from voucher.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path(tempfile.gettempdir()) / "e2e-settlement"


def _prepare(server: LiveServer) -> Any:
    """Two qualified trainees and one who failed, redeemed at unit1; returns the city-wide
    funnel before the walk (the demo data may hold claims of its own)."""
    from tests.factories import DemoWorld
    from voucher.core.clock import business_today
    from voucher.db import db
    from voucher.settlement.results import ResultInput, record_result

    with server.app.app_context():
        demo = DemoWorld.build()
        unit = demo.actor("unit1")
        for person, number in ((0, "GZPX-2027-0001"), (1, "GZPX-2027-0002"), (2, None)):
            redemption = demo.redeem(demo.issue(person), unit="unit1", fee_fen=100_000)
            result = ResultInput(passed=False)
            if number:
                result = ResultInput(
                    passed=True,
                    occupation="养老护理员",
                    certificate_type="培训合格证书",
                    certificate_no=number,
                    issued_on=business_today(),
                    assessment_body="广州市职业技能鉴定指导中心",
                )
            record_result(unit, redemption.id, result)
        from voucher.accounts.access import Actor
        from voucher.settlement.reconcile import funnel

        before = funnel(Actor.system("e2e"))[-1]
        db.session.remove()
    return before


class Walk:
    def __init__(self, page: Any, server: LiveServer) -> None:
        self.page, self.server = page, server
        self.too_wide: list[str] = []
        self.shots = 0

    def look(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.too_wide.append(f"{name}: {width}px")
        self.shots += 1
        page.screenshot(path=SHOTS / f"{self.shots:02d}-{name}.png", full_page=True)

    def sign_in(self, username: str) -> None:
        page = self.page
        page.goto(self.server("/login"))
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("button", name="退出", exact=True)).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="退出", exact=True).click()

    def flash(self, text: str) -> None:
        expect(self.page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_a_claim_from_proposal_to_payment_and_reconciliation(page, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = _prepare(live_server)
    walk = Walk(page, live_server)

    # unit1: the proposal, the claim, the pledge
    walk.sign_in("unit1")
    page.get_by_test_id("unit-links").get_by_role("link", name="补贴申领").click()
    expect(page.get_by_test_id("proposal-count")).to_have_text("2")
    expect(page.get_by_test_id("proposal-total")).to_have_text("1600.00")
    expect(page.get_by_role("row").filter(has_text="考核不合格")).to_have_count(1)
    walk.look("unit-proposal")
    page.get_by_role("button", name="生成申领").click()
    walk.flash("已生成申领明细 2 条")
    expect(page.get_by_test_id("claim-status")).to_have_text("草稿")
    page.get_by_label("单位信息（联系人、电话、收款账户）").fill(
        "联系人 王老师 13800000000；收款账户 工商银行天河支行 6222 0000 0000 0000"
    )
    page.get_by_label("评价（考核）机构信息").fill("广州市职业技能鉴定指导中心")
    page.get_by_role("button", name="接受承诺并提交").click()
    expect(page.get_by_role("alert").filter(has_text="诚信承诺")).to_be_visible()
    page.get_by_role("checkbox").check()
    walk.look("unit-claim-draft")
    page.get_by_role("button", name="接受承诺并提交").click()
    walk.flash("申领已提交")
    expect(page.get_by_test_id("claim-status")).to_have_text("已提交，待初审")
    expect(page.get_by_role("button", name="移出")).to_have_count(0)
    claim_url = page.url
    claim_link = "#" + claim_url.rsplit("/", 1)[1]
    walk.sign_out()

    # district: check
    walk.sign_in("tianhe")
    page.get_by_role("link", name="补贴申领初审：逐条通过、核减或不予通过").click()
    page.get_by_role("link", name=claim_link, exact=True).click()
    walk.look("district-claim")
    page.get_by_role("button", name="完成初审").click()
    walk.flash("初审完成")
    expect(page.get_by_test_id("claim-status")).to_have_text("已初审，待财务审批")
    walk.sign_out()

    # finance: reduce one line, approve, pay
    walk.sign_in("finance")
    page.get_by_role("link", name="审核、审批与支付").click()
    page.get_by_role("link", name=claim_link, exact=True).click()
    second = page.get_by_test_id("line-2")
    second.get_by_label("结论").select_option(label="核减")
    second.get_by_label("核减后金额（元）").fill("500")
    second.get_by_label("原因").fill("缺课 8 学时，按比例核减")
    second.get_by_role("button", name="保存结论").click()
    walk.flash("已记录审核结论")
    expect(page.get_by_test_id("line-2").get_by_test_id("decision")).to_have_text("核减")
    walk.look("finance-claim-reduced")
    page.get_by_role("button", name="审批通过").click()
    walk.flash("已审批通过")
    expect(page.get_by_test_id("claim-approved")).to_have_text("1300.00")
    page.get_by_label("银行流水号").fill("ICBC-2027-000123")
    expect(page.get_by_label("支付金额（元）")).to_have_value("1300.00")
    page.get_by_role("button", name="记录支付").click()
    walk.flash("已记录支付")
    expect(page.get_by_test_id("claim-status")).to_have_text("已支付")
    expect(page.get_by_test_id("claim-paid")).to_have_text("1300.00")
    walk.look("finance-claim-paid")

    page.get_by_role("link", name="首页").click()
    page.get_by_role("link", name="补贴对账").click()
    total = page.get_by_test_id("total-row")
    added = {"claimed": (2, 160_000), "approved": (2, 130_000), "paid": (2, 130_000)}
    for stage in ("redeemed", "qualified", "claimed", "approved", "paid"):
        count, fen = added.get(stage, (0, 0))
        cell = total.get_by_test_id(f"{stage}-total")
        expect(cell.locator(f'[data-stage="{stage}"]')).to_have_text(
            str(before.counts[stage] + count)
        )
        if stage != "qualified":
            expect(cell.locator(f'[data-stage-fen="{stage}"]')).to_have_text(
                format_yuan(before.fen[stage] + fen)
            )
    assert before.counts["redeemed"] >= 3 and before.counts["qualified"] >= 2
    expect(page.get_by_test_id("funnel-chart")).to_be_visible()
    walk.look("finance-reconciliation")
    walk.sign_out()

    # the unit sees every status change
    walk.sign_in("unit1")
    page.goto(claim_url)
    timeline = page.get_by_test_id("timeline")
    for step in (
        "系统生成申领明细",
        "接受诚信承诺并提交",
        "区人社局初审完成",
        "逐条审核",
        "财务审批通过",
        "记录支付",
    ):
        expect(timeline).to_contain_text(step)
    walk.look("unit-claim-timeline")

    assert walk.too_wide == []
    assert page.foreign_requests == []
