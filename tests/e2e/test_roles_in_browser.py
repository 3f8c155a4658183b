"""Each demo role in a real browser on a 360-px-wide phone: sign in, home page, sign out.

Also: a wrong password, the city officer setting a subsidy standard from the catalogue, a unit
operator seeing the same entry read-only, and the API docs page working with no outside host.
Screenshots land in /tmp/e2e-shots/ for a person to look at (they are not compared).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, LiveServer
from voucher.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

HOMES = {
    "city": ("/city", "市人社局工作台"),
    "tianhe": ("/district", "区人社局工作台 · 天河区"),
    "unit1": ("/unit", "广州天河职业技能培训学校（演示）"),
    "unit2": ("/unit", "广州市越秀南粤家政服务培训中心（演示）"),
    "finance": ("/finance", "财务审核工作台"),
}


def login_url(server: LiveServer) -> re.Pattern[str]:
    """The login page, with or without a ``next`` parameter."""
    return re.compile(re.escape(server("/login")) + r"(\?.*)?$")


def assert_fits_phone(page: Any) -> None:
    """The page does not scroll sideways at 360 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide, scrolls sideways"


def assert_topbar_fits(page: Any) -> None:
    """The top bar stays at two rows (brand and 退出, then the menu) with finger-sized links."""
    bar = page.locator("header.topbar").bounding_box()
    assert bar is not None and bar["height"] <= 110, f"top bar is {bar} — wrapped into extra rows"
    for link in page.locator("header.topbar a").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44, f"{link.inner_text()!r} is {box} (< 44 px)"


def sign_in(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the login form and submit it."""
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def sign_out(page: Any) -> None:
    """Press 退出 in the top bar."""
    page.get_by_role("button", name="退出").click()


@pytest.mark.parametrize("username", list(HOMES))
def test_role_signs_in_lands_home_and_signs_out(
    page: Any, live_server: LiveServer, shots: Path, username: str
) -> None:
    path, heading = HOMES[username]

    page.goto(live_server("/"))
    expect(page).to_have_url(login_url(live_server))
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    assert_fits_phone(page)
    if username == "city":
        page.screenshot(path=shots / "login.png", full_page=True)

    sign_in(page, username)
    expect(page).to_have_url(live_server(path))
    expect(page.get_by_test_id("home-title")).to_have_text(heading)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_fits_phone(page)
    assert_topbar_fits(page)
    page.screenshot(path=shots / f"home-{username}.png", full_page=True)

    sign_out(page)
    expect(page).to_have_url(login_url(live_server))
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    expect(page.get_by_text("已退出登录")).to_be_visible()
    page.goto(live_server(path))
    expect(page).to_have_url(login_url(live_server))


def test_wrong_password_is_refused(page: Any, live_server: LiveServer, shots: Path) -> None:
    page.goto(live_server("/login"))
    sign_in(page, "city", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(page).to_have_url(login_url(live_server))
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
    assert_fits_phone(page)
    page.screenshot(path=shots / "login-wrong-password.png", full_page=True)


def open_care_entry(page: Any, shots: Path | None = None) -> None:
    """Search the catalogue for 养老 and open 养老护理员."""
    page.get_by_role("link", name="职业目录").click()
    page.get_by_role("searchbox", name="搜索").fill("养老")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/catalogue\?.*q=%E5%85%BB%E8%80%81"))
    entry = page.get_by_role("link", name="养老护理员", exact=True)
    expect(entry).to_be_visible()
    assert_fits_phone(page)
    if shots is not None:
        page.screenshot(path=shots / "catalogue-search.png", full_page=True)
    entry.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("养老护理员")
    assert_fits_phone(page)


def test_city_officer_sets_a_standard_from_the_catalogue(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    page.goto(live_server("/login"))
    sign_in(page, "city")
    expect(page).to_have_url(live_server("/city"))

    open_care_entry(page, shots)
    level_3 = page.locator('td[data-level="3"]')
    expect(level_3).to_have_count(0)
    page.get_by_label("证书等级").select_option(label="三级/高级工")
    page.get_by_label("补贴标准（元）").fill("1800")
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("status")).to_have_text("补贴标准已保存")
    expect(level_3).to_have_text("1800.00")
    expect(page.locator('td[data-level="5"]')).to_have_text("1500.00")  # the others unchanged
    assert_fits_phone(page)
    page.screenshot(path=shots / "catalogue-entry-city.png", full_page=True)


def test_unit_operator_sees_the_entry_without_a_form(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    page.goto(live_server("/login"))
    sign_in(page, "unit1")
    expect(page).to_have_url(live_server("/unit"))

    open_care_entry(page)
    expect(page.locator('td[data-level="4"]')).to_have_text("2000.00")
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_role("button", name="保存")).to_have_count(0)
    expect(page.get_by_label("补贴标准（元）")).to_have_count(0)
    page.screenshot(path=shots / "catalogue-entry-unit.png", full_page=True)


def test_api_docs_render_from_local_assets_only(
    page: Any, live_server: LiveServer, shots: Path
) -> None:
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(live_server("/api/docs"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("广州职业培训券系统 API")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shots / "api-docs.png")

    assert page.foreign_requests == [], "the docs page reached outside 127.0.0.1"
    assert all(url.startswith(live_server.url) for url in requested if "://" in url), requested
    assert any("/static/vendor/swagger-ui/" in url for url in requested)
    assert problems == []
