"""The chain's arithmetic: canonical bytes of an event and the link hash (pure)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical_event(
    *,
    event_id: int,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
) -> bytes:
    """The bytes a seal covers: every column of the event, in a fixed JSON form."""
    payload = {
        "id": event_id,
        "at": at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def link_hash(prev_hash: str, event_bytes: bytes) -> str:
    """SHA-256 over the previous link and the event's canonical bytes, hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + event_bytes).hexdigest()
