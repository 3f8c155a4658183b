"""Domain errors: pure Python, mapped centrally to HTTP answers (API) and flash messages (pages).

Every error carries a stable machine ``code`` and a human ``message`` in Simplified Chinese
(wrapped in Flask-Babel's lazy gettext where it is raised, so other languages can follow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of every business error. ``status`` is the HTTP status it maps to."""

    status: int = 400
    code: str = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        self.errors: dict[str, Any] = dict(errors or {})

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(DomainError):
    """Input that is malformed or breaks a field rule (HTTP 422)."""

    status = 422
    code = "validation_failed"


class RuleViolation(DomainError):
    """Well-formed input that a business rule refuses (HTTP 422)."""

    status = 422
    code = "rule_violation"


class NotFound(DomainError):
    """The object does not exist, or lies outside the caller's scope (HTTP 404)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The state changed under the caller, or the object already exists (HTTP 409)."""

    status = 409
    code = "conflict"


class Forbidden(DomainError):
    """The caller's role may not perform this action at all (HTTP 403)."""

    status = 403
    code = "forbidden"
