"""The attachment-5 catalogue: loading, search, standards by page, API and xlsx import/export."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.factories import csrf_token, login
from voucher.audit.models import AuditEvent
from voucher.catalog.models import CatalogueEntry, SubsidyStandard
from voucher.catalog.rules import SPECIAL_ABILITY
from voucher.catalog.services import STANDARD_HEADERS, load_catalogue, search
from voucher.db import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_HEADER = ("编码", "名称", "类型", "证书类型", "等级", "补贴标准（元）")


def _standards() -> set[tuple[int, str, int]]:
    """Every standard as (entry id, level, fen): the state that must not change on refusal."""
    rows = db.session.execute(
        select(SubsidyStandard.entry_id, SubsidyStandard.level, SubsidyStandard.amount_fen)
    )
    return {tuple(r) for r in rows}


def _audit_count() -> int:
    return db.session.execute(select(func.count(AuditEvent.id))).scalar_one()


def _entry(code: str = "", name: str = "") -> CatalogueEntry:
    stmt = select(CatalogueEntry)
    stmt = stmt.where(CatalogueEntry.code == code) if code else stmt
    stmt = stmt.where(CatalogueEntry.name == name) if name else stmt
    return db.session.execute(stmt).scalar_one()


def _special_entry() -> CatalogueEntry:
    return db.session.execute(
        select(CatalogueEntry)
        .where(CatalogueEntry.certificate_type == SPECIAL_ABILITY)
        .order_by(CatalogueEntry.seq)
        .limit(1)
    ).scalar_one()


def _xlsx(rows: Sequence[Sequence[Any]], header: Sequence[str] = IMPORT_HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(client: FlaskClient, data: bytes, filename: str = "标准.xlsx") -> Any:
    token = csrf_token(client, "/catalogue/standards/import")
    return client.post(
        "/catalogue/standards/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename, XLSX)},
        content_type="multipart/form-data",
    )


def _bearer(client: FlaskClient, username: str) -> dict[str, str]:
    login(client, username)
    page = client.post(
        "/account", data={"csrf_token": csrf_token(client, "/account"), "name": "机器"}
    ).get_data(as_text=True)
    token = re.search(r'data-testid="new-token"><code>([^<]+)</code>', page).group(1)
    return {"Authorization": f"Bearer {token}"}


# --- loading --------------------------------------------------------------------------------


def test_the_catalogue_holds_exactly_498_entries(app):
    by_type = dict(
        db.session.execute(
            select(CatalogueEntry.certificate_type, func.count()).group_by(
                CatalogueEntry.certificate_type
            )
        ).all()
    )

    assert by_type == {"技能等级证书": 426, "专项能力证书": 72}


def test_loading_the_catalogue_again_adds_nothing(app, system):
    before = db.session.execute(select(CatalogueEntry.id, CatalogueEntry.seq)).all()
    events = _audit_count()

    assert load_catalogue(system) == (0, 0)
    assert load_catalogue(system) == (0, 0)

    assert sorted(
        db.session.execute(select(CatalogueEntry.id, CatalogueEntry.seq)).all()
    ) == sorted(before)
    assert _audit_count() == events


def test_loading_the_catalogue_is_for_city_officers(demo):
    from voucher.errors import Forbidden

    with pytest.raises(Forbidden):
        load_catalogue(demo.actor("unit1"))


def test_repeated_serial_numbers_do_not_merge_entries(app):
    serials = db.session.execute(
        select(CatalogueEntry.serial, func.count())
        .group_by(CatalogueEntry.serial)
        .having(func.count() > 1)
    ).all()

    assert {s for s, _n in serials} >= {"57", "64", "71", "440", "459"}


# --- search ---------------------------------------------------------------------------------


def test_search_by_name_finds_the_entry(app):
    page = search("养老护理")

    assert [e.code for e in page.items] == ["4-10-01-05"]
    assert page.total == 1


def test_search_by_code_prefix_finds_the_family(app):
    page = search("4-10-01")

    assert page.total == 4
    assert all(e.code.startswith("4-10-01") for e in page.items)


def test_search_by_certificate_type_filters(app):
    page = search(certificate_type=SPECIAL_ABILITY, per_page=200)

    assert page.total == 72
    assert {e.certificate_type for e in page.items} == {SPECIAL_ABILITY}


def test_the_search_page_lists_matching_entries_for_anyone_signed_in(client, demo):
    for username in ("city", "tianhe", "unit1", "finance"):
        login(client, username)

        response = client.get("/catalogue", query_string={"q": "家政服务员"})

        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "家政服务员" in html and "共 1 条" in html
        client.post("/logout", data={"csrf_token": csrf_token(client, "/catalogue")})


def test_the_search_page_pages_through_results(client, demo):
    login(client, "unit2")

    first = client.get("/catalogue").get_data(as_text=True)
    second = client.get("/catalogue", query_string={"page": 2}).get_data(as_text=True)

    assert "共 498 条" in first and "1 / 17" in first
    assert "2 / 17" in second


def test_the_search_page_needs_a_signed_in_user(client, app):
    response = client.get("/catalogue")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_search_api_finds_by_name_code_prefix_and_certificate_type(client, demo):
    headers = _bearer(client, "unit1")

    by_name = client.get("/api/v1/catalogue", query_string={"q": "养老护理员"}, headers=headers)
    by_code = client.get("/api/v1/catalogue", query_string={"q": "4-10-01"}, headers=headers)
    by_type = client.get(
        "/api/v1/catalogue",
        query_string={"certificate_type": SPECIAL_ABILITY, "per_page": 10, "page": 2},
        headers=headers,
    )

    assert by_name.status_code == 200
    item = by_name.get_json()["items"][0]
    assert item["code"] == "4-10-01-05"
    assert {"level": "5", "amount_fen": 150_000, "amount_yuan": "1500.00"} in item["standards"]
    assert {e["code"] for e in by_code.get_json()["items"]} == {
        "4-10-01-01",
        "4-10-01-03",
        "4-10-01-05",
        "4-10-01-06",
    }
    page = by_type.get_json()
    assert {k: page[k] for k in ("total", "page", "per_page", "pages")} == {
        "total": 72,
        "page": 2,
        "per_page": 10,
        "pages": 8,
    }
    assert len(page["items"]) == 10
    assert {e["certificate_type"] for e in page["items"]} == {SPECIAL_ABILITY}


def test_the_search_api_refuses_an_unknown_certificate_type(client, demo):
    headers = _bearer(client, "finance")

    response = client.get(
        "/api/v1/catalogue", query_string={"certificate_type": "驾驶证"}, headers=headers
    )

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_failed"
    assert "certificate_type" in str(response.get_json()["errors"])


def test_an_unknown_entry_answers_not_found(client, demo):
    headers = _bearer(client, "city")

    api = client.get("/api/v1/catalogue/999999", headers=headers)
    page = client.get("/catalogue/999999")

    assert api.status_code == 404 and api.get_json()["code"] == "catalogue_unknown"
    assert page.status_code == 404 and "目录中没有该职业" in page.get_data(as_text=True)


# --- standards on the entry page -------------------------------------------------------------


def _set_on_page(client: FlaskClient, entry_id: int, level: str, amount: str) -> Any:
    token = csrf_token(client, f"/catalogue/{entry_id}")
    return client.post(
        f"/catalogue/{entry_id}", data={"csrf_token": token, "level": level, "amount": amount}
    )


def test_a_city_officer_sets_a_standard_in_yuan_and_it_is_stored_in_fen(client, demo):
    login(client, "city")

    response = _set_on_page(client, demo.housekeeping, "3", "1,234.5")

    assert response.status_code == 302
    assert (demo.housekeeping, "3", 123_450) in _standards()
    page = client.get(f"/catalogue/{demo.housekeeping}").get_data(as_text=True)
    assert "补贴标准已保存" in page
    assert 'data-level="3">1234.50' in page


def test_a_city_officer_changes_an_existing_standard(client, demo):
    login(client, "city")

    response = _set_on_page(client, demo.care, "5", "1600")

    assert response.status_code == 302
    standards = _standards()
    assert (demo.care, "5", 160_000) in standards
    assert (demo.care, "5", 150_000) not in standards


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "金额“abc”不是有效的数字"),
        ("-5", "金额不能为负数"),
        ("800.123", "最多只能精确到分"),
        ("0", "补贴标准应大于 0 且不超过 10000 元"),
        ("20000", "补贴标准应大于 0 且不超过 10000 元"),
        ("", "请填写金额"),
    ],
)
def test_a_bad_amount_re_renders_with_a_chinese_message_and_changes_nothing(
    client, demo, amount, message
):
    login(client, "city")
    before, events = _standards(), _audit_count()

    response = _set_on_page(client, demo.care, "5", amount)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="error"' in html
    assert _standards() == before
    assert _audit_count() == events


def test_a_level_not_offered_for_a_special_ability_entry_is_refused_on_the_page(client, demo):
    entry = _special_entry()
    login(client, "city")
    before = _standards()

    response = _set_on_page(client, entry.id, "3", "500")

    assert response.status_code == 422
    assert re.search(r'<p class="error">[^<]*[\u4e00-\u9fff]', response.get_data(as_text=True))
    assert _standards() == before


@pytest.mark.parametrize("username", ["tianhe", "unit1", "finance"])
def test_another_role_posting_the_standard_form_gets_403_and_nothing_changes(
    client, demo, username
):
    login(client, username)
    before, events = _standards(), _audit_count()

    response = _set_on_page(client, demo.care, "5", "9999")

    assert response.status_code == 403
    assert "无权" in response.get_data(as_text=True)
    assert _standards() == before
    assert _audit_count() == events


@pytest.mark.parametrize("username", ["tianhe", "unit1", "finance"])
def test_other_roles_see_the_entry_page_without_the_form(client, demo, username):
    login(client, username)

    html = client.get(f"/catalogue/{demo.care}").get_data(as_text=True)

    assert "养老护理员" in html and "1500.00" in html
    assert 'name="amount"' not in html


# --- standards through the API --------------------------------------------------------------


def test_a_city_officer_sets_a_standard_through_the_api(client, demo):
    headers = _bearer(client, "city")

    response = client.put(
        f"/api/v1/catalogue/{demo.care}/standards/2", json={"amount_fen": 300_000}, headers=headers
    )

    assert response.status_code == 200
    assert response.get_json() == {"level": "2", "amount_fen": 300_000, "amount_yuan": "3000.00"}
    assert (demo.care, "2", 300_000) in _standards()
    entry = client.get(f"/api/v1/catalogue/{demo.care}", headers=headers).get_json()
    assert {"level": "2", "amount_fen": 300_000, "amount_yuan": "3000.00"} in entry["standards"]


@pytest.mark.parametrize("username", ["tianhe", "unit1", "finance"])
def test_other_roles_get_403_json_from_the_standard_api(client, demo, username):
    headers = _bearer(client, username)
    before = _standards()

    response = client.put(
        f"/api/v1/catalogue/{demo.care}/standards/5", json={"amount_fen": 1}, headers=headers
    )

    assert response.status_code == 403
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["status"] == 403 and body["code"] == "forbidden"
    assert _standards() == before


@pytest.mark.parametrize(
    ("level", "code"),
    [("3", "level_invalid"), ("special", "level_invalid"), ("九级", "level_unknown")],
)
def test_a_level_not_valid_for_the_certificate_type_is_refused_by_the_api(
    client, demo, level, code
):
    special = _special_entry()
    headers = _bearer(client, "city")
    before = _standards()
    target = special.id if level == "3" else demo.care

    response = client.put(
        f"/api/v1/catalogue/{target}/standards/{level}",
        json={"amount_fen": 50_000},
        headers=headers,
    )

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", body["message"])
    assert _standards() == before


def test_the_special_ability_level_is_accepted_for_a_special_ability_entry(client, demo):
    special = _special_entry()
    headers = _bearer(client, "city")

    response = client.put(
        f"/api/v1/catalogue/{special.id}/standards/special",
        json={"amount_fen": 50_000},
        headers=headers,
    )

    assert response.status_code == 200
    assert (special.id, "special", 50_000) in _standards()


@pytest.mark.parametrize("body", [{"amount_fen": 0}, {"amount_fen": "abc"}, {}, {"x": 1}])
def test_a_bad_amount_in_the_api_answers_422_with_errors(client, demo, body):
    headers = _bearer(client, "city")
    before = _standards()

    response = client.put(f"/api/v1/catalogue/{demo.care}/standards/5", json=body, headers=headers)

    assert response.status_code == 422
    answer = response.get_json()
    assert answer["code"] == "validation_failed" and answer["errors"]
    assert _standards() == before


# --- xlsx import ----------------------------------------------------------------------------


def test_valid_rows_import(client, demo):
    special = _special_entry()
    login(client, "city")
    data = _xlsx(
        [
            ("4-10-01-06", "家政服务员", "南粤家政", "技能等级证书", "五级", "700"),
            ("4-10-01-06", "家政服务员", "南粤家政", "技能等级证书", "高级工", 1100.5),
            ("", special.name, special.category, SPECIAL_ABILITY, "专项能力", "¥450"),
        ]
    )

    response = _upload(client, data)

    assert response.status_code == 302
    standards = _standards()
    assert {
        (demo.housekeeping, "5", 70_000),
        (demo.housekeeping, "3", 110_050),
        (special.id, "special", 45_000),
    } <= standards
    flash = client.get("/catalogue").get_data(as_text=True)
    assert "导入完成：3 行，更新 3 项" in flash


def test_a_file_with_bad_rows_imports_nothing_and_lists_each_bad_row(client, demo):
    login(client, "city")
    before, events = _standards(), _audit_count()
    data = _xlsx(
        [
            ("4-10-01-06", "家政服务员", "", "", "五级", "700"),  # row 2: fine
            ("", "不存在的工种", "", "", "五级", "700"),  # row 3: unknown name
            ("4-10-01-06", "家政服务员", "", "", "六级", "700"),  # row 4: bad level
            ("4-10-01-06", "家政服务员", "", "", "四级", "abc"),  # row 5: bad amount
            ("9-99-99-99", "养老护理员", "", "", "五级", "700"),  # row 6: code does not match
            ("4-10-01-06", "家政服务员", "", "", "四级", "800.123"),  # row 7: fractions of fen
        ]
    )

    response = _upload(client, data)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "导入未执行：5 行有误" in html
    for row in (3, 4, 5, 6, 7):
        assert f"<strong>第{row}行</strong>" in html
    assert "<strong>第2行</strong>" not in html
    assert "不存在的工种" in html and "六级" in html and "abc" in html and "9-99-99-99" in html
    assert _standards() == before
    assert _audit_count() == events


def test_a_file_without_the_expected_header_is_refused(client, demo):
    login(client, "city")
    before = _standards()

    response = _upload(client, _xlsx([("家政服务员", "700")], header=("职业", "金额")))

    assert response.status_code == 422
    assert "表头应包含" in response.get_data(as_text=True)
    assert _standards() == before


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            b"\xe7\xbc\x96\xe7\xa0\x81,\xe5\x90\x8d\xe7\xa7\xb0\n1,2\n",
            "标准.xlsx",
            "不是有效的 .xlsx",
        ),
        (b"PK\x03\x04 not really a zip", "标准.xlsx", "不是有效的 .xlsx"),
        ("编码,名称,等级,补贴标准（元）\n".encode(), "标准.csv", "请上传 .xlsx 格式"),
        (b"", "标准.xlsx", "上传的文件是空的"),
    ],
)
def test_a_file_that_is_not_an_xlsx_gets_a_chinese_message_and_changes_nothing(
    client, demo, content, filename, message
):
    login(client, "city")
    before, events = _standards(), _audit_count()

    response = _upload(client, content, filename)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _standards() == before
    assert _audit_count() == events


def test_an_upload_without_a_file_asks_for_one(client, demo):
    login(client, "city")

    response = client.post(
        "/catalogue/standards/import",
        data={"csrf_token": csrf_token(client, "/catalogue/standards/import")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "请选择文件" in response.get_data(as_text=True)


def test_an_upload_over_the_size_limit_gets_a_chinese_message_and_changes_nothing(make_app):
    from tests.factories import DemoWorld

    application = make_app(MAX_CONTENT_LENGTH=4096)
    DemoWorld.build()
    client = application.test_client()
    login(client, "city")
    before, events = _standards(), _audit_count()
    rows = [("4-10-01-06", "家政服务员", "", "", "五级", str(700 + i)) for i in range(400)]
    data = _xlsx(rows)
    assert len(data) > 4096

    response = _upload(client, data)

    assert response.status_code == 413
    assert "上传的文件过大" in response.get_data(as_text=True)
    assert _standards() == before
    assert _audit_count() == events


@pytest.mark.parametrize("username", ["tianhe", "unit1", "finance"])
def test_other_roles_cannot_import_standards(client, demo, username):
    login(client, username)
    before = _standards()
    token = csrf_token(client, "/catalogue")

    page = client.get("/catalogue/standards/import")
    response = client.post(
        "/catalogue/standards/import",
        data={
            "csrf_token": token,
            "file": (
                io.BytesIO(_xlsx([("4-10-01-06", "家政服务员", "", "", "五级", "1")])),
                "a.xlsx",
            ),
        },
        content_type="multipart/form-data",
    )

    assert page.status_code == 403
    assert response.status_code == 403
    assert _standards() == before


# --- xlsx export ----------------------------------------------------------------------------


def test_the_export_is_an_xlsx_with_the_import_header(client, demo):
    login(client, "finance")

    response = client.get("/catalogue/export.xlsx")

    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[0]) == STANDARD_HEADERS == IMPORT_HEADER
    assert len(rows) - 1 == 426 * 5 + 72
    care = [r for r in rows if r[0] == "4-10-01-05"]
    assert [(r[4], r[5]) for r in care][:2] == [
        ("五级/初级工", "1500.00"),
        ("四级/中级工", "2000.00"),
    ]


def test_the_export_re_imports_cleanly(client, demo):
    login(client, "city")
    before, events = _standards(), _audit_count()
    exported = client.get("/catalogue/export.xlsx").data

    response = _upload(client, exported)

    assert response.status_code == 302
    assert "导入完成：3 行，更新 0 项" in client.get("/catalogue").get_data(as_text=True)
    assert _standards() == before
    assert _audit_count() == events


def test_an_exported_file_filled_in_and_re_imported_sets_those_standards(client, demo):
    special = _special_entry()
    login(client, "city")
    workbook = load_workbook(io.BytesIO(client.get("/catalogue/export.xlsx").data))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "家政服务员" and row[4].value.startswith("二级"):
            row[5].value = "2600"
        if row[1].value == special.name:
            row[5].value = 480
    out = io.BytesIO()
    workbook.save(out)

    response = _upload(client, out.getvalue())

    assert response.status_code == 302
    standards = _standards()
    assert (demo.housekeeping, "2", 260_000) in standards
    assert (special.id, "special", 48_000) in standards
    assert (demo.care, "5", 150_000) in standards
