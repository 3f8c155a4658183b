"""Senders deliver one text message to one phone and return the carrier's reference.

Which sender runs is chosen by the ``NOTIFY_SENDER`` setting (``console`` | ``file`` |
``gateway``; environment ``VOUCHER_NOTIFY_SENDER``, default ``console``):

- ``console`` logs the message with the phone masked (development);
- ``file`` appends one JSON line per message to a file in the instance folder (development and
  tests read one-time codes from it; the phone is masked there too);
- ``gateway`` posts to the government SMS gateway (URL and credentials from the environment).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from flask import current_app

from voucher.core.pii import mask_phone
from voucher.db import utcnow

__all__ = [
    "ConsoleSender",
    "FileSender",
    "GatewaySender",
    "SendFailed",
    "Sender",
    "configured_sender",
    "read_file_messages",
]

log = logging.getLogger("voucher.notify")

SENDER_KINDS = ("console", "file", "gateway")
DEFAULT_FILE = "notify/messages.jsonl"
MAX_TEXT_LENGTH = 500  # a long SMS is split by the carrier; ours stay far below this


class SendFailed(Exception):
    """The message was not accepted by the sender (a server-side fault, never user input)."""


@runtime_checkable
class Sender(Protocol):
    """Delivers a text to a phone number; returns the sender's reference for the message."""

    def send(self, phone: str, text: str) -> str: ...


def _reference(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def _check(phone: str, text: str) -> None:
    if not phone or not text:
        raise SendFailed("empty phone or text")
    if len(text) > MAX_TEXT_LENGTH:
        raise SendFailed(f"text longer than {MAX_TEXT_LENGTH} characters")


class ConsoleSender:
    """Writes each message to the log, the phone masked (development)."""

    def send(self, phone: str, text: str) -> str:
        _check(phone, text)
        reference = _reference("console")
        log.warning("SMS to %s [%s]: %s", mask_phone(phone), reference, text)
        return reference


class FileSender:
    """Appends one JSON object per message to a file: ``{at, phone (masked), text, reference}``."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, phone: str, text: str) -> str:
        _check(phone, text)
        reference = _reference("file")
        line = json.dumps(
            {
                "at": utcnow().isoformat(),
                "phone": mask_phone(phone),
                "text": text,
                "reference": reference,
            },
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        return reference


def read_file_messages(path: str | Path) -> list[dict[str, Any]]:
    """Every message a FileSender wrote to ``path``, oldest first (empty if none yet)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class GatewayConfig:
    """Where and how to reach the SMS gateway."""

    url: str
    account: str
    secret: str
    sign_name: str = "广州人社"
    timeout: float = 10.0


class GatewaySender:
    """The government SMS gateway: one HTTPS POST of JSON per message, with a timeout.

    Request body: ``{"account", "mobile", "content", "sign"}`` with the secret in an
    ``Authorization: Bearer`` header; a 2xx answer with JSON ``{"code": "0", "msgid": "…"}`` is
    accepted, anything else raises :class:`SendFailed`. The exact field names follow the
    gateway's interface document and are kept in this one class.
    """

    #: Remote and possibly slow: interactive callers send off the request thread.
    slow = True

    def __init__(self, config: GatewayConfig) -> None:
        if not config.url.startswith("https://"):
            raise ValueError("the SMS gateway URL must use https://")
        if not config.account or not config.secret:
            raise ValueError("the SMS gateway needs an account and a secret")
        self.config = config

    def __repr__(self) -> str:
        return f"GatewaySender(url={self.config.url!r}, account={self.config.account!r})"

    def build_request(self, phone: str, text: str) -> urllib.request.Request:
        """The HTTP request for one message (separate so it can be checked without a network)."""
        body = json.dumps(
            {
                "account": self.config.account,
                "mobile": phone,
                "content": text,
                "sign": self.config.sign_name,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        return urllib.request.Request(  # noqa: S310 — the URL is checked to be https above
            self.config.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.config.secret}",
            },
        )

    def send(self, phone: str, text: str) -> str:
        _check(phone, text)
        request = self.build_request(phone, text)
        try:
            with urllib.request.urlopen(  # noqa: S310 — https only, see __init__
                request, timeout=self.config.timeout
            ) as response:
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SendFailed(f"SMS gateway unreachable or answered badly: {exc}") from None
        return self.parse_answer(answer)

    @staticmethod
    def parse_answer(answer: Any) -> str:
        """The message id from a gateway answer, or SendFailed."""
        if not isinstance(answer, Mapping) or str(answer.get("code")) != "0":
            detail = answer.get("message") if isinstance(answer, Mapping) else None
            raise SendFailed(f"SMS gateway refused the message: {detail or answer!r}")
        msgid = answer.get("msgid")
        if not msgid:
            raise SendFailed("SMS gateway answer without msgid")
        return str(msgid)


def _setting(name: str, env: str, default: str = "") -> str:
    value = current_app.config.get(name)
    if value is None or value == "":
        value = os.environ.get(env, default)
    return str(value)


def file_path() -> Path:
    """Where the file sender writes (``NOTIFY_FILE``, relative to the instance folder)."""
    path = Path(_setting("NOTIFY_FILE", "VOUCHER_NOTIFY_FILE", DEFAULT_FILE))
    return path if path.is_absolute() else Path(current_app.instance_path) / path


def configured_sender() -> Sender:
    """The sender chosen by the app's settings (one instance per app)."""
    cached = current_app.extensions.get("voucher.notify.sender")
    if cached is not None:
        return cached
    kind = _setting("NOTIFY_SENDER", "VOUCHER_NOTIFY_SENDER", "console").strip().lower()
    sender: Sender
    if kind == "console":
        sender = ConsoleSender()
        if not (current_app.debug or current_app.testing):
            log.warning(
                "NOTIFY_SENDER=console: text messages (and sign-in codes) only go to the log; "
                "set VOUCHER_NOTIFY_SENDER=gateway in production"
            )
    elif kind == "file":
        sender = FileSender(file_path())
    elif kind == "gateway":
        sender = GatewaySender(
            GatewayConfig(
                url=_setting("SMS_GATEWAY_URL", "VOUCHER_SMS_GATEWAY_URL"),
                account=_setting("SMS_GATEWAY_ACCOUNT", "VOUCHER_SMS_GATEWAY_ACCOUNT"),
                secret=_setting("SMS_GATEWAY_SECRET", "VOUCHER_SMS_GATEWAY_SECRET"),
                sign_name=_setting("SMS_GATEWAY_SIGN", "VOUCHER_SMS_GATEWAY_SIGN", "广州人社"),
                timeout=float(_setting("SMS_GATEWAY_TIMEOUT", "VOUCHER_SMS_GATEWAY_TIMEOUT", "10")),
            )
        )
    else:
        raise ValueError(f"NOTIFY_SENDER must be one of {', '.join(SENDER_KINDS)}, not {kind!r}")
    current_app.extensions["voucher.notify.sender"] = sender
    return sender
