"""Browser fixtures: the real app served over HTTP on 127.0.0.1, and headless Chromium.

The browser is Debian's Chromium (``/usr/bin/chromium``): Playwright's own browser download is
not reachable here. When Chromium is missing, browser tests FAIL with a message saying how to
install it; they are never skipped. Pages may talk to 127.0.0.1 only: any other request is
aborted and recorded in ``page.foreign_requests`` so tests can assert there was none.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.conftest import base_config
from voucher import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
LOCAL_HOSTS = {"127.0.0.1"}
#: Screenshots for a person to look at (never in the repository): /tmp/e2e-shots by default.
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR") or Path(tempfile.gettempdir()) / "e2e-shots")


@dataclass
class LiveServer:
    """A running app: its base URL and the Flask app (for looking into the database)."""

    url: str
    app: Flask

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of a path on this server."""
        return self.url + path


@pytest.fixture
def live_server(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """The app on a fresh copy of the SQLite template with the demo data, over real HTTP.

    Function scope: each test starts from the demo data alone (a test that sets a standard
    cannot change what the next one sees), and from a fresh login rate limit.
    """
    from werkzeug.serving import make_server

    from tests.factories import know_the_coming_weeks
    from voucher.accounts.access import Actor
    from voucher.demo import load_demo
    from voucher.extensions import db
    from voucher.issuance.keys import ensure_active_key

    path = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, path)
    monkeypatch.setenv("VOUCHER_INSTANCE_PATH", str(tmp_path / "instance"))
    config = base_config(tmp_path, f"sqlite:///{path}")
    config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    app = create_app(config)
    with app.app_context():
        know_the_coming_weeks()  # the demo's classes start in the coming weeks
        load_demo()
        ensure_active_key(Actor.system("e2e"))
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """One Playwright driver for the session (the sync API runs one per thread)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: browser tests need Debian's chromium package "
            "(apt-get update && apt-get install -y chromium fonts-noto-cjk)",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dev dependency missing
        pytest.fail(f"Playwright for Python is not installed: {exc}", pytrace=False)

    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


def launch_chromium(playwright: Any, args: list[str] = CHROMIUM_ARGS) -> Any:
    """Headless Debian Chromium with these arguments; fails (never skips) when it cannot start."""
    try:
        return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
    except Exception as exc:
        pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """Headless Chromium driven by Playwright, shared by the session."""
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized page (360×740, zh-CN) that may only reach 127.0.0.1.

    Requests to any other host are aborted and listed in ``page.foreign_requests``.
    """
    context = browser.new_context(
        viewport=PHONE,
        screen=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    context.set_default_timeout(10_000)
    foreign: list[str] = []

    def guard(route: Any) -> None:
        url = route.request.url
        scheme, host = urlsplit(url).scheme, urlsplit(url).hostname
        if scheme in {"http", "https", "ws", "wss"} and host not in LOCAL_HOSTS:
            foreign.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.foreign_requests = foreign
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where screenshots go (outside the repository)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
