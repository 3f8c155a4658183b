"""QR rendering: a real token URL fits a small QR version and scans back to the exact payload."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import PIL.Image
import pytest
import qrcode.constants
import qrcode.util
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from voucher.core.qr import BORDER_MODULES, build_qr, qr_png, qr_svg
from voucher.core.token import VoucherClaims, key_id_for, qr_payload, sign_token, verify_token

HOST = "VOUCHER.RSJ.GZ.GOV.CN"
SVG_NS = "{http://www.w3.org/2000/svg}"

PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = PRIVATE_KEY.public_key()
KEY_ID = key_id_for(PUBLIC_KEY)
CLAIMS = VoucherClaims(
    key_id=KEY_ID,
    voucher_id=bytes.fromhex("8f14e45fceea167a5a36dedd4bea2543"),
    holder_ref=bytes.fromhex("c4ca4238a0b923820dcc509a6f75849b"),
    amount_fen=300_000,
    programme=65_535,
    unit=4_294_967_295,
    not_before=1_767_225_600,
    expires=1_798_761_600,
)
PAYLOAD = qr_payload(sign_token(CLAIMS, PRIVATE_KEY), HOST)


def resolve(key_id: bytes) -> Ed25519PublicKey | None:
    """Key registry holding only the issuing key."""
    return PUBLIC_KEY if key_id == KEY_ID else None


def parse_svg(svg: str) -> ET.Element:
    """Parse SVG text this module rendered itself (trusted input)."""
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted XML


def test_a_token_url_is_encoded_as_one_alphanumeric_segment() -> None:
    qr = build_qr(PAYLOAD)
    assert [segment.mode for segment in qr.data_list] == [qrcode.util.MODE_ALPHA_NUM]


def test_a_token_url_on_the_production_host_fits_qr_version_10_or_lower_at_level_m() -> None:
    qr = build_qr(PAYLOAD)
    assert qr.error_correction == qrcode.constants.ERROR_CORRECT_M
    assert len(PAYLOAD) == 229
    assert qr.version <= 10
    assert qr.version == 9  # 229 alphanumeric characters: version 9-M holds up to 259


def test_a_lower_case_url_would_need_byte_mode_and_a_larger_version() -> None:
    lower = build_qr(PAYLOAD.lower())
    assert [segment.mode for segment in lower.data_list] == [qrcode.util.MODE_8BIT_BYTE]
    assert lower.version > build_qr(PAYLOAD).version


def test_the_png_scans_back_to_exactly_the_payload_and_the_token_verifies() -> None:
    png = qr_png(PAYLOAD)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    results = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    assert results[0].text == PAYLOAD
    assert verify_token(results[0].text, resolve) == CLAIMS


@pytest.mark.parametrize("box_size", [1, 3, 8])
def test_the_png_has_box_size_pixels_per_module_including_the_quiet_zone(box_size: int) -> None:
    image = PIL.Image.open(io.BytesIO(qr_png(PAYLOAD, box_size=box_size)))
    side = (build_qr(PAYLOAD).modules_count + 2 * BORDER_MODULES) * box_size
    assert image.size == (side, side)


def test_the_png_quiet_zone_is_four_white_modules() -> None:
    box_size = 8
    image = PIL.Image.open(io.BytesIO(qr_png(PAYLOAD, box_size=box_size))).convert("L")
    quiet = BORDER_MODULES * box_size
    assert image.crop((0, 0, image.width, quiet)).getextrema() == (255, 255)
    assert image.crop((0, 0, quiet, image.height)).getextrema() == (255, 255)
    assert image.getpixel((quiet, quiet)) == 0  # finder pattern corner starts right after it


def test_the_png_refuses_a_box_size_below_one_pixel() -> None:
    with pytest.raises(ValueError):
        qr_png(PAYLOAD, box_size=0)


def test_the_svg_scales_by_its_viewbox_without_a_fixed_size() -> None:
    root = parse_svg(qr_svg(PAYLOAD))
    assert root.tag == f"{SVG_NS}svg"
    side = build_qr(PAYLOAD).modules_count + 2 * BORDER_MODULES
    assert root.get("viewBox") == f"0 0 {side} {side}"
    assert root.get("width") is None
    assert root.get("height") is None


def test_the_svg_is_one_path_on_a_white_background_without_element_ids() -> None:
    svg = qr_svg(PAYLOAD)
    assert not svg.startswith("<?xml")
    root = parse_svg(svg)
    assert [child.tag for child in root] == [f"{SVG_NS}rect", f"{SVG_NS}path"]
    assert root[0].get("fill") == "white"
    assert all(element.get("id") is None for element in root.iter())
    assert root.get("role") == "img"
    assert root.get("aria-label")


def test_the_svg_gets_a_physical_size_only_when_asked() -> None:
    root = parse_svg(qr_svg(PAYLOAD, box_size_mm=0.5))
    side = build_qr(PAYLOAD).modules_count + 2 * BORDER_MODULES
    assert root.get("width") == f"{side * 0.5:g}mm"
    assert root.get("height") == root.get("width")
    with pytest.raises(ValueError):
        qr_svg(PAYLOAD, box_size_mm=0)


def test_an_empty_payload_is_refused() -> None:
    with pytest.raises(ValueError):
        build_qr("")
