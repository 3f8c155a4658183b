"""Ed25519 signing keys: generated into the key folder (0600), public halves in the database.

A retired key still verifies the vouchers it signed until they expire; a revoked key never does.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

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


def _write_private_key(private: Ed25519PrivateKey, kid: str) -> Path:
    """Write the private half to the key folder, readable by this user only (never the DB)."""
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = _private_path(kid)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return path


def _active_keys(session: Session) -> list[SigningKey]:
    return list(
        session.execute(select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)).scalars()
    )


def _retire(actor: Actor, key: SigningKey, reason: str) -> None:
    key.state = KeyState.RETIRED
    key.retired_at = utcnow()
    record(actor, "key.retired", "signing_key", key.kid, {"reason": reason})


def generate_key(actor: Actor, *, rotate: bool = True) -> SigningKey:
    """Create a key pair and make it the active signing key.

    With ``rotate`` (the default) the previous active key retires: it signs nothing more but still
    verifies its vouchers until they expire. Without it, an existing active key is a conflict.
    """
    actor.require(Role.CITY)
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    kid = key_id_for(public).hex()
    path = _write_private_key(private, kid)
    try:
        with unit_of_work() as session:
            active = _active_keys(session)
            if active and not rotate:
                raise Conflict(
                    _l(
                        "已有在用的签名密钥 %(kid)s；要换用新密钥请轮换（rotate）",
                        kid=active[0].kid,
                    ),
                    code="key_active_exists",
                )
            for old in active:
                _retire(actor, old, "rotated")
            key = SigningKey(
                kid=kid,
                public_key=public.public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                ),
            )
            session.add(key)
            record(actor, "key.generated", "signing_key", kid, {"rotated": [k.kid for k in active]})
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


def _key_by_kid(session: Session, kid: str) -> SigningKey:
    key = session.execute(
        select(SigningKey).where(SigningKey.kid == kid.strip().lower()).with_for_update()
    ).scalar_one_or_none()
    if key is None:
        raise NotFound(_l("未找到签名密钥 %(kid)s", kid=kid), code="key_unknown")
    return key


def retire_key(actor: Actor, kid: str) -> SigningKey:
    """Stop signing with a key; it still verifies its vouchers until they expire."""
    actor.require(Role.CITY)
    with unit_of_work() as session:
        key = _key_by_kid(session, kid)
        if key.state != KeyState.ACTIVE:
            raise Conflict(
                _l("只有在用的密钥可以停用（当前状态：%(state)s）", state=key.state),
                code="key_not_active",
            )
        _retire(actor, key, "retired")
    _cache().clear()
    return key


def revoke_key(actor: Actor, kid: str, *, reason: str = "") -> SigningKey:
    """Revoke a key (e.g. compromised): nothing it signed verifies any more; its private half is
    deleted from the key folder."""
    actor.require(Role.CITY)
    reason = reason.strip()
    with unit_of_work() as session:
        key = _key_by_kid(session, kid)
        if key.state == KeyState.REVOKED:
            raise Conflict(_l("该密钥已吊销"), code="key_revoked")
        key.state = KeyState.REVOKED
        key.revoked_at = utcnow()
        record(actor, "key.revoked", "signing_key", key.kid, {"reason": reason})
    _private_path(key.kid).unlink(missing_ok=True)
    _cache().clear()
    return key


def list_keys() -> list[SigningKey]:
    """Every key, newest first."""
    return list(
        db.session.execute(
            select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        ).scalars()
    )


def jwks() -> dict[str, list[dict[str, str]]]:
    """The public keys that still verify (active and retired) as an RFC 8037 JWK Set."""
    keys = db.session.execute(
        select(SigningKey)
        .where(SigningKey.state != KeyState.REVOKED)
        .order_by(SigningKey.created_at, SigningKey.id)
    ).scalars()
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": key.kid,
                "x": base64.urlsafe_b64encode(key.public_key).rstrip(b"=").decode("ascii"),
                "status": key.state,
            }
            for key in keys
        ]
    }


def active_signer() -> tuple[str, Ed25519PrivateKey]:
    """The active key's id and private key (cached per process)."""
    cache = _cache()
    if "active" not in cache:
        key = db.session.execute(
            select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)
        ).scalar_one_or_none()
        if key is None:
            raise Conflict(_l("尚未生成签名密钥，请先执行 voucher init"), code="no_signing_key")
        try:
            pem = _private_path(key.kid).read_bytes()
        except FileNotFoundError:
            raise Conflict(
                _l("在用签名密钥 %(kid)s 的私钥不在本机密钥目录中，无法签发", kid=key.kid),
                code="signing_key_missing",
            ) from None
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
