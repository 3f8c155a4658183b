"""Seal the redemption hot path's audit rows soon after, in the background, not inline.

Every unit of work runs the audit sealer right after it commits. The sealer takes a PostgreSQL
advisory lock and holds it through its own commit, so under load every redemption in the city
would queue behind one fsync at a time (measured: ~30 redemptions/s under 4 gunicorn workers).
With ``VOUCHER_SEAL_IN_BACKGROUND=1`` (the app setting ``AUDIT_SEAL_IN_BACKGROUND``) the
redemption API commits without running the hooks and wakes one sealer thread per process, which
seals everything pending (one batch for many redemptions) about a second later. The audit
rows themselves are written in the business transaction either way; only the chaining is
deferred. Off by default (tests and the embedded demo seal inline).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

#: Wait this long after a wake-up so one seal covers the redemptions of that moment.
COALESCE_SECONDS = 1.0
_KEY = "voucher.redemption.sealer"


def background_sealing(app: Flask | None = None) -> bool:
    """Whether the redemption hot path leaves sealing to the background thread."""
    return bool((app or current_app).config.get("AUDIT_SEAL_IN_BACKGROUND"))


class _Sealer:
    """One daemon thread per process and app: wakes on demand, seals all pending rows."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from voucher.audit.services import seal_pending
        from voucher.db import db

        while True:
            self.wake.wait()
            time.sleep(COALESCE_SECONDS)  # let the redemptions of this moment arrive
            self.wake.clear()
            try:
                with self.app.app_context():
                    seal_pending()
                    db.session.remove()
            except Exception:  # keep sealing on later wake-ups; the rows stay pending meanwhile
                log.exception("background audit sealing failed")


_lock = threading.Lock()


def seal_soon() -> None:
    """Ask this process's sealer thread to seal pending audit rows (started on first use)."""
    app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
    sealer = app.extensions.get(_KEY)
    if sealer is None or sealer.pid != os.getpid():
        with _lock:
            sealer = app.extensions.get(_KEY)
            if sealer is None or sealer.pid != os.getpid():
                sealer = app.extensions[_KEY] = _Sealer(app)
    sealer.wake.set()
