"""One 揭榜领题 application walked through in a real browser on a 360-px-wide phone.

unit1 drafts an application with one occupation from the catalogue and submits it; the Tianhe
district officer passes it; the city officer scores it, approves it, starts the public notice and
(after the notice) records the filing with the province; the public directory then lists unit1 with
the new occupation. Tianhe warns unit1, is refused removal before the correction deadline, and
removes it after; unit1 then shows as 已退出名单 and leaves the directory.

Business dates are frozen with ``frozen_today`` (the live server runs in this process). Each main
page is checked for sideways scrolling at 360 px; screenshots go to /tmp/e2e-walk/.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, LiveServer
from voucher.core.clock import frozen_today
from voucher.demo import DEMO_PASSWORD
from voucher.units.rules import DEFAULT_CRITERIA

pytestmark = pytest.mark.browser

SHOTS = Path(tempfile.gettempdir()) / "e2e-walk"  # /tmp/e2e-walk, not the repository
UNIT1 = "广州天河职业技能培训学校（演示）"
PROJECT = "“一老一小”保育师培训项目（端到端）"
OCCUPATION = "保育师"
OCCUPATION_OPTION = "保育师（4-10-01-03）"
REFERENCE = "粤人社函〔2027〕88号"
#: The application timeline in order (voucher/units/review.py ACTION_LABELS).
TIMELINE = [
    "创建申报草稿",
    "添加职业（工种）",
    "提交区人社局",
    "区人社局初审通过",
    "评审打分",
    "集体决策：通过",
    "开始社会公示",
    "报省人社厅备案，确定为揭榜单位",
]


class Walk:
    """The page, the server, and what the walk noticed along the way."""

    def __init__(self, page: Any, server: LiveServer) -> None:
        self.page = page
        self.server = server
        self.too_wide: list[str] = []
        self.shot_count = 0

    def goto(self, path: str) -> None:
        self.page.goto(self.server(path))

    def look(self, name: str) -> None:
        """Check the page does not scroll sideways at 360 px, and take a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.too_wide.append(f"{name} ({page.url}): {width}px")
        self.shot_count += 1
        page.screenshot(path=SHOTS / f"{self.shot_count:02d}-{name}.png", full_page=True)

    def sign_in(self, username: str) -> None:
        self.goto("/login")
        page = self.page
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("button", name="退出", exact=True)).to_be_visible()

    def sign_out(self) -> None:
        page = self.page
        page.get_by_role("button", name="退出", exact=True).click()
        expect(page.get_by_text("已退出登录")).to_be_visible()

    def flash(self, text: str) -> None:
        expect(self.page.get_by_role("status").filter(has_text=text)).to_be_visible()

    def refusal(self, text: str) -> None:
        expect(self.page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def unit_drafts_and_submits(walk: Walk) -> str:
    """unit1: new application, one occupation, budget, submit; returns the application URL."""
    page = walk.page
    walk.sign_in("unit1")
    page.get_by_test_id("unit-links").get_by_role("link", name="项目申报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("项目申报")
    expect(page.get_by_test_id("round")).to_contain_text("2027-08-10")
    walk.look("unit-applications")

    page.get_by_role("link", name="新建申报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建申报")
    page.get_by_label("项目类别").select_option(value="programme")
    page.get_by_label("项目名称").fill(PROJECT)
    page.get_by_role("checkbox", name="天河区", exact=True).check()
    page.get_by_role("checkbox", name="越秀区", exact=True).check()
    page.get_by_label("需求分析").fill("天河区托育机构保育人员缺口约 300 人，持证上岗需求迫切。")
    page.get_by_label("指导就业计划").fill("与 20 家托育机构签订用人协议，训后三个月电话回访。")
    walk.look("unit-new-application")
    page.get_by_role("button", name="保存草稿").click()
    walk.flash("申报草稿已保存，请添加职业（工种）")
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT)
    expect(page.get_by_test_id("application-status")).to_have_text("草稿")
    application_url = page.url

    page.get_by_role("link", name="添加职业（工种）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("添加职业（工种）")
    page.get_by_label("目录中的职业（工种）").select_option(label=OCCUPATION_OPTION)
    page.get_by_label("职业（工种）介绍").fill("为托育机构培养婴幼儿照护人员。")
    page.get_by_label("计划年培训人数（人）").fill("50")
    page.get_by_label("培训班次").fill("2")
    page.get_by_label("培训学时").fill("80")
    page.get_by_label("班级人数").fill("25")
    page.get_by_label("培训内容与培训时间安排").fill("理论 30 学时，实操 50 学时，每期两周。")
    page.get_by_label("培训形式").select_option(label="全线下")
    page.get_by_label("教辅材料").fill("《保育师》国家职业技能标准配套教材")
    page.get_by_label("职业技能标准（考核大纲）").fill("保育师国家职业技能标准（2021 年版）")
    page.get_by_label("考核方式").fill("理论考试与实操考核")
    page.get_by_label("相关证书").fill("保育师职业技能等级证书")
    page.get_by_label("师资：总人数").fill("6")
    page.get_by_label("场地情况").fill("天河区自有实训室 300 平方米，工位 30 个")
    page.locator('[name="equipment-0-name"]').fill("婴儿护理模型")
    page.locator('[name="equipment-0-quantity"]').fill("10")
    page.get_by_label("单位承接该职业（工种）优势").fill("多年南粤家政培训经验")
    page.get_by_label("建议补贴标准（元/人）").fill("800")
    walk.look("unit-occupation-form")
    page.get_by_role("button", name="保存", exact=True).click()
    walk.flash("职业（工种）已保存")

    occupation = page.get_by_test_id("occupation")
    expect(occupation).to_have_count(1)
    expect(occupation.get_by_role("heading")).to_have_text(OCCUPATION)
    expect(page.get_by_test_id("budget")).to_have_text("40000.00")
    expect(page.locator("ul.errors")).to_have_count(0)  # nothing missing before submission
    walk.look("unit-application-draft")

    page.get_by_role("button", name="提交", exact=True).click()
    walk.flash("已提交区人社局")
    expect(page).to_have_url(application_url)
    expect(page.get_by_test_id("application-status")).to_have_text("已提交区人社局")
    expect(page.get_by_test_id("budget")).to_have_text("40000.00")
    # Read-only now: no edit links, no add/remove, no submit.
    for link in ("修改项目信息", "添加职业（工种）", "修改"):
        expect(page.get_by_role("link", name=link, exact=True)).to_have_count(0)
    for button in ("提交", "删除"):
        expect(page.get_by_role("button", name=button, exact=True)).to_have_count(0)
    walk.look("unit-application-submitted")

    page.get_by_role("link", name="首页").click()  # the application page has no link back
    page.get_by_test_id("unit-links").get_by_role("link", name="项目申报").click()
    row = page.get_by_role("row").filter(has_text=PROJECT)
    expect(row).to_contain_text("已提交区人社局")
    expect(row).to_contain_text("40000.00")
    walk.sign_out()
    return application_url


def district_passes(walk: Walk) -> None:
    page = walk.page
    walk.sign_in("tianhe")
    walk.goto("/review/district")
    expect(page.get_by_role("heading", level=1)).to_have_text("申报初审 · 天河区")
    row = page.get_by_role("row").filter(has_text=PROJECT)
    expect(row).to_contain_text(UNIT1)
    expect(row).to_contain_text("50")
    walk.look("district-review")
    row.get_by_role("button", name="初审通过").click()
    walk.flash("已初审通过，纳入本区汇总表")
    expect(page.get_by_role("heading", name=re.compile(r"^区初审通过"))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=PROJECT)).to_contain_text("查看")
    walk.sign_out()


def city_scores_approves_and_notices(walk: Walk) -> str:
    """city: score every criterion, approve 40 × 800, notice from 2027-07-01; returns the URL."""
    page = walk.page
    walk.sign_in("city")
    walk.goto("/review/city")
    expect(page.get_by_role("heading", level=1)).to_have_text("评审与揭榜")
    walk.look("city-review")
    page.get_by_role("link", name=PROJECT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT)
    expect(page.get_by_test_id("status")).to_have_text("区初审通过")
    review_url = page.url

    for score, criterion in zip((90, 85, 80, 88, 95), DEFAULT_CRITERIA, strict=True):
        page.get_by_label(f"{criterion['label']}（权重 {criterion['weight']}%）").fill(str(score))
    walk.look("city-application-scoring")
    page.get_by_role("button", name="保存评分").click()
    walk.flash("评分已保存")
    expect(page.get_by_test_id("weighted")).to_have_text("86.35")  # 18 + 21.25 + 20 + 17.6 + 9.5

    page.get_by_label("集体决策", exact=True).select_option(label="通过")
    page.get_by_label("决策意见 / 不予通过理由").fill("经集体研究，同意确定为揭榜单位。")
    page.get_by_label(f"{OCCUPATION} 核定人数").fill("40")
    page.get_by_label(f"{OCCUPATION} 补贴标准（元/人）").fill("800")
    page.get_by_role("button", name="记录决策").click()
    walk.flash("集体决策已记录")
    expect(page.get_by_test_id("status")).to_have_text("集体决策通过")
    row = page.get_by_role("row").filter(has_text=OCCUPATION)
    expect(row.locator('td[data-label="核定人数"]')).to_have_text("40")
    expect(row.locator('td[data-label="核定标准（元/人）"]')).to_have_text("800.00")

    page.get_by_label("公示开始日期").fill("2027-07-01")
    page.get_by_role("button", name="开始公示").click()
    walk.flash("已开始公示")
    expect(page.get_by_test_id("status")).to_have_text("公示中")
    expect(page.get_by_text("2027-07-01 至 2027-07-07", exact=True)).to_be_visible()
    walk.look("city-application-in-notice")
    return review_url


def city_files(walk: Walk, review_url: str) -> None:
    """city (still signed in): the filing with the province after the notice ended."""
    page = walk.page
    page.goto(review_url)
    expect(page.get_by_test_id("status")).to_have_text("公示中")
    page.get_by_label("报省备案日期").fill("2027-07-15")
    page.get_by_label("备案文号").fill(REFERENCE)
    page.get_by_role("button", name="记录备案").click()
    walk.flash("已报省备案，该单位已列入揭榜单位名单")
    expect(page.get_by_test_id("status")).to_have_text("已报省备案（揭榜单位）")
    expect(page.get_by_text(f"2027-07-15 · {REFERENCE}", exact=True)).to_be_visible()
    # No further city actions on an accepted application.
    for button in ("保存评分", "记录决策", "开始公示", "记录备案", "记录异议"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)

    steps = page.locator("ol.timeline > li > strong")
    expect(steps).to_have_text(TIMELINE)
    walk.look("city-application-filed")
    walk.sign_out()


def unit_sees_accepted(walk: Walk, application_url: str) -> None:
    page = walk.page
    walk.sign_in("unit1")
    page.goto(application_url)
    expect(page.get_by_test_id("application-status")).to_have_text("已备案（揭榜单位）")
    expect(page.get_by_role("link", name="修改项目信息")).to_have_count(0)
    expect(page.get_by_test_id("timeline").locator("li > strong")).to_have_text(TIMELINE)
    walk.look("unit-application-accepted")
    walk.goto("/unit")
    row = page.get_by_role("row").filter(has_text=OCCUPATION)
    expect(row).to_contain_text("40")
    expect(row).to_contain_text("800.00")
    walk.sign_out()


def directory_card(walk: Walk) -> Any:
    page = walk.page
    walk.goto("/directory")
    expect(page.get_by_role("heading", level=1)).to_have_text("揭榜单位名录")
    return page.locator("section.card[data-unit]").filter(
        has=page.get_by_role("heading", name=UNIT1, exact=True)
    )


def district_warns_and_removes(walk: Walk) -> None:
    page = walk.page
    walk.sign_in("tianhe")
    walk.goto("/review/monitoring")
    expect(page.get_by_role("heading", level=1)).to_have_text("揭榜单位监管")
    walk.look("monitoring-index")
    page.get_by_role("link", name=UNIT1).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(UNIT1)
    expect(page.get_by_test_id("unit-status")).to_have_text("揭榜单位")

    page.get_by_label("评估结果").select_option(label="良好")
    page.get_by_label("评估意见").fill("保育师首期开班正常，学员出勤率 95%。")
    page.get_by_role("button", name="记录评估").click()
    walk.flash("阶段评估已记录")
    expect(page.get_by_role("row").filter(has_text="阶段评估")).to_contain_text("良好")

    warning = "培训台账不完整，请补齐签到记录。"
    page.get_by_label("警告内容（需整改的问题）").fill(warning)
    # The label points at the warning form's own box (not the evaluation's "note").
    expect(page.locator('form[action$="/monitoring/warn"] textarea')).to_have_value(warning)
    page.get_by_label("整改期限").fill("2027-07-20")
    page.get_by_role("button", name="发出警告").click()
    walk.flash("提醒警告已记录")
    expect(page.get_by_test_id("unit-status")).to_have_text("已警告")
    expect(page.get_by_role("heading", name="未整改的警告")).to_be_visible()

    page.get_by_label("退出理由").fill("逾期未整改")
    page.get_by_role("button", name="退出揭榜单位名单").click()
    walk.refusal("整改期限 2027-07-20 尚未届满，期满仍未整改才能退出揭榜单位名单")
    expect(page.get_by_test_id("unit-status")).to_have_text("已警告")
    walk.look("monitoring-removal-refused")
    unit_url = page.url.removesuffix("/remove")

    with frozen_today(date(2027, 7, 25)):
        page.goto(unit_url)
        page.get_by_label("退出理由").fill("整改期限届满仍未整改")
        page.get_by_role("button", name="退出揭榜单位名单").click()
        walk.flash("已退出揭榜单位名单")
        expect(page.get_by_test_id("unit-status")).to_have_text("已退出名单")
        expect(page.get_by_role("button", name="发出警告")).to_have_count(0)
        walk.look("monitoring-removed")
    walk.sign_out()


def test_one_application_from_draft_to_removal(page: Any, live_server: LiveServer) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    walk = Walk(page, live_server)

    with frozen_today(date(2027, 7, 1)):
        application_url = unit_drafts_and_submits(walk)
        district_passes(walk)
        review_url = city_scores_approves_and_notices(walk)

    with frozen_today(date(2027, 7, 15)):
        city_files(walk, review_url)
        unit_sees_accepted(walk, application_url)

        card = directory_card(walk)  # signed out: the public directory
        expect(card).to_have_count(1)
        row = card.get_by_role("row").filter(has_text=OCCUPATION)
        expect(row.locator('td[data-label="计划人数"]')).to_have_text("40")
        expect(row.locator('td[data-label="补贴标准（元/人）"]')).to_have_text("800.00")
        walk.look("directory-listed")

        district_warns_and_removes(walk)

    walk.sign_in("unit1")
    expect(page.get_by_test_id("home-title")).to_have_text(UNIT1)
    expect(page.locator("main p.muted").first).to_contain_text("已退出名单")
    walk.look("unit-home-removed")
    walk.sign_out()

    expect(directory_card(walk)).to_have_count(0)
    expect(page.get_by_text(UNIT1)).to_have_count(0)
    walk.look("directory-after-removal")

    assert page.foreign_requests == []
    assert walk.too_wide == [], "pages scroll sideways at 360 px: " + "; ".join(walk.too_wide)
