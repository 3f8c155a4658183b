"""The holder's voucher pages: only the holder sees them; the QR on the page scans back to the
voucher's payload; private caching; what the page says for each state of a voucher."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import PIL.Image
import zxingcpp
from sqlalchemy import update

from tests.factories import login
from tests.integration.test_wallet_signin import sign_in_trainee
from voucher.db import db, unit_of_work, utcnow
from voucher.issuance.models import Voucher
from voucher.issuance.services import voucher_payload

SVG_NS = "{http://www.w3.org/2000/svg}"
SQUARE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H(\d+)z")


def rasterise(svg: str, scale: int = 6) -> PIL.Image.Image:
    """Draw the page's inline SVG QR (white background, one square per dark module)."""
    root = ET.fromstring(svg)  # noqa: S314 — the page's own markup, rendered by our server
    _, _, width, height = (int(float(n)) for n in root.get("viewBox", "").split())
    image = PIL.Image.new("L", (width * scale, height * scale), 255)
    pixels = image.load()
    path = root.find(f"{SVG_NS}path")
    assert path is not None and path.get("fill") in {"#000000", "black"}
    squares = SQUARE.findall(path.get("d", ""))
    assert squares and len(squares) == path.get("d", "").count("z")
    for x, y, x2, y2, _x in squares:
        x, y = int(x), int(y)
        assert (int(x2), int(y2)) == (x + 1, y + 1)
        for dx in range(scale):
            for dy in range(scale):
                pixels[x * scale + dx, y * scale + dy] = 0
    return image


def _svg_of(html: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "no inline SVG on the page"
    return match.group(0)


def test_the_qr_on_the_voucher_page_scans_back_to_the_vouchers_payload(app, client, demo):
    voucher = demo.issue(0)
    sign_in_trainee(app, client, demo.people[0])
    page = client.get(f"/wallet/vouchers/{voucher.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    svg = _svg_of(html)
    root = ET.fromstring(svg)  # noqa: S314 — our own page
    assert root.get("width") is None and root.get("height") is None  # sized by CSS (56 mm)
    assert root.get("aria-label") == "培训券二维码"
    decoded = zxingcpp.read_barcodes(rasterise(svg))
    assert [d.text for d in decoded] == [voucher_payload(voucher)]
    assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode
    # the human code under it, grouped for reading aloud
    code = voucher.human_code
    assert f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12]}" in html


def test_the_print_png_scans_back_to_the_same_payload(app, client, demo):
    voucher = demo.issue(0)
    sign_in_trainee(app, client, demo.people[0])
    png = client.get(f"/wallet/vouchers/{voucher.id}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert "private" in png.headers["Cache-Control"]
    image = PIL.Image.open(io.BytesIO(png.data))
    assert [d.text for d in zxingcpp.read_barcodes(image)] == [voucher_payload(voucher)]


def test_the_voucher_page_shows_amount_validity_masked_holder_and_where_to_use_it(
    app, client, demo
):
    general = demo.issue(0)
    bound = demo.issue(0, entry=demo.housekeeping, unit=demo.units[1].id, amount_fen=60_000)
    sign_in_trainee(app, client, demo.people[0])
    page = client.get(f"/wallet/vouchers/{general.id}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"].startswith("private")
    assert "陈*明" in html and demo.people[0].id_masked in html and "800.00 元" in html
    assert "可使用" in html and "有效期" in html
    assert "/directory?q=" in html  # any accepted unit: the public directory
    html = client.get(f"/wallet/vouchers/{bound.id}").get_data(as_text=True)
    assert "仅限：" + demo.units[1].name in html and "600.00 元" in html
    listing = client.get("/wallet/").get_data(as_text=True)
    assert listing.count("data-voucher=") == 2


def test_another_persons_voucher_is_not_found(app, client, demo):
    mine = demo.issue(0)
    theirs = demo.issue(1)
    sign_in_trainee(app, client, demo.people[0])
    assert client.get(f"/wallet/vouchers/{mine.id}").status_code == 200
    assert client.get(f"/wallet/vouchers/{theirs.id}").status_code == 404
    assert client.get(f"/wallet/vouchers/{theirs.id}/qr.png").status_code == 404
    assert client.get("/wallet/vouchers/999999").status_code == 404
    assert f"/wallet/vouchers/{theirs.id}" not in client.get("/wallet/").get_data(as_text=True)


def test_the_wallet_needs_a_trainee_sign_in_even_for_staff(app, client, demo):
    voucher = demo.issue(0)
    answer = client.get(f"/wallet/vouchers/{voucher.id}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/wallet/login?next=/wallet/vouchers/{voucher.id}"
    login(client, "city")  # a staff account is not a trainee
    assert client.get(f"/wallet/vouchers/{voucher.id}").status_code == 302


def test_after_sign_in_the_trainee_comes_back_to_the_page_asked_for(app, client, demo):
    voucher = demo.issue(0)
    from tests.integration.test_wallet_signin import (
        ask_code,
        id_number_of,
        last_code,
        send_code,
        use_file_sender,
    )

    use_file_sender(app)
    person = demo.people[0]
    client.get(f"/wallet/login?next=/wallet/vouchers/{voucher.id}")
    from tests.factories import csrf_token

    token = csrf_token(client, f"/wallet/login?next=/wallet/vouchers/{voucher.id}")
    client.post(
        f"/wallet/login?next=/wallet/vouchers/{voucher.id}",
        data={"csrf_token": token, "id_number": id_number_of(person), "phone": person.phone},
    )
    answer = send_code(client, last_code())
    assert answer.headers["Location"] == f"/wallet/vouchers/{voucher.id}"
    # an address outside the wallet is never a place to come back to
    client.post("/wallet/logout", data={"csrf_token": csrf_token(client, "/wallet/")})
    ask_code(client, id_number_of(person), person.phone)
    assert client.get("/wallet/login?next=//evil.example/").status_code == 200


def test_a_used_expired_or_revoked_voucher_shows_its_state_and_no_code(app, client, demo):
    voucher = demo.issue(0)
    sign_in_trainee(app, client, demo.people[0])
    for values, label in [
        ({"status": "redeemed"}, "已使用"),
        ({"status": "revoked"}, "已作废"),
        ({"status": "issued", "expires_at": utcnow() - timedelta(seconds=1)}, "已过期"),
    ]:
        with unit_of_work():
            db.session.execute(update(Voucher).where(Voucher.id == voucher.id).values(**values))
        html = client.get(f"/wallet/vouchers/{voucher.id}").get_data(as_text=True)
        assert label in html and "<svg" not in html
        assert client.get(f"/wallet/vouchers/{voucher.id}/qr.png").status_code == 302


def test_the_offline_helper_is_served_with_a_scope_covering_the_wallet(app, client):
    answer = client.get("/wallet/sw.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Service-Worker-Allowed"] == "/wallet/"
    assert "caches.match" in answer.get_data(as_text=True)


def test_the_staff_login_page_links_to_the_trainee_wallet(app, client):
    assert 'href="/wallet/"' in client.get("/login").get_data(as_text=True)


def test_the_wallet_links_to_the_claims_made_in_the_trainees_name(app, client, demo):
    sign_in_trainee(app, client, demo.people[0])
    html = client.get("/wallet/").get_data(as_text=True)
    assert 'href="/wallet/claims"' in html and "以我名义申领的培训补贴" in html
    assert client.get("/wallet/claims").status_code == 200
