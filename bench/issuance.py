"""Bulk issuance benchmark: one batch of n vouchers through the real batch service, against a
bare loop that signs and bulk-inserts the same voucher rows (the ceiling), in the same run.

    .venv/bin/python bench/issuance.py --n 100000                 # SQLite in a temp dir
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/issuance.py --n 100000             # a fresh PostgreSQL database

It also measures the peak memory of reading and checking a 100,000-row xlsx list (generated with
openpyxl write_only) in a child process: its own peak resident set (VmHWM). Not ru_maxrss: on
Linux that survives fork + exec, so a child would report the parent's RSS at fork time (this
process, after the n-row batch and the ceiling) instead of its own peak. The last printed line is
one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGION = "440106"


def synthetic_rows(n: int, start: int = 0):
    """n distinct, check-digit-correct ID numbers with a name and phone, eligible rows."""
    from voucher.demo import synthetic_id_number

    first = date(1972, 1, 1)
    for i in range(start, start + n):
        birth = first + timedelta(days=i // 900)
        yield [
            synthetic_id_number(REGION, birth, 100 + i % 900),
            "测试学员",
            f"139{i:08d}",
            "失业登记",
            "登记失业",
            "2025-03-01",
        ]


HEADER = ["身份证号码", "姓名", "手机号码", "居住依据", "重点群体", "群体证明日期"]


def write_csv(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(synthetic_rows(n))
    return out.getvalue().encode("utf-8")


def make_database(tmp: Path) -> tuple[str, str | None]:
    """(database URL, PostgreSQL database to drop afterwards or None)."""
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        return f"sqlite:///{tmp / 'bench.db'}", None
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"voucher_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin.url.set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(os.environ["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build_app(tmp: Path, url: str):
    os.environ["VOUCHER_INSTANCE_PATH"] = str(tmp / "instance")
    from voucher import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "PII_KEY": "bench-pii-key",
            "SIGNING_KEY_DIR": str(tmp / "keys"),
            "PUBLIC_HOST": "voucher.bench",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def prepare(n: int, extra: int):
    """Schema, catalogue, demo, a signing key, and a 通用 quota of n over an accepted plan."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from voucher.accounts.access import Actor
    from voucher.catalog.services import entry_by_code, load_catalogue
    from voucher.core.clock import business_today
    from voucher.db import db
    from voucher.demo import load_demo
    from voucher.issuance.keys import ensure_active_key
    from voucher.issuance.services import create_quota
    from voucher.units.models import TrainingUnit
    from voucher.units.services import accept_occupation

    system = Actor.system("bench")
    upgrade()
    load_catalogue(system)
    load_demo()
    ensure_active_key(system)
    unit = db.session.execute(select(TrainingUnit).order_by(TrainingUnit.id)).scalars().first()
    entry = entry_by_code("4-04-05-01")  # an occupation the demo does not accept
    accept_occupation(system, unit.id, entry.id, headcount=n + extra, standard_fen=80_000)
    today = business_today()
    quota = create_quota(
        system,
        entry_id=entry.id,
        unit_id=None,
        groups=["unemployed"],
        planned=n + extra,
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=90),
    )
    return system, quota


def ceiling(n: int, quota, person_ids: list[int]) -> float:
    """Sign n vouchers and bulk-insert them (executemany), nothing else; rolled back."""
    from sqlalchemy import insert

    from voucher.core.clock import business_today
    from voucher.db import db, utcnow
    from voucher.issuance.keys import active_signer
    from voucher.issuance.models import Voucher
    from voucher.issuance.services import sign_voucher, validity

    kid, private_key = active_signer()
    not_before, expires = validity(
        quota.valid_from, quota.valid_until, business_today(), quota.voucher_days
    )
    holder = b"\x01" * 32
    started = time.perf_counter()
    rows = []
    now = utcnow()
    for i in range(n):
        signed = sign_voucher(
            kid=kid,
            private_key=private_key,
            holder_hash=holder,
            entry_id=quota.entry_id,
            unit_id=None,
            amount_fen=quota.amount_fen,
            not_before=not_before,
            expires_at=expires,
        )
        rows.append(
            {
                "uid": signed.uid,
                "human_code": signed.human_code,
                "person_id": person_ids[i % len(person_ids)],
                "kid": kid,
                "entry_id": quota.entry_id,
                "unit_id": None,
                "amount_fen": quota.amount_fen,
                "not_before": not_before,
                "expires_at": expires,
                "status": "issued",
                "token": signed.token,
                "issued_at": now,
                "issued_by": None,
                "quota_id": quota.id,
                "batch_id": None,
                "level": None,
            }
        )
    session = db.session
    session.execute(insert(Voucher), rows)
    session.flush()
    session.commit()
    seconds = time.perf_counter() - started
    return seconds


def peak_rss_mb() -> float:
    """This process's own peak resident set in MB (VmHWM; ru_maxrss where /proc is missing)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(path: str, url: str, tmp: str, quota_id: int) -> None:
    """Child process: check the whole xlsx list (read + rules) and report peak RSS."""
    app = build_app(Path(tmp), url)
    with app.app_context():
        from voucher.accounts.access import Actor
        from voucher.issuance import batches

        data = Path(path).read_bytes()
        system = Actor.system("bench")
        batch = batches.start_batch(system, quota_id=quota_id, filename="list.xlsx", data=data)
        started = time.perf_counter()
        result = batches.run_batch(system, batch.id, data, seal=False)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        print(
            json.dumps(
                {
                    "peak_mb": round(peak, 1),
                    "seconds": round(seconds, 2),
                    "status": result.status,
                    "issued": result.issued,
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(*args.child[:3], int(args.child[3]))
        return

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, pg_name = make_database(tmp)
        try:
            result = run(args, tmp, url)
        finally:
            if pg_name:
                from voucher.db import db

                with contextlib.suppress(RuntimeError):
                    db.engine.dispose()
                drop_database(pg_name)
    print(json.dumps(result))


def run(args, tmp: Path, url: str) -> dict:
    from sqlalchemy import func, select

    from voucher.db import db
    from voucher.issuance import batches
    from voucher.issuance.models import Person, Voucher

    app = build_app(tmp, url)
    with app.app_context():
        backend = db.engine.dialect.name
        system, quota = prepare(args.n, args.xlsx_rows)
        data = write_csv(args.n)
        print(f"{backend}: batch of {args.n} rows ({len(data) / 2**20:.1f} MB csv)", flush=True)
        batch = batches.start_batch(system, quota_id=quota.id, filename="list.csv", data=data)
        started = time.perf_counter()
        result = batches.run_batch(system, batch.id, data, seal=False)
        seconds = time.perf_counter() - started
        assert result.status == "done", result.message
        sealing = time.perf_counter()
        from voucher.audit.services import seal_pending

        sealed = seal_pending(full=True)
        seal_seconds = time.perf_counter() - sealing
        print(f"  audit chain sealing afterwards: {sealed} events in {seal_seconds:.2f} s")
        issued = db.session.execute(
            select(func.count()).where(Voucher.batch_id == batch.id)
        ).scalar_one()
        assert issued == args.n, issued
        print(f"  batch service: {seconds:.2f} s ({args.n / seconds:,.0f} vouchers/s)", flush=True)
        person_ids = list(db.session.execute(select(Person.id).limit(1000)).scalars())
        ceiling_seconds = ceiling(args.n, quota, person_ids)
        print(
            f"  ceiling (sign + bulk insert only): {ceiling_seconds:.2f} s "
            f"({args.n / ceiling_seconds:,.0f}/s)",
            flush=True,
        )
        # the xlsx memory run: fresh rows for the same quota, checked and issued in a child
        xlsx = tmp / "list.xlsx"
        write_xlsx_offset(xlsx, args.xlsx_rows, args.n)
        db.session.remove()
        db.engine.dispose()
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(xlsx), url, str(tmp), str(quota.id)],
        capture_output=True,
        text=True,
        check=True,
    )
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"  xlsx import of {args.xlsx_rows} rows: peak {memory['peak_mb']} MB, "
        f"{memory['seconds']} s, {memory['status']}",
        flush=True,
    )
    return {
        "backend": backend,
        "n": args.n,
        "seconds": round(seconds, 3),
        "ceiling_seconds": round(ceiling_seconds, 3),
        "ratio": round(ceiling_seconds / seconds, 3),
        "vouchers_per_second": round(args.n / seconds),
        "seal_seconds": round(seal_seconds, 3),
        "import_rows": args.xlsx_rows,
        "import_peak_mb": memory["peak_mb"],
        "import_seconds": memory["seconds"],
        "import_status": memory["status"],
    }


def write_xlsx_offset(path: Path, n: int, offset: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    sheet.append(HEADER)
    for row in synthetic_rows(n, start=offset):
        sheet.append(row)
    book.save(path)


if __name__ == "__main__":
    main()
