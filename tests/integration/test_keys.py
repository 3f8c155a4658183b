"""Signing keys: generate, rotate, retire, revoke; the JWKS endpoint; verifying with it alone."""

from __future__ import annotations

import base64
import io
import json
import logging
import stat
from pathlib import Path

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image
from sqlalchemy import inspect, select

from voucher.accounts.access import Actor
from voucher.audit.models import AuditEvent
from voucher.core.qr import qr_png
from voucher.core.token import TokenError, verify_token
from voucher.db import db
from voucher.errors import Conflict, Forbidden, NotFound
from voucher.issuance import keys
from voucher.issuance.models import KeyState, SigningKey
from voucher.issuance.services import resolve_voucher, voucher_payload

SYSTEM = Actor.system("test")


def _key_dir(app) -> Path:
    return Path(app.config["SIGNING_KEY_DIR"])


def _resolver_from_jwks(document: dict) -> object:
    """A key resolver built from nothing but a JWK Set (as an outside verifier would)."""
    by_kid = {}
    for jwk in document["keys"]:
        assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        by_kid[bytes.fromhex(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(raw)
    return by_kid.get


def test_a_voucher_qr_decoded_from_its_image_verifies_with_only_the_jwks_key(demo, client):
    voucher = demo.issue(0)
    image = Image.open(io.BytesIO(qr_png(voucher_payload(voucher))))
    (decoded,) = zxingcpp.read_barcodes(image)
    token_text = decoded.text.rsplit("/", 1)[1]

    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    claims = verify_token(token_text, _resolver_from_jwks(response.get_json()), check_time=True)

    assert claims.voucher_id.hex() == voucher.uid
    assert claims.amount_fen == voucher.amount_fen
    assert claims.key_id.hex() == voucher.kid


def test_a_tampered_token_fails_against_the_jwks_key(demo, client):
    voucher = demo.issue(0)
    raw = bytearray(base64.b32decode(voucher.token + "=" * (-len(voucher.token) % 8)))
    raw[40] ^= 0x01  # inside the signed body: the amount
    tampered = base64.b32encode(bytes(raw)).decode().rstrip("=")
    resolver = _resolver_from_jwks(client.get("/.well-known/jwks.json").get_json())

    with pytest.raises(TokenError) as refused:
        verify_token(tampered, resolver)
    assert refused.value.code == "token_bad_signature"


def test_rotation_retires_the_old_key_which_still_verifies_its_vouchers(demo, client):
    old = demo.issue(0)
    new_key = keys.generate_key(SYSTEM)
    fresh = demo.issue(1)

    assert fresh.kid == new_key.kid != old.kid
    states = {k.kid: k.state for k in keys.list_keys()}
    assert states == {old.kid: KeyState.RETIRED, new_key.kid: KeyState.ACTIVE}
    _claims, found = resolve_voucher(old.token)
    assert found.id == old.id
    published = {k["kid"]: k["status"] for k in client.get("/.well-known/jwks.json").json["keys"]}
    assert published == {old.kid: "retired", new_key.kid: "active"}


def test_a_retired_key_does_not_verify_its_vouchers_after_they_expire(demo):
    old = demo.issue(0)
    keys.generate_key(SYSTEM)

    with pytest.raises(TokenError) as refused:
        resolve_voucher(old.token, now=int(old.expires_at.timestamp()))
    assert refused.value.code == "token_expired"


def test_a_revoked_key_never_verifies_and_leaves_the_jwks(demo, client, app):
    old = demo.issue(0)
    keys.generate_key(SYSTEM)
    keys.revoke_key(SYSTEM, old.kid, reason="私钥疑似泄露")

    with pytest.raises(TokenError) as refused:
        resolve_voucher(old.token)
    assert refused.value.code == "token_unknown_key"
    published = [k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]]
    assert old.kid not in published
    assert not (_key_dir(app) / f"{old.kid}.pem").exists()
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "key.revoked")
    ).scalar_one()
    assert event.object_id == old.kid and event.data == {"reason": "私钥疑似泄露"}


def test_retiring_the_only_active_key_stops_issuance_with_a_clear_message(demo):
    active = db.session.execute(
        select(SigningKey).where(SigningKey.state == KeyState.ACTIVE)
    ).scalar_one()
    keys.retire_key(SYSTEM, active.kid)

    with pytest.raises(Conflict) as refused:
        demo.issue(0)
    assert refused.value.code == "no_signing_key"
    with pytest.raises(Conflict) as again:
        keys.retire_key(SYSTEM, active.kid)
    assert again.value.code == "key_not_active"


def test_generate_refuses_while_a_key_is_active_and_unknown_kids_are_named(demo):
    with pytest.raises(Conflict) as refused:
        keys.generate_key(SYSTEM, rotate=False)
    assert refused.value.code == "key_active_exists"
    with pytest.raises(NotFound) as unknown:
        keys.revoke_key(SYSTEM, "00" * 8)
    assert unknown.value.code == "key_unknown"


def test_only_city_officers_manage_keys(demo):
    for name in ("tianhe", "unit1", "finance"):
        with pytest.raises(Forbidden):
            keys.generate_key(demo.actor(name))
        with pytest.raises(Forbidden):
            keys.revoke_key(demo.actor(name), "x")


def test_private_keys_live_only_in_the_key_folder_with_owner_only_rights(demo, app, caplog):
    caplog.set_level(logging.DEBUG)
    key = keys.generate_key(SYSTEM)
    path = _key_dir(app) / f"{key.kid}.pem"

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    pem = path.read_bytes()
    assert b"PRIVATE KEY" in pem
    # the database holds no column that could carry it, and nothing logged it
    columns = {c["name"] for c in inspect(db.engine).get_columns("signing_key")}
    assert columns == {"id", "kid", "public_key", "state", "created_at", "retired_at", "revoked_at"}
    assert "PRIVATE KEY" not in caplog.text
    audit = json.dumps([e.data for e in db.session.execute(select(AuditEvent)).scalars()])
    assert "PRIVATE" not in audit


def test_the_key_commands_rotate_retire_revoke_list_and_print_the_jwks(demo, app):
    runner = app.test_cli_runner()
    first = db.session.execute(select(SigningKey)).scalar_one().kid

    refused = runner.invoke(args=["keys", "generate"])
    assert refused.exit_code == 1 and "轮换" in refused.output

    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    second = rotated.output.split("新签名密钥 ")[1].split()[0]
    listing = runner.invoke(args=["keys", "list"]).output
    assert f"{first}  停用" in listing and f"{second}  在用" in listing

    assert runner.invoke(args=["keys", "revoke", first]).exit_code == 2  # --reason is required
    revoked = runner.invoke(args=["keys", "revoke", first.upper(), "--reason", "测试"])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(args=["keys", "retire", second]).exit_code == 0
    published = json.loads(runner.invoke(args=["keys", "jwks"]).output)
    assert [(k["kid"], k["status"]) for k in published["keys"]] == [(second, "retired")]
    assert runner.invoke(args=["keys", "retire", "ffff"]).exit_code == 1
