"""The trainee's wallet in headless Chromium on a 360-px phone.

The trainee signs in with the one-time code read from the file sender, opens a voucher, and the
phone then loses its network: reloading still shows the voucher (service worker, network first).
Without JavaScript the pages still work; printed, only the voucher remains, on one A6 page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import PIL.Image
import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.e2e.conftest import LOCAL_HOSTS, PHONE, SHOTS, LiveServer
from voucher.keyring import pii_cipher
from voucher.notify.senders import file_path, read_file_messages

pytestmark = pytest.mark.browser

CSS_PX_PER_MM = 96 / 25.4


class Trainee:
    """A demo trainee with a voucher, on the live server."""

    def __init__(self, server: LiveServer) -> None:
        from tests.factories import DemoWorld
        from voucher.db import db
        from voucher.issuance.services import voucher_payload

        app = server.app
        app.config["NOTIFY_SENDER"] = "file"
        app.extensions.pop("voucher.notify.sender", None)
        with app.app_context():
            world = DemoWorld.build()
            voucher = world.issue(0)
            person = world.people[0]
            self.voucher_id = voucher.id
            self.human_code = voucher.human_code
            self.payload = voucher_payload(voucher)
            self.id_number = pii_cipher().decrypt(person.id_cipher, aad=b"person.id_number")
            self.phone = person.phone
            self.messages_path = file_path()
            db.session.remove()
        self.server = server

    @property
    def display_code(self) -> str:
        c = self.human_code
        return f"{c[:4]}-{c[4:8]}-{c[8:12]}-{c[12]}"

    def last_code(self) -> str:
        match = re.search(r"验证码是 (\d{6})", read_file_messages(self.messages_path)[-1]["text"])
        assert match
        return match.group(1)

    def sign_in(self, page: Any) -> None:
        page.goto(self.server("/login"))
        page.get_by_role("link", name="我的培训券").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的培训券")
        page.get_by_label("身份证号码").fill(self.id_number)
        page.get_by_label("手机号码").fill(self.phone)
        page.get_by_role("button", name="获取验证码").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("输入短信验证码")
        expect(page.get_by_role("status")).to_contain_text("验证码已通过短信发送")
        page.get_by_label("短信验证码").fill(self.last_code())
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的培训券")

    def open_voucher(self, page: Any) -> None:
        page.get_by_role("link", name="养老护理员").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("广州市职业培训券")
        expect(page.locator("[data-human-code]")).to_have_text(self.display_code)


@pytest.fixture
def trainee(live_server: LiveServer) -> Trainee:
    return Trainee(live_server)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Make phone-sized pages (JavaScript on or off) that may reach 127.0.0.1 only."""
    contexts: list[Any] = []

    def make(*, javascript: bool = True) -> Any:
        context = browser.new_context(
            viewport=PHONE,
            screen=PHONE,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        foreign: list[str] = []

        def guard(route: Any) -> None:
            parts = urlsplit(route.request.url)
            if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
                foreign.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", guard)
        contexts.append(context)
        tab = context.new_page()
        tab.foreign_requests = foreign
        return tab

    yield make
    for context in contexts:
        context.close()


def _qr_from_screen(page: Any, tmp_path: Any) -> tuple[str, float]:
    """Screenshot the QR element as the phone shows it; return its text and width in CSS px."""
    qr = page.locator(".qr svg")
    box = qr.bounding_box()
    shot = tmp_path / "qr.png"
    qr.screenshot(path=shot)
    decoded = zxingcpp.read_barcodes(PIL.Image.open(shot))
    assert len(decoded) == 1, decoded
    return decoded[0].text, box["width"]


def test_a_trainee_signs_in_opens_a_voucher_and_still_sees_it_offline(
    new_page: Any, trainee: Trainee, tmp_path: Any
) -> None:
    page = new_page()
    trainee.sign_in(page)
    trainee.open_voucher(page)
    text, width = _qr_from_screen(page, tmp_path)
    assert text == trainee.payload
    assert 35 <= width / CSS_PX_PER_MM <= 60  # CSS millimetres, quiet zone included
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "wallet-voucher.png", full_page=True)

    # the offline helper is in charge and holds a copy of this page
    page.wait_for_function(
        """async () => {
            if (!navigator.serviceWorker.controller) return false;
            const cache = await caches.open("wallet-v1");
            return !!(await cache.match(location.href));
        }""",
        timeout=15_000,
    )
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("广州市职业培训券")
    expect(page.locator("[data-human-code]")).to_have_text(trainee.display_code)
    text, _ = _qr_from_screen(page, tmp_path)
    assert text == trainee.payload
    # the list of vouchers was visited too, and opens offline as well
    page.get_by_role("link", name="‹ 我的培训券").click()
    expect(page.get_by_role("link", name="养老护理员")).to_be_visible()
    page.context.set_offline(False)

    # signing out clears the offline copies
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_contain_text("已退出")
    page.wait_for_function(
        "async () => (await caches.keys()).filter(k => k.startsWith('wallet-')).length === 0"
    )
    page.goto(trainee.server(f"/wallet/vouchers/{trainee.voucher_id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我的培训券")  # the sign-in page
    assert page.foreign_requests == []


def test_the_wallet_works_without_javascript(new_page: Any, trainee: Trainee, tmp_path) -> None:
    page = new_page(javascript=False)
    trainee.sign_in(page)
    trainee.open_voucher(page)
    text, _ = _qr_from_screen(page, tmp_path)
    assert text == trainee.payload
    expect(page.get_by_text("800.00 元")).to_be_visible()
    expect(page.get_by_role("button", name="打印本券（A6）")).to_be_hidden()  # needs a script
    expect(page.get_by_role("link", name="二维码图片（打印用）")).to_be_visible()


def test_printing_shows_only_the_voucher_on_one_a6_page(new_page: Any, trainee: Trainee) -> None:
    page = new_page()
    trainee.sign_in(page)
    trainee.open_voucher(page)
    expect(page.get_by_role("button", name="打印本券（A6）")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#ticket")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    for hidden in [".topbar", ".footer", ".wallet-bar", ".wallet-links", ".offline-note"]:
        expect(page.locator(hidden)).to_be_hidden()
    width = page.locator(".qr svg").bounding_box()["width"]
    assert abs(width / CSS_PX_PER_MM - 50) < 1  # 50 mm on paper

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "wallet-print.png", full_page=True)
    pdf = page.pdf(prefer_css_page_size=True)
    (SHOTS / "wallet-print.pdf").write_bytes(pdf)
    sizes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(set(sizes)) == 1, sizes
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == 1  # one page
    width_pt, height_pt = (float(n) for n in sizes[0])
    assert abs(width_pt - 105 / 25.4 * 72) < 1 and abs(height_pt - 148 / 25.4 * 72) < 1  # A6
