"""Personal data protection: field encryption, blind lookup hashes and display masks.

Encrypted fields are AES-256-GCM blobs laid out as ``version (1 byte) | nonce (12) |
ciphertext+tag``; the version byte is authenticated together with the caller's ``aad`` (bind a
blob to its row and column, e.g. ``b"trainee:42:id_number"``, so it cannot be moved).
Equality search on encrypted columns uses ``lookup_hash``, a keyed HMAC of the normalised value.
"""

from __future__ import annotations

import hmac
import os
import re
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = 1
KEY_LENGTH = 32
NONCE_LENGTH = 12
TAG_LENGTH = 16
MIN_MASTER_LENGTH = 32
_HEADER = bytes([FORMAT_VERSION])
_ENCRYPTION_INFO = b"voucher/pii/aes-256-gcm/v1"
_LOOKUP_INFO = b"voucher/pii/lookup-hmac-sha256/v1"


class PiiDecryptionError(Exception):
    """A blob that cannot be decrypted: unknown version, truncated, tampered, wrong key or aad.

    Not a DomainError: it signals corrupt data or a key mix-up, a server fault, never user input.
    """


class PiiCipher:
    """Encrypts and hashes personal data with two independent 32-byte keys."""

    __slots__ = ("_aead", "_hmac_key")

    def __init__(self, encryption_key: bytes, hmac_key: bytes) -> None:
        if len(encryption_key) != KEY_LENGTH or len(hmac_key) != KEY_LENGTH:
            raise ValueError("PiiCipher needs a 32-byte encryption key and a 32-byte HMAC key")
        if hmac.compare_digest(encryption_key, hmac_key):
            raise ValueError("PiiCipher's encryption key and HMAC key must differ")
        self._aead = AESGCM(bytes(encryption_key))
        self._hmac_key = bytes(hmac_key)

    @classmethod
    def from_secret(cls, master: bytes) -> PiiCipher:
        """Derive both keys from one master secret (at least 32 bytes) with HKDF-SHA256."""
        if len(master) < MIN_MASTER_LENGTH:
            raise ValueError(f"the PII master secret must be at least {MIN_MASTER_LENGTH} bytes")
        return cls(_hkdf(master, _ENCRYPTION_INFO), _hkdf(master, _LOOKUP_INFO))

    def __repr__(self) -> str:
        return "PiiCipher(<keys hidden>)"

    def encrypt(self, plaintext: str, *, aad: bytes = b"") -> bytes:
        """Encrypt ``plaintext`` under a fresh random nonce; ``aad`` must match on decrypt."""
        nonce = os.urandom(NONCE_LENGTH)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _HEADER + aad)
        return _HEADER + nonce + sealed

    def decrypt(self, blob: bytes, *, aad: bytes = b"") -> str:
        """Decrypt a blob from ``encrypt``; raise PiiDecryptionError if it does not authenticate."""
        blob = bytes(blob)
        if not blob:
            raise PiiDecryptionError("empty PII blob")
        if blob[0] != FORMAT_VERSION:
            raise PiiDecryptionError(f"unknown PII blob format version {blob[0]}")
        if len(blob) < 1 + NONCE_LENGTH + TAG_LENGTH:
            raise PiiDecryptionError(f"PII blob too short ({len(blob)} bytes)")
        nonce, sealed = blob[1 : 1 + NONCE_LENGTH], blob[1 + NONCE_LENGTH :]
        try:
            plaintext = self._aead.decrypt(nonce, sealed, _HEADER + aad)
        except InvalidTag:
            raise PiiDecryptionError(
                "PII blob failed authentication: tampered, wrong key, or wrong aad"
            ) from None
        return plaintext.decode("utf-8")

    def lookup_hash(self, value: str) -> bytes:
        """32-byte HMAC-SHA256 of the normalised value (NFKC, stripped, upper-cased)."""
        return hmac.new(
            self._hmac_key, normalize_for_lookup(value).encode("utf-8"), "sha256"
        ).digest()


def normalize_for_lookup(value: str) -> str:
    """The form hashed by ``lookup_hash``: full-width folded, stripped, upper-cased."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _hkdf(master: bytes, info: bytes) -> bytes:
    """One 32-byte key derived from ``master`` for the purpose named by ``info``."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_LENGTH, salt=None, info=info).derive(master)


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 4 characters: "4401**********1234"; short input all stars."""
    if len(number) < 15:  # fewer than 7 hidden characters would leave too little hidden
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """Keep the first character, and the last from 3 on: "张三" → "张*", "欧阳娜娜" → "欧**娜"."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4: "13812345678" → "138****5678"; short input all stars."""
    if len(phone) < 11:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


_ID_IN_TEXT = re.compile(r"(?<!\d)(\d{4})(\d{10})(\d{3}[\dXxＸｘ])(?!\d)")
_MOBILE_IN_TEXT = re.compile(
    r"(?<!\d)((?:(?:\+|00)?86[- ]?)?1[3-9]\d)([- ]?)(\d{4})([- ]?)(\d{4})(?!\d)"
)


def mask_text(text: str) -> str:
    """Mask every ID-number-like run (17 digits + digit/X) and mainland mobile number in text.

    Runs are taken whole: digits inside a longer run of digits (an order number, say) are left.
    """
    text = _ID_IN_TEXT.sub(lambda m: m[1] + "*" * 10 + m[3], text)
    return _MOBILE_IN_TEXT.sub(lambda m: m[1] + m[2] + "****" + m[4] + m[5], text)
