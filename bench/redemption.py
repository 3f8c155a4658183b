"""Redemption benchmark: the real API under gunicorn on PostgreSQL against a minimal endpoint
(the conditional update + insert through psycopg, served by gunicorn the same way), same run.

    .venv/bin/python bench/redemption.py --n 6000   # one gunicorn worker per CPU x 8 threads

Both servers run the same gunicorn settings (--workers, --threads: gthread when > 1). One
worker process per CPU by default: on this 2-CPU machine 4 workers x 4 threads spent more of
both servers' CPU switching between processes (ratio 0.49-0.55 over five runs) than 2 x 8
(0.55-0.59). The app runs with VOUCHER_SEAL_IN_BACKGROUND=1 (audit rows written in the
redemption's transaction, chained by a per-process sealer thread shortly after; see
voucher/redemption/sealing.py).

It creates its own PostgreSQL database (admin URL from BENCH_PG_URL, default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, loads the demo data, files a class,
issues 2n vouchers (n for the app, n for the minimal endpoint) and 16 API tokens, then redeems
distinct vouchers from --clients concurrent clients over HTTP (bearer token, Idempotency-Key,
the ID-card tail), and drops the database. Both servers run side by side; after a warm-up the
timed requests are driven in --rounds rounds (default 3) that alternate between the minimal
endpoint and the app, so that both meet the same machine conditions (a shared VM's speed drifts
by a third from minute to minute); each side's figures cover all its rounds. The last printed
line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"

# ---- the minimal endpoint (imported by gunicorn as ``redemption:ceiling_app``) ----------------

_local = threading.local()


def _ceiling_connection() -> Any:
    import psycopg

    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = psycopg.connect(os.environ["BENCH_CEILING_DSN"])
    return conn


def ceiling_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """POST {voucher_id, unit_id, class_id, fee_fen}: conditional update + insert, one commit."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length))
    conn = _ceiling_connection()
    with conn.cursor() as cur:
        cur.execute(
            "UPDATE voucher SET status = 'redeemed' WHERE id = %s AND status = 'issued' "
            "RETURNING amount_fen",
            (body["voucher_id"],),
        )
        row = cur.fetchone()
        if row is None:
            conn.rollback()
            start_response("409 Conflict", [("Content-Type", "application/json")])
            return [b'{"code":"voucher_redeemed"}']
        offset = min(row[0], body["fee_fen"])
        cur.execute(
            "INSERT INTO redemption (voucher_id, unit_id, class_id, fee_fen, offset_fen, "
            "redeemed_at, status, void_reason) VALUES (%s, %s, %s, %s, %s, now(), 'active', '') "
            "RETURNING id",
            (body["voucher_id"], body["unit_id"], body["class_id"], body["fee_fen"], offset),
        )
        redemption_id = cur.fetchone()[0]  # type: ignore[index]
    conn.commit()
    start_response("201 Created", [("Content-Type", "application/json")])
    return [json.dumps({"id": redemption_id, "offset_fen": offset}).encode()]


# ---- set-up -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(database_url: str, instance: Path, n: int, clients: int) -> dict[str, Any]:
    """Migrate, demo data, one class, 2n vouchers (bulk, signed like the service), tokens."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from tests.factories import DemoWorld
    from voucher import create_app
    from voucher.accounts.access import Actor
    from voucher.accounts.services import issue_api_token
    from voucher.catalog.services import load_catalogue
    from voucher.core.clock import business_today, start_of_business_day
    from voucher.core.humancode import human_code
    from voucher.core.pii import mask_id_number
    from voucher.core.token import VoucherClaims, encode_text, sign_token
    from voucher.db import db
    from voucher.demo import synthetic_id_number
    from voucher.issuance.keys import active_signer, ensure_active_key
    from voucher.issuance.models import Person, Voucher
    from voucher.keyring import pii_cipher

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_catalogue(Actor.system("bench"))
        ensure_active_key(Actor.system("bench"))  # the issuance demo issues vouchers
        demo = DemoWorld.build()
        klass = demo.file_class("unit1", fee_fen=100_000)
        unit1 = demo.actor("unit1")
        kid, private_key = active_signer()
        cipher = pii_cipher()
        today = business_today()
        not_before = start_of_business_day(today)
        expires = start_of_business_day(today + timedelta(days=90))
        people, numbers = [], []
        from datetime import date

        for i in range(2 * n):
            number = synthetic_id_number(
                "440106", date(1980, 1, 1) + timedelta(days=i // 900), 100 + i % 900
            )
            numbers.append(number)
            people.append(
                Person(
                    id_hash=cipher.lookup_hash(number),
                    id_cipher=cipher.encrypt(number, aad=b"person.id_number"),
                    id_masked=mask_id_number(number),
                    name="测试学员",
                    phone="13900000000",
                    birth_date=date(1980, 1, 1),
                    sex="M",
                )
            )
        db.session.add_all(people)
        db.session.flush()
        vouchers = []
        for person in people:
            voucher_id = secrets.token_bytes(16)
            claims = VoucherClaims(
                key_id=bytes.fromhex(kid),
                voucher_id=voucher_id,
                holder_ref=person.id_hash[:16],
                amount_fen=80_000,
                programme=demo.care,
                unit=0,
                not_before=int(not_before.timestamp()),
                expires=int(expires.timestamp()),
            )
            vouchers.append(
                Voucher(
                    uid=voucher_id.hex(),
                    human_code=human_code(voucher_id),
                    person_id=person.id,
                    kid=kid,
                    entry_id=demo.care,
                    amount_fen=80_000,
                    not_before=not_before,
                    expires_at=expires,
                    token=encode_text(sign_token(claims, private_key)),
                )
            )
        db.session.add_all(vouchers)
        db.session.commit()
        tokens = [issue_api_token(unit1, unit1.user_id, f"bench-{i}") for i in range(clients)]
        app_bodies = [
            json.dumps(
                {"code": v.token, "class_id": klass.id, "id_last4": numbers[i][-4:]}
            ).encode()
            for i, v in enumerate(vouchers[:n])
        ]
        ceiling_bodies = [
            json.dumps(
                {
                    "voucher_id": v.id,
                    "unit_id": unit1.unit_id,
                    "class_id": klass.id,
                    "fee_fen": 100_000,
                }
            ).encode()
            for v in vouchers[n:]
        ]
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "app_bodies": app_bodies, "ceiling_bodies": ceiling_bodies}


def _serve(app_spec: str, port: int, workers: int, env: dict[str, str], extra: list[str]) -> Any:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        *extra,
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not start: {app_spec}")


def _stop(process: Any) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _drive(
    port: int, path: str, bodies: list[bytes], clients: int, headers_for: Any
) -> tuple[list[float], dict[int, int], float]:
    """Send every body once from ``clients`` threads; (latencies ms, status counts, seconds)."""
    work = iter(enumerate(bodies))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    samples: dict[int, str] = {}

    def client(number: int) -> None:
        mine: list[float] = []
        counts: dict[int, int] = {}
        while True:
            with lock:
                item = next(work, None)
            if item is None:
                break
            index, body = item
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", path, body=body, headers=headers_for(number, index))
            response = conn.getresponse()
            payload = response.read()
            conn.close()
            if response.status >= 300 and response.status not in samples:
                samples[response.status] = payload[:300].decode("utf-8", "replace")
            mine.append((time.perf_counter() - started) * 1000)
            counts[response.status] = counts.get(response.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in counts.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for status, sample in samples.items():
        print(f"  HTTP {status}: {sample}", file=sys.stderr)
    return latencies, statuses, time.perf_counter() - started


def _summarise(
    label: str, runs: list[tuple[list[float], dict[int, int], float]], cpu: dict[str, float]
) -> dict[str, Any]:
    """One side's figures over all its rounds: requests per second of driving time, latency
    percentiles over every request, status counts, CPU milliseconds per request (server,
    PostgreSQL, clients)."""
    latencies = [ms for run in runs for ms in run[0]]
    statuses: dict[int, int] = {}
    for _latencies, counts, _seconds in runs:
        for status, count in counts.items():
            statuses[status] = statuses.get(status, 0) + count
    summary = {
        "per_second": round(len(latencies) / sum(run[2] for run in runs), 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(_p(latencies, 0.99), 2),
        "statuses": statuses,
        "ok": statuses.get(201, 0),
        "rounds_per_second": [round(len(run[0]) / run[2], 1) for run in runs],
        "cpu_ms_per_request": {
            part: round(1000 * seconds / len(latencies), 3) for part, seconds in cpu.items()
        },
    }
    print(f"{label}: {json.dumps(summary)}", file=sys.stderr)
    return summary


_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server (gunicorn master and workers), of every PostgreSQL
    process, and of this benchmark's own process (the clients)."""
    server = postgres = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1 :].rsplit(")", 1)
        pid, ppid = int(entry.name), int(rest.split()[1])
        if pid == server_pid or ppid == server_pid:
            server += _process_cpu(pid)
        elif comm.startswith("postgres"):
            postgres += _process_cpu(pid)
    times = os.times()
    return {"server": server, "postgres": postgres, "client": times.user + times.system}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="vouchers redeemed per endpoint")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 2, help="gunicorn worker processes"
    )
    parser.add_argument("--warmup", type=int, default=200, help="requests before timing")
    parser.add_argument(
        "--threads", type=int, default=8, help="gunicorn gthread threads per worker (both servers)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds per side, alternating the two sides"
    )
    args = parser.parse_args()

    import sqlalchemy as sa

    admin_url = os.environ.get("BENCH_PG_URL", DEFAULT_ADMIN)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"voucher_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name)
    dsn = url.render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
    total = args.n + args.warmup
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=dsn,
            VOUCHER_INSTANCE_PATH=str(Path(tmp) / "instance"),
            VOUCHER_COOKIE_SECURE="0",
            VOUCHER_PUBLIC_HOST="voucher.bench",
            BENCH_CEILING_DSN=dsn,
            VOUCHER_SEAL_IN_BACKGROUND="1",
        )
        os.environ.update(env)
        processes: list[Any] = []
        try:
            print(f"setting up {name}: {2 * total} vouchers …", file=sys.stderr)
            data = _setup(dsn, Path(tmp), total, args.clients)

            tokens = data["tokens"]
            run_id = uuid.uuid4().hex[:8]
            counter = itertools.count()

            def app_headers(client: int, index: int) -> dict[str, str]:
                return {
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {tokens[client % len(tokens)]}",
                    "Idempotency-Key": f"{run_id}-{client}-{next(counter)}",
                }

            def ceiling_headers(client: int, index: int) -> dict[str, str]:
                return {"Content-Type": "application/json"}

            sides = {
                "ceiling": (
                    "redemption:ceiling_app",
                    data["ceiling_bodies"],
                    "/",
                    ceiling_headers,
                    ["--pythonpath", str(BENCH_DIR)],
                ),
                "app": ("wsgi:app", data["app_bodies"], "/api/v1/redemptions", app_headers, []),
            }
            threads = ["--worker-class", "gthread", "--threads", str(args.threads)]
            ports, pids = {}, {}
            cpu: dict[str, dict[str, float]] = {}
            for label, (spec, bodies, path, headers, extra) in sides.items():
                ports[label] = _free_port()
                processes.append(
                    _serve(
                        spec,
                        ports[label],
                        args.workers,
                        env,
                        extra + (threads if args.threads > 1 else []),
                    )
                )
                pids[label] = processes[-1].pid
                cpu[label] = {"server": 0.0, "postgres": 0.0, "client": 0.0}
                _drive(ports[label], path, bodies[: args.warmup], args.clients, headers)
            # alternate the two sides round by round: this machine's speed drifts over a
            # minute, and each side should meet the same conditions
            runs: dict[str, list[tuple[list[float], dict[int, int], float]]] = {
                label: [] for label in sides
            }
            for round_ in range(args.rounds):
                first = args.warmup + args.n * round_ // args.rounds
                last = args.warmup + args.n * (round_ + 1) // args.rounds
                for label, (_spec, bodies, path, headers, _extra) in sides.items():
                    chunk = bodies[first:last]
                    before = _cpu_snapshot(pids[label])
                    runs[label].append(_drive(ports[label], path, chunk, args.clients, headers))
                    after = _cpu_snapshot(pids[label])
                    for part, seconds in after.items():
                        cpu[label][part] += seconds - before[part]
            results = {label: _summarise(label, runs[label], cpu[label]) for label in sides}
        finally:
            for process in processes:
                _stop(process)
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    app, ceiling = results["app"], results["ceiling"]
    summary = {
        "n": args.n,
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        "per_second": app["per_second"],
        "p50_ms": app["p50_ms"],
        "p99_ms": app["p99_ms"],
        "ok": app["ok"],
        "statuses": app["statuses"],
        "ceiling_per_second": ceiling["per_second"],
        "ceiling_p50_ms": ceiling["p50_ms"],
        "ceiling_p99_ms": ceiling["p99_ms"],
        "ratio": round(app["per_second"] / ceiling["per_second"], 3),
        "p99_over_ceiling_p99": round(app["p99_ms"] / ceiling["p99_ms"], 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
