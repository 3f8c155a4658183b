"""The desk in a real browser: one voucher scanned through the (fake) camera and redeemed; one
typed by a handheld scanner (the QR text and Enter); both end on a receipt and the voucher is
redeemed exactly once.

The camera is Chromium's fake capture device fed a Y4M made from the rendered QR (DESIGN §6);
this file launches its own Chromium with those arguments. Pages may reach 127.0.0.1 only.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, LiveServer, launch_chromium
from voucher.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 640, 480


def write_y4m(png: bytes, path: Path, frames: int = 15) -> None:
    """A Y4M video (4:2:0) showing the QR centred on white, for Chromium's fake camera."""
    qr = Image.open(io.BytesIO(png)).convert("L")
    side = min(WIDTH, HEIGHT) - 40
    qr = qr.resize((side, side), Image.NEAREST)
    canvas = Image.new("L", (WIDTH, HEIGHT), 255)
    canvas.paste(qr, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def _issue_and_file(server: LiveServer, fee_fen: int) -> dict[str, Any]:
    from tests.factories import DemoWorld
    from voucher.core.qr import qr_png
    from voucher.db import db
    from voucher.issuance.services import voucher_payload

    with server.app.app_context():
        demo = DemoWorld.build()
        voucher = demo.issue(3)
        klass = demo.file_class("unit1", entry=voucher.entry_id, fee_fen=fee_fen)
        facts = {
            "voucher_id": voucher.id,
            "payload": voucher_payload(voucher),
            "png": qr_png(voucher_payload(voucher)),
            "tail": demo.id_tail(voucher),
            "class_name": klass.name,
        }
        db.session.remove()
    return facts


def _status(server: LiveServer, voucher_id: int) -> tuple[str, int]:
    from sqlalchemy import func, select

    from voucher.db import db
    from voucher.issuance.models import Voucher
    from voucher.redemption.models import Redemption

    with server.app.app_context():
        status = db.session.get(Voucher, voucher_id).status  # type: ignore[union-attr]
        count = db.session.execute(
            select(func.count()).where(Redemption.voucher_id == voucher_id)
        ).scalar_one()
        db.session.remove()
    return status, count


def _guarded_page(browser: Any) -> Any:
    context = browser.new_context(
        viewport=PHONE, screen=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True
    )
    context.set_default_timeout(15_000)
    foreign: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname != "127.0.0.1":
            foreign.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.foreign_requests = foreign
    return page


def _sign_in(page: Any, server: LiveServer) -> None:
    page.goto(server("/login"))
    page.get_by_label("用户名").fill("unit1")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出", exact=True)).to_be_visible()


def _confirm_and_redeem(page: Any, facts: dict[str, Any]) -> None:
    expect(page.get_by_test_id("check-valid")).to_be_visible()
    holder_id = page.get_by_test_id("holder-id").inner_text()
    assert holder_id.endswith("****") and facts["tail"] not in holder_id
    page.get_by_label("持券人身份证号码后 4 位（请从身份证上读取）").fill(facts["tail"])
    page.get_by_test_id("redeem").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()


@pytest.fixture
def camera_browser(
    live_server: LiveServer, tmp_path: Path, playwright: Any
) -> Iterator[tuple[Any, dict]]:
    """Chromium whose camera shows the QR of a freshly issued voucher."""
    facts = _issue_and_file(live_server, fee_fen=120_000)
    video = tmp_path / "qr.y4m"
    write_y4m(facts["png"], video)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = launch_chromium(playwright, args)
    yield browser, facts
    browser.close()


def test_a_voucher_scanned_with_the_camera_is_redeemed_once(camera_browser, live_server):
    browser, facts = camera_browser
    page = _guarded_page(browser)
    page.context.grant_permissions(["camera"], origin=live_server.url)
    _sign_in(page, live_server)

    page.goto(live_server("/scan"))
    page.get_by_test_id("camera-start").click()
    page.wait_for_url("**/scan/check?**", timeout=20_000)
    assert "%2FV%2F" in page.url or "/V/" in page.url  # the camera read the QR's URL
    _confirm_and_redeem(page, facts)

    assert "1,200.00" in page.get_by_test_id("receipt-fee").inner_text() or "1200.00" in (
        page.get_by_test_id("receipt-fee").inner_text()
    )
    assert "800.00" in page.get_by_test_id("receipt-offset").inner_text()
    assert "400.00" in page.get_by_test_id("receipt-pay").inner_text()
    assert _status(live_server, facts["voucher_id"]) == ("redeemed", 1)
    assert page.foreign_requests == []


def test_a_handheld_scanner_typing_the_qr_text_and_enter_redeems(page, live_server):
    facts = _issue_and_file(live_server, fee_fen=50_000)
    _sign_in(page, live_server)

    page.goto(live_server("/scan"))
    code = page.get_by_test_id("code")
    expect(code).to_be_focused()
    page.keyboard.type(facts["payload"], delay=2)  # a scanner is a fast keyboard
    page.keyboard.press("Enter")
    _confirm_and_redeem(page, facts)
    assert "0.00" in page.get_by_test_id("receipt-pay").inner_text()

    # the same voucher scanned again: refused at once, with the reason
    page.goto(live_server("/scan"))
    expect(page.get_by_test_id("code")).to_be_focused()  # keys sent earlier would be lost
    page.keyboard.type(facts["payload"].lower(), delay=2)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("check-invalid")).to_contain_text("已经核销")
    assert _status(live_server, facts["voucher_id"]) == ("redeemed", 1)
    assert page.foreign_requests == []
