"""Application-wide key material: the PII cipher (from settings), cached per app."""

from __future__ import annotations

import hashlib

from flask import current_app

from voucher.core.pii import PiiCipher


def pii_cipher() -> PiiCipher:
    """The cipher for personal data, built once per app from ``PII_KEY``."""
    ext = current_app.extensions
    cipher = ext.get("voucher.pii")
    if cipher is None:
        master = hashlib.sha256(current_app.config["PII_KEY"].encode()).digest()
        cipher = ext["voucher.pii"] = PiiCipher.from_secret(master)
    return cipher
