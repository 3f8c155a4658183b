"""QR rendering of voucher payloads: inline scalable SVG for pages, PNG for downloads and print.

Both use error correction level M and the standard 4-module quiet zone. The payload goes in as
one segment in the most compact mode that fits it, so an upper-case token URL from
``voucher.core.token.qr_payload`` is encoded in alphanumeric mode.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.pil
import qrcode.image.svg
from flask_babel import lazy_gettext as _l

__all__ = ["BORDER_MODULES", "build_qr", "qr_png", "qr_svg"]

BORDER_MODULES = 4
# qrcode's SVG factories count 10 "pixels" per mm: 10 makes one module one viewBox unit.
_SVG_UNIT_BOX = 10


def build_qr(payload: str) -> qrcode.QRCode:
    """Return a fitted QRCode (level M, border 4) holding the payload as a single segment."""
    if not payload:
        raise ValueError("empty QR payload")
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=BORDER_MODULES,
        box_size=_SVG_UNIT_BOX,
    )
    # optimize=0: one segment, mode chosen by qrcode (alphanumeric for an upper-case URL).
    qr.add_data(payload, optimize=0)
    qr.make(fit=True)
    return qr


def qr_svg(payload: str, *, box_size_mm: float | None = None) -> str:
    """Return an inline ``<svg>`` (viewBox, no width/height unless box_size_mm is given)."""
    qr = build_qr(payload)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    root = image.get_image()
    # Sized by CSS by default; a fixed physical size only when the caller asks for one (print).
    for attribute in ("width", "height"):
        root.attrib.pop(attribute, None)
    if box_size_mm is not None:
        if box_size_mm <= 0:
            raise ValueError("box_size_mm must be positive")
        side = f"{(qr.modules_count + 2 * BORDER_MODULES) * box_size_mm:g}mm"
        root.set("width", side)
        root.set("height", side)
    root.set("role", "img")
    root.set("aria-label", str(_l("培训券二维码")))
    root.set("shape-rendering", "crispEdges")
    if image.path is not None:
        # Several codes may share one page: no fixed element id.
        image.path.attrib.pop("id", None)
    return image.to_string(encoding="unicode")


def qr_png(payload: str, *, box_size: int = 8) -> bytes:
    """Return PNG bytes of the QR code, ``box_size`` pixels per module."""
    if box_size < 1:
        raise ValueError("box_size must be at least 1 pixel")
    qr = build_qr(payload)
    qr.box_size = box_size
    image = qr.make_image(image_factory=qrcode.image.pil.PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
