"""The redemption API's Idempotency-Key: the first answer per (user, key) is the answer.

A successful redemption stores its answer in the same transaction as the redemption itself
(one more INSERT, no extra round trip before it). A refusal is stored right after. A retry
with the same key and the same body gets the stored status and body back; the same key with
another body is refused and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from voucher.accounts.access import Actor
from voucher.errors import DomainError, ValidationFailed
from voucher.redemption import services
from voucher.redemption.sealing import background_sealing, seal_soon
from voucher.redemption.services import IdempotencyRequest
from voucher.web import error_payload

KEY_MAX = 128


def request_hash(payload: dict[str, Any]) -> str:
    """A digest of the request body in canonical JSON."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _clean_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            _l("Idempotency-Key 应为 1 到 128 个可打印的 ASCII 字符"),
            code="idempotency_key_invalid",
        )
    return key


def _reused() -> ValidationFailed:
    return ValidationFailed(
        _l("该 Idempotency-Key 已用于另一个不同的请求，请为新请求使用新的键"),
        code="idempotency_key_reused",
    )


def _replay(request: IdempotencyRequest) -> tuple[int, dict[str, Any]] | None:
    stored = services.stored_answer(request.user_id, request.key)
    if stored is None:
        return None
    if stored.request_hash != request.request_hash:
        raise _reused()
    return stored.status_code, stored.response


def redeem_via_api(
    actor: Actor, key: str | None, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Redeem for the API; returns (status, body) — the first answer when the key repeats."""
    background = background_sealing()
    kwargs = {
        "class_id": payload["class_id"],
        "id_last4": payload["id_last4"],
        "run_hooks": not background,
    }
    try:
        return _redeem(actor, key, payload, kwargs)
    finally:
        if background:
            seal_soon()


def _redeem(
    actor: Actor, key: str | None, payload: dict[str, Any], kwargs: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    if key is None:
        result = services.redeem_fast(actor, payload["code"], **kwargs)
        return 201, result.as_dict()
    if actor.user_id is None:
        raise ValidationFailed(_l("Idempotency-Key 需要登录用户"), code="idempotency_no_user")
    request = IdempotencyRequest(
        user_id=actor.user_id, key=_clean_key(key), request_hash=request_hash(payload)
    )
    try:
        result = services.redeem_fast(actor, payload["code"], idempotency=request, **kwargs)
    except IntegrityError:
        # the key was stored by an earlier (or concurrent) request: this one changed nothing
        replay = _replay(request)
        if replay is None:  # pragma: no cover - the unique key is the only integrity risk here
            raise
        return replay
    except DomainError as exc:
        replay = _replay(request)
        if replay is not None:
            return replay
        body = error_payload(exc.status, exc.code, str(exc.message), exc.errors)
        services.store_answer(request, exc.status, body)
        raise
    return 201, result.as_dict()
