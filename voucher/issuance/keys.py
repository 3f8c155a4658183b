"""Ed25519 signing keys: generated into the key folder (0600), public halves in the database.

A retired key still verifies the vouchers it signed until they expire; a revoked key never does.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.audit.services import record
from voucher.core.token import key_id_for
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, NotFound
from voucher.issuance.models import KeyState, SigningKey

_CACHE = "voucher.signing_keys"


def _key_dir() -> Path:
    path = Path(current_app.config["SIGNING_KEY_DIR"])
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _private_path(kid: str) -> Path:
    return _key_dir() / f"{kid}.pem"


def _cache() -> dict[str, object]:
    """Keys cached per process; refreshed after KEY_CACHE_SECONDS so that a revocation made by
    another worker takes effect there too."""
    cache = current_app.extensions.setdefault(_CACHE, {})
    now = time.monotonic()
    if now - cache.get("loaded_at", now) > current_app.config.get("KEY_CACHE_SECONDS", 30):
        cache.clear()
    cache.setdefault("loaded_at", now)
    return cache


def generate_key(actor: Actor) -> SigningKey:
    """Create a key pair; the new key becomes active and the previous active one retires."""
    actor.require(Role.CITY)
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    kid = key_id_for(public).hex()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = _private_path(kid)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        with unit_of_work() as session:
            for old in session.execute(
                select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)
            ).scalars():
                old.state = KeyState.RETIRED
                old.retired_at = utcnow()
                record(actor, "key.retired", "signing_key", old.kid)
            key = SigningKey(
                kid=kid,
                public_key=public.public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                ),
            )
            session.add(key)
            record(actor, "key.generated", "signing_key", kid)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _cache().clear()
    return key


def ensure_active_key(actor: Actor) -> SigningKey:
    """The active key whose private half is present here, generating one if there is none."""
    key = db.session.execute(
        select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)
    ).scalar_one_or_none()
    if key is not None and _private_path(key.kid).exists():
        return key
    return generate_key(actor)


def revoke_key(actor: Actor, kid: str) -> None:
    """Revoke a key: nothing it signed verifies any more."""
    actor.require(Role.CITY)
    with unit_of_work() as session:
        key = session.execute(select(SigningKey).where(SigningKey.kid == kid)).scalar_one_or_none()
        if key is None:
            raise NotFound(_l("未找到该签名密钥"))
        if key.state == KeyState.REVOKED:
            raise Conflict(_l("该密钥已吊销"))
        key.state = KeyState.REVOKED
        key.revoked_at = utcnow()
        record(actor, "key.revoked", "signing_key", kid)
    _private_path(kid).unlink(missing_ok=True)
    _cache().clear()


def active_signer() -> tuple[str, Ed25519PrivateKey]:
    """The active key's id and private key (cached per process)."""
    cache = _cache()
    if "active" not in cache:
        key = db.session.execute(
            select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)
        ).scalar_one_or_none()
        if key is None:
            raise Conflict(_l("尚未生成签名密钥，请先执行 voucher init"), code="no_signing_key")
        pem = _private_path(key.kid).read_bytes()
        private = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private, Ed25519PrivateKey)
        cache["active"] = (key.kid, private)
    return cache["active"]  # type: ignore[return-value]


def resolve_public_key(key_id: bytes) -> Ed25519PublicKey | None:
    """The public key for a token's key id, unless unknown or revoked (cached per process)."""
    cache = _cache()
    keys = cache.get("public")
    if keys is None:
        keys = {
            bytes.fromhex(k.kid): Ed25519PublicKey.from_public_bytes(k.public_key)
            for k in db.session.execute(
                select(SigningKey).where(SigningKey.state != KeyState.REVOKED)
            ).scalars()
        }
        cache["public"] = keys
    return keys.get(key_id)  # type: ignore[union-attr]
