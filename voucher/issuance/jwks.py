"""The public signing keys at ``/.well-known/jwks.json`` (RFC 7517 / RFC 8037, Ed25519).

Anyone may verify a voucher offline with these keys: the token's key id names the JWK ``kid``.
Revoked keys are left out, so a verifier that refreshes the set stops trusting them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from voucher.issuance.keys import jwks

bp = Blueprint("jwks", __name__)


@bp.route("/.well-known/jwks.json")
def jwks_document() -> Any:
    """The JWK Set of the keys that still verify (active and retired)."""
    response = jsonify(jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
