"""Bulk issuance: every row checked, all or nothing, never twice, progress and error report."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.integration.test_issuance_support import (
    HEADER,
    csv_bytes,
    make_eligible,
    make_quota,
    new_id,
    rows_for,
    xlsx_bytes,
)
from voucher.audit.models import AuditEvent
from voucher.core.clock import business_today
from voucher.db import db
from voucher.errors import Conflict
from voucher.issuance import batches
from voucher.issuance.models import BatchStatus, Person, Quota, Voucher
from voucher.issuance.services import resolve_voucher


def count(model) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def quota_vouchers(quota) -> int:
    db.session.rollback()
    stmt = select(func.count()).where(Voucher.quota_id == quota.id)
    return db.session.execute(stmt).scalar_one()


def issued(quota) -> int:
    db.session.rollback()
    return db.session.execute(select(Quota.issued).where(Quota.id == quota.id)).scalar_one()


def run(demo, quota, data: bytes, filename: str = "名单.csv"):
    city = demo.actor("city")
    batch = batches.start_batch(city, quota_id=quota.id, filename=filename, data=data)
    return batches.run_batch(city, batch.id, data)


def error_codes(demo, batch) -> list[tuple[int, str]]:
    return [(e.row, e.code) for e in batches.batch_errors(demo.actor("city"), batch.id)]


def test_a_csv_list_issues_one_verifiable_voucher_per_row_and_registers_new_people(demo):
    quota = make_quota(demo, planned=5)
    people_before = count(Person)
    result = run(demo, quota, csv_bytes(rows_for(3)))
    assert result.status == BatchStatus.DONE, result.message
    assert (result.issued, result.registered) == (3, 3)
    assert count(Person) == people_before + 3
    vouchers = db.session.execute(select(Voucher).where(Voucher.batch_id == result.id)).scalars()
    vouchers = list(vouchers)
    assert len(vouchers) == 3
    for voucher in vouchers:
        _claims, found = resolve_voucher(voucher.token)
        assert found.id == voucher.id
        assert voucher.amount_fen == quota.amount_fen
        assert voucher.unit_id == demo.units[0].id
    assert issued(quota) == 3
    audited = set(
        db.session.execute(
            select(AuditEvent.object_id).where(AuditEvent.action == "voucher.issued")
        ).scalars()
    )
    assert {str(v.id) for v in vouchers} <= audited
    registered = db.session.execute(
        select(func.count()).where(AuditEvent.action == "person.registered")
    ).scalar_one()
    assert registered == count(Person)


def test_an_xlsx_list_issues_to_registered_people_after_checking_name_and_phone(demo):
    make_eligible(demo, 0, 1)
    quota = make_quota(demo, planned=5)
    from voucher.keyring import pii_cipher

    numbers = [pii_cipher().decrypt(p.id_cipher, aad=b"person.id_number") for p in demo.people[:2]]
    rows = [[n, p.name, p.phone, "", "", ""] for n, p in zip(numbers, demo.people, strict=False)]
    result = run(demo, quota, xlsx_bytes(rows), "名单.xlsx")
    assert result.status == BatchStatus.DONE, result.message
    assert (result.issued, result.registered) == (2, 0)


def test_the_same_file_uploaded_twice_never_issues_twice(demo):
    quota = make_quota(demo, planned=10)
    data = csv_bytes(rows_for(2))
    assert run(demo, quota, data).status == BatchStatus.DONE
    with pytest.raises(Conflict) as refused:
        batches.start_batch(demo.actor("city"), quota_id=quota.id, filename="again.csv", data=data)
    assert refused.value.code == "batch_duplicate"
    assert quota_vouchers(quota) == 2


def test_every_bad_row_is_named_with_its_rule_and_nothing_is_written(demo):
    make_eligible(demo, 0)
    quota = make_quota(demo, planned=50)
    good = rows_for(2)
    wrong_check = new_id(300)[:-1] + ("0" if new_id(300)[-1] != "0" else "1")
    from voucher.keyring import pii_cipher

    registered = pii_cipher().decrypt(demo.people[0].id_cipher, aad=b"person.id_number")
    today = business_today()
    too_young = new_id(301, date(today.year - 15, 1, 1))
    too_old = new_id(303, date(today.year - 70, 1, 1))  # odd sequence digit: a man
    rows = [
        good[0],  # row 2
        [wrong_check, "校验", "13900000100", "失业登记", "登记失业", "2025-03-01"],  # row 3
        [registered, "别人", demo.people[0].phone, "", "", ""],  # row 4: name mismatch
        good[1],  # row 5
        list(good[1]),  # row 6: duplicate of row 5
        [too_young, "少年", "13900000101", "失业登记", "登记失业", "2025-03-01"],  # row 7
        [too_old, "老人", "13900000102", "失业登记", "登记失业", "2025-03-01"],  # row 8
        [new_id(304), "无群体", "13900000103", "户籍", "", ""],  # row 9
    ]
    people, vouchers, events = count(Person), count(Voucher), count(AuditEvent)
    result = run(demo, quota, csv_bytes(rows))
    assert result.status == BatchStatus.REFUSED
    codes = error_codes(demo, result)
    assert (3, "id_number_check_digit") in codes
    assert (4, "name_mismatch") in codes
    assert (6, "duplicate_row") in codes
    assert (7, "age_too_young") in codes
    assert (8, "age_too_old") in codes
    assert (9, "not_in_target_group") in codes
    assert not [c for c in codes if c[0] in (2, 5)]
    assert (count(Person), count(Voucher)) == (people, vouchers)
    assert count(AuditEvent) == events + 1  # only the upload itself
    assert issued(quota) == 0
    report = load_workbook(io.BytesIO(batches.error_report(demo.actor("city"), result.id)))
    lines = [tuple(r) for r in report.active.iter_rows(values_only=True)]
    assert lines[1] == ("行号", "规则代码", "原因")
    assert (3, "id_number_check_digit") in [(r[0], r[1]) for r in lines[2:]]
    assert any("姓名与登记信息不符" in (r[2] or "") for r in lines[2:])


def test_a_quota_exhausted_in_the_middle_of_a_batch_refuses_the_whole_batch(demo):
    quota = make_quota(demo, planned=3)
    result = run(demo, quota, csv_bytes(rows_for(5)))
    assert result.status == BatchStatus.REFUSED
    assert error_codes(demo, result) == [(5, "quota_exhausted")]
    assert quota_vouchers(quota) == 0
    assert issued(quota) == 0


def test_a_refused_file_may_be_run_again_once_the_cause_is_fixed(demo):
    quota = make_quota(demo, planned=3)
    data = csv_bytes(rows_for(4))
    assert run(demo, quota, data).status == BatchStatus.REFUSED
    assert run(demo, quota, csv_bytes(rows_for(3))).status == BatchStatus.DONE
    assert quota_vouchers(quota) == 3


def test_a_list_without_the_required_columns_is_refused_with_the_missing_ones(demo):
    quota = make_quota(demo)
    result = run(demo, quota, csv_bytes([["1", "2"]], header=["编号", "姓名"]))
    assert result.status == BatchStatus.REFUSED
    assert "身份证号码" in result.message and "手机号码" in result.message


def test_a_background_batch_reports_progress_to_other_requests_and_finishes(demo, monkeypatch):
    monkeypatch.setattr(batches, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(batches, "CHUNK", 10)
    quota = make_quota(demo, planned=60)
    data = csv_bytes(rows_for(45))
    seen: list[int] = []
    real_set = batches._set

    def spy(batch_id, **values):
        real_set(batch_id, **values)
        if "checked" in values:
            # what another request would read now: a fresh session on the same database
            seen.append(batches._snapshot(batch_id).checked)

    monkeypatch.setattr(batches, "_set", spy)
    city = demo.actor("city")
    batch = batches.start_batch(city, quota_id=quota.id, filename="list.csv", data=data)
    assert batch.total == 45
    db.session.commit()
    batches.launch(city, batch.id, data)
    batches.wait(batch.id)
    done = batches.get_batch(city, batch.id)
    assert done.status == BatchStatus.DONE, done.message
    assert done.issued == 45
    assert seen[0] < 45 and seen[-1] == 45


def test_the_template_has_the_expected_header(app):
    book = load_workbook(io.BytesIO(batches.template_xlsx()))
    header = next(book.active.iter_rows(values_only=True))
    assert list(header[: len(HEADER)])[:3] == HEADER[:3]


def test_the_progress_total_of_an_xlsx_list_is_known_with_or_without_a_declared_dimension(demo):
    from openpyxl import Workbook

    rows = [[f"r{i}", "名", "13800000000", "", "", ""] for i in range(1234)]
    streamed = xlsx_bytes(rows)  # write-only: no <dimension>, rows counted from the XML
    assert batches.count_rows(streamed, "名单.xlsx") == 1234
    book = Workbook()
    for row in [HEADER, *rows[:7]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    assert batches.count_rows(out.getvalue(), "名单.xlsx") == 7
    assert batches.count_rows(b"not a zip", "名单.xlsx") == 0
