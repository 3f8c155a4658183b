"""With Redis as the counter store, separate worker processes count against one login limit."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import redis

WORKER = """
import json, sys
from tests.conftest import base_config
from voucher import create_app
from pathlib import Path
url, prefix, tmp, attempts = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
app = create_app(base_config(tmp, url) | {
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    "RATELIMIT_KEY_PREFIX": prefix,
    "LOGIN_RATE_LIMIT": "3 per minute",
    "WTF_CSRF_ENABLED": False,
})
client = app.test_client()
wrong = {"username": "nobody", "password": "wrong-password-1"}
print(json.dumps([client.post("/login", data=wrong).status_code for _ in range(attempts)]))
"""


def _worker(database_url: str, prefix: str, tmp_path, attempts: int) -> list[int]:
    """One process, as one gunicorn worker: its own memory, the shared Redis."""
    done = subprocess.run(
        [sys.executable, "-c", WORKER, database_url, prefix, str(tmp_path), str(attempts)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_worker_processes_share_one_login_counter_through_redis(database_url, tmp_path):
    prefix = f"voucher-test-{uuid.uuid4().hex}"
    try:
        first = _worker(database_url, prefix, tmp_path, 2)
        second = _worker(database_url, prefix, tmp_path, 2)
    finally:
        client = redis.Redis.from_url("redis://127.0.0.1:6379")
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)

    assert first == [422, 422]
    assert second == [422, 429]  # the third failure anywhere is the last one allowed
