"""Bulk synthetic settlement data for benchmarks and crash tests (PostgreSQL, generate_series).

Builds N redeemed, qualified trainees across U accepted units with plain ``INSERT … SELECT``
statements: no Python loop over rows. Columns are filled from the models' metadata, so columns
other modules add later (with a scalar default or NULL allowed) need no change here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from voucher.db import Base

# Values for columns the series must set itself (``g`` is the series value 1..N).
PERSON = {
    "id": "g",
    "id_hash": "decode(md5('p' || g::text), 'hex')",
    "id_cipher": "'\\x00'::bytea",
    "id_masked": "'4401**********' || lpad((g % 10000)::text, 4, '0')",
    "name": "'学员' || g::text",
    "phone": "'138' || lpad(g::text, 8, '0')",
    "birth_date": "DATE '1990-01-01' + (g % 3000)",
    "sex": "CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END",
}
VOUCHER = {
    "id": "g",
    "uid": "md5('v' || g::text)",
    "human_code": "lpad(g::text, 13, '0')",
    "person_id": "g",
    "kid": ":kid",
    "entry_id": ":entry_id",
    "unit_id": "1 + g % :units",
    "amount_fen": "80000",
    "not_before": "now() - interval '200 days'",
    "expires_at": "now() + interval '200 days'",
    "status": "'redeemed'",
    "token": "'x'",
}
REDEMPTION = {
    "id": "g",
    "voucher_id": "g",
    "unit_id": "1 + g % :units",
    "fee_fen": "100000",
    "offset_fen": "80000",
    "redeemed_at": "now() - interval '60 days'",
}
RESULT = {
    "id": "g",
    "redemption_id": "g",
    "unit_id": "1 + g % :units",
    "entry_id": ":entry_id",
    "passed": "true",
    "certificate_type": "'training'",
    "level": "''",
    "certificate_no": "'C' || g::text",
    "issued_on": "CURRENT_DATE - 30",
    "cert_year": "EXTRACT(YEAR FROM CURRENT_DATE - 30)::int",
    "assessment_body": "'鉴定中心'",
}


def _fill(table: sa.Table, given: dict[str, str]) -> tuple[list[str], list[str], dict[str, Any]]:
    """Columns and SELECT expressions: given ones, then defaults for other NOT NULL columns."""
    columns, exprs, params = [], [], {}
    for column in table.columns:
        if column.name in given:
            columns.append(column.name)
            exprs.append(given[column.name])
            continue
        if column.nullable or column.server_default is not None:
            continue
        default = column.default
        if default is not None and default.is_scalar:
            key = f"d_{table.name}_{column.name}"
            columns.append(column.name)
            exprs.append(f":{key}")
            params[key] = default.arg
        elif default is not None and default.is_callable:
            columns.append(column.name)
            exprs.append("now()")
        else:
            raise RuntimeError(f"no value for {table.name}.{column.name}")
    return columns, exprs, params


def insert_series(
    conn: Connection, table_name: str, n: int, given: dict[str, str], **params: Any
) -> None:
    """INSERT INTO table SELECT … FROM generate_series(1, n) g."""
    table = Base.metadata.tables[table_name]
    columns, exprs, defaults = _fill(table, given)
    # Identifiers come from the metadata and expressions from the constants above.
    sql = (
        f"INSERT INTO {table_name} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(exprs)} FROM generate_series(1, :n) g"
    )
    wanted = {k: v for k, v in (params | defaults | {"n": n}).items() if f":{k}" in sql}
    conn.execute(sa.text(sql), wanted)


def build(conn: Connection, n: int, units: int = 500) -> None:
    """N qualified redemptions across ``units`` accepted units (empty settlement tables)."""
    from voucher.catalog.models import CatalogueEntry
    from voucher.units.models import AcceptedOccupation, TrainingUnit

    entry_id = conn.execute(
        sa.select(CatalogueEntry.id).where(CatalogueEntry.code == "4-10-01-05")
    ).scalar_one()
    kid = "bench0000000000"
    conn.execute(
        sa.text(
            "INSERT INTO signing_key (kid, public_key, state, created_at) "
            "VALUES (:kid, :pk, 'active', now())"
        ),
        {"kid": kid, "pk": b"\x00" * 32},
    )
    conn.execute(
        sa.insert(TrainingUnit),
        [
            {
                "id": i,
                "name": f"基准培训机构{i}",
                "credit_code": f"BENCH{i:013d}",
                "district": "440106",
                "status": "accepted",
            }
            for i in range(1, units + 1)
        ],
    )
    conn.execute(
        sa.insert(AcceptedOccupation),
        [
            {"unit_id": i, "entry_id": entry_id, "headcount": n, "standard_fen": 80000}
            for i in range(1, units + 1)
        ],
    )
    insert_series(conn, "person", n, PERSON)
    insert_series(conn, "voucher", n, VOUCHER, kid=kid, entry_id=entry_id, units=units)
    insert_series(conn, "redemption", n, REDEMPTION, units=units)
    insert_series(conn, "assessment_result", n, RESULT, entry_id=entry_id, units=units)
    for table in ("person", "voucher", "redemption", "assessment_result", "training_unit"):
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT MAX(id) FROM {table}))"
            )
        )
    conn.execute(sa.text("ANALYZE"))
