"""The training unit's side: self-registration, profile, applications, exports, API, audit."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import RequestClient
from tests.factories import csrf_token, login, synthetic_credit_code
from voucher.accounts.access import Actor
from voucher.accounts.models import User
from voucher.audit.models import AuditEvent
from voucher.db import db
from voucher.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from voucher.units import applications as svc
from voucher.units.exports import ATTACHMENT2_HEADER_ROW, ATTACHMENT2_HEADERS
from voucher.units.models import (
    Application,
    ApplicationOccupation,
    ApplicationStatus,
    TrainingUnit,
    UnitFinance,
)
from voucher.units.services import current_round

NEW_CODE = synthetic_credit_code(77)
PASSWORD = "Unit-2026-gz!"


def _audit(action: str | None = None) -> int:
    stmt = select(func.count(AuditEvent.id))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return db.session.execute(stmt).scalar_one()


def _counts() -> tuple[int, ...]:
    """Everything a refused step must leave untouched."""
    return tuple(
        db.session.execute(select(func.count()).select_from(m)).scalar_one()
        for m in (TrainingUnit, User, Application, ApplicationOccupation, UnitFinance, AuditEvent)
    )


def _snapshot(application_id: int) -> dict[str, Any]:
    db.session.rollback()
    a = db.session.get(Application, application_id)
    db.session.refresh(a)
    return {
        "status": a.status,
        "name": a.name,
        "needs": a.needs_analysis,
        "occupations": [
            (o.occupation_key, o.yearly_headcount, o.standard_fen) for o in a.occupations
        ],
        "audit": _audit(),
    }


def _app_input(**over: Any) -> svc.ApplicationInput:
    values: dict[str, Any] = {
        "category": "programme",
        "name": "“一老一小”培训项目",
        "districts_served": ["440106", "越秀区"],
        "needs_analysis": "天河区养老机构护理员缺口大，就业需求明确。",
        "employment_plan": "训后三个月跟踪回访，推荐至合作养老机构就业。",
    }
    return svc.ApplicationInput(**(values | over))


def _occ_input(entry_id: int | None, **over: Any) -> svc.OccupationInput:
    values: dict[str, Any] = {
        "entry_id": entry_id,
        "introduction": "为老年人提供生活照料、护理服务。",
        "yearly_headcount": 100,
        "classes": 4,
        "content": "生活照料、基础护理、康复服务；每期 20 天",
        "hours": 120,
        "class_size": 25,
        "form": "mixed",
        "online_percent": 30,
        "certificates": "养老护理员职业技能等级证书（五级）",
        "teachers": {"total": 8, "title": 3, "skill_cert": 5},
        "equipment": [{"name": "护理床", "brand": "康复宝", "quantity": 10, "ownership": "自有"}],
        "standard_fen": 80_000,
    }
    return svc.OccupationInput(**(values | over))


def _profile(**over: Any) -> svc.Profile:
    values: dict[str, Any] = {
        "nature": "人社部门批复的培训机构",
        "main_field": "养老护理、家政服务",
        "founded_year": 2012,
        "registered_capital_fen": 500 * 10_000 * 100,
        "legal_rep_name": "李四",
        "legal_rep_title": "校长",
        "legal_rep_mobile": "13900000000",
        "legal_rep_email": "li@example.cn",
        "contact_name": "张三",
        "contact_title": "教务主任",
        "contact_mobile": "13800000000",
        "contact_email": "zhang@example.cn",
        "address": "广州市天河区天河路 1 号",
        "staff_total": 30,
        "staff_teachers": 20,
        "staff_academic": 5,
        "staff_other": 5,
        "introduction": "天河区人社局批复的民办职业培训学校。",
        "finances": [svc.FinanceYear(2024, 1_000_000_00, 30_000_00)],
    }
    return svc.Profile(**(values | over))


@pytest.fixture
def unit1(demo: Any) -> Actor:
    """Unit 1's operator, with a complete profile."""
    actor = demo.actor("unit1")
    svc.update_profile(actor, _profile())
    return actor


@pytest.fixture
def draft(unit1: Actor, demo: Any) -> Application:
    """A draft of unit 1 with one catalogue occupation (养老护理员, 100 × 800 yuan)."""
    return svc.create_application(unit1, _app_input(), [_occ_input(demo.care)])


def _form_post(client: FlaskClient, path: str, data: dict[str, Any], page: str = "") -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **data})


# ---- self-registration ----------------------------------------------------------------------


REGISTRATION = {
    "name": "广州新星职业培训中心",
    "credit_code": NEW_CODE,
    "district": "440106",
    "contact_name": "王五",
    "contact_mobile": "13700000000",
    "username": "xinxing",
    "password": PASSWORD,
    "password2": PASSWORD,
}


def test_a_unit_registers_itself_with_its_operator_and_then_signs_in_to_its_home(client, demo):
    before = _audit()

    response = _form_post(client, "/units/register", REGISTRATION)

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    unit = db.session.execute(
        select(TrainingUnit).where(TrainingUnit.credit_code == NEW_CODE)
    ).scalar_one()
    user = db.session.execute(select(User).where(User.username == "xinxing")).scalar_one()
    assert (unit.district, unit.contact_name, unit.contact_mobile) == (
        "440106",
        "王五",
        "13700000000",
    )
    assert (user.role, user.unit_id) == ("unit_operator", unit.id)
    assert _audit() - before == 3  # unit.registered, user.created, unit.self_registered
    assert _audit("unit.self_registered") == 1
    assert login(client, "xinxing", PASSWORD).status_code == 302
    home = client.get("/unit")
    assert home.status_code == 200 and "广州新星职业培训中心" in home.get_data(as_text=True)


def test_a_bad_credit_code_registers_nothing(client, demo):
    before = _counts()

    response = _form_post(client, "/units/register", REGISTRATION | {"credit_code": "123"})

    assert response.status_code == 422
    assert "统一社会信用代码无效" in response.get_data(as_text=True)
    assert _counts() == before


def test_a_taken_username_rolls_back_the_unit_too(client, demo):
    before = _counts()

    response = _form_post(client, "/units/register", REGISTRATION | {"username": "unit1"})

    assert response.status_code == 422
    assert "用户名 unit1 已存在" in response.get_data(as_text=True)
    assert _counts() == before


def test_registering_a_credit_code_twice_is_refused(demo):
    with pytest.raises(Conflict, match="已登记"):
        svc.register_self(
            **{k: v for k, v in REGISTRATION.items() if k != "password2"}
            | {"credit_code": demo.units[0].credit_code}
        )


# ---- profile --------------------------------------------------------------------------------


def test_the_operator_saves_the_profile_with_three_years_of_finance(client, demo):
    login(client, "unit1")
    years = svc.finance_years()
    assert years == [2024, 2025, 2026]  # the three years before the 2027 round
    data = {
        "nature": "技工院校",
        "founded_year": "2010",
        "registered_capital": "1,000.50",
        "legal_rep_name": "李四",
        "contact_name": "张三",
        "contact_mobile": "13800000000",
        "contact_email": "zhang@example.cn",
        "own_platform": "y",
        "platform_url": "https://learn.example.cn",
        "staff_total": "30",
        "staff_teachers": "20",
        "staff_academic": "5",
        "staff_other": "5",
        "finances-0-year": "2024",
        "finances-0-revenue": "1200000",
        "finances-0-tax": "36000.5",
        "finances-1-year": "2025",
        "finances-1-revenue": "",
        "finances-1-tax": "",
        "finances-2-year": "2026",
        "finances-2-revenue": "800000",
        "finances-2-tax": "",
    }

    response = _form_post(client, "/unit/profile", data)

    assert response.status_code == 302
    unit = db.session.get(TrainingUnit, demo.units[0].id)
    db.session.refresh(unit)
    assert unit.nature == "技工院校" and unit.founded_year == 2010
    assert unit.registered_capital_fen == 1000_50 * 10_000  # 1,000.50 万元
    assert unit.own_platform and unit.platform_url == "https://learn.example.cn"
    assert [(f.year, f.revenue_fen, f.tax_fen) for f in unit.finances] == [
        (2024, 120_000_000, 3_600_050),
        (2026, 80_000_000, None),
    ]
    assert _audit("unit.profile_updated") == 1
    page = client.get("/unit/profile").get_data(as_text=True)
    assert 'value="1000.50"' in page and 'value="36000.50"' in page


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"contact_mobile": "1380000"}, "手机号码应为 11 位数字"),
        ({"contact_email": "zhang-at-example"}, "电子邮箱格式不正确"),
        ({"founded_year": 1899}, "成立年份应在 1900 至"),
        ({"founded_year": 2999}, "成立年份应在 1900 至"),
        ({"registered_capital_fen": -1}, "注册资金不能为负数"),
        ({"staff_teachers": -1}, "人数不能为负数"),
        ({"staff_total": 10}, "不能超过施教施训总人数"),
        ({"nature": "个体户"}, "请从表中选择单位性质"),
        ({"own_platform": True, "platform_url": ""}, "请填写平台网址"),
    ],
)
def test_a_bad_profile_is_refused_and_nothing_changes(demo, over, message):
    actor = demo.actor("unit1")
    before = _counts()

    with pytest.raises(ValidationFailed, match=message):
        svc.update_profile(actor, _profile(**over))

    assert _counts() == before
    assert db.session.get(TrainingUnit, demo.units[0].id).nature == ""


def test_a_bad_profile_form_shows_the_reason_on_the_page(client, demo):
    login(client, "unit1")

    response = _form_post(
        client, "/unit/profile", {"nature": "其他", "contact_mobile": "12345", "staff_total": "x"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写整数" in page


def test_city_and_the_units_district_read_the_profile_others_get_not_found(app, demo, unit1):
    unit_id = demo.units[0].id
    answers = {}
    app.test_client_class = RequestClient
    for who in ("city", "tianhe", "unit1", "unit2", "finance"):
        client = app.test_client()
        login(client, who)
        answers[who] = client.get(f"/units/{unit_id}/profile").status_code

    assert answers == {"city": 200, "tianhe": 200, "unit1": 200, "unit2": 404, "finance": 403}


# ---- applications: happy path ----------------------------------------------------------------


def test_a_draft_is_submitted_with_its_budget_computed(client, demo, unit1):
    login(client, "unit1")
    response = _form_post(
        client,
        "/unit/applications/new",
        {
            "category": "programme",
            "name": "“一老一小”培训项目",
            "districts_served": ["440106", "440104"],
            "needs_analysis": "需求明确",
            "employment_plan": "训后跟踪",
        },
    )
    assert response.status_code == 302
    application_id = int(re.search(r"/unit/applications/(\d+)", response.headers["Location"])[1])
    occupation = {
        "entry_id": str(demo.care),
        "yearly_headcount": "120",
        "classes": "4",
        "hours": "100",
        "class_size": "30",
        "form": "mixed",
        "online_percent": "20",
        "certificates": "养老护理员五级",
        "teacher_total": "6",
        "teacher_title": "2",
        "equipment-0-name": "护理床",
        "equipment-0-brand": "康复宝",
        "equipment-0-quantity": "10",
        "equipment-0-ownership": "自有",
        "standard": "750",
    }
    path = f"/unit/applications/{application_id}/occupations/new"
    assert _form_post(client, path, occupation).status_code == 302

    page = client.get(f"/unit/applications/{application_id}").get_data(as_text=True)
    assert "90000.00" in page  # 120 × 750 yuan, computed
    response = _form_post(
        client,
        f"/unit/applications/{application_id}/submit",
        {},
        f"/unit/applications/{application_id}",
    )

    assert response.status_code == 302
    application = db.session.get(Application, application_id)
    db.session.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submitted_at is not None
    assert application.budget_fen == 120 * 75_000
    row = application.occupations[0]
    assert row.occupation_key == f"entry:{demo.care}"
    assert row.equipment == [
        {"name": "护理床", "brand": "康复宝", "quantity": 10, "ownership": "自有"}
    ]
    assert row.teachers == {"total": 6, "title": 2}
    assert (row.form, row.online_percent) == ("mixed", 20)
    assert application.districts_served == ["440104", "440106"]
    actions = [e.action for e in svc.application_timeline(unit1, application_id)]
    assert actions == [
        "application.created",
        "application.occupation_added",
        "application.submitted",
    ]
    page = client.get(f"/unit/applications/{application_id}").get_data(as_text=True)
    assert "提交区人社局" in page and "已提交区人社局" in page
    assert f"/unit/applications/{application_id}/edit" not in page  # read-only now


def test_every_step_of_a_draft_is_audited(draft, unit1, demo):
    occupation_id = draft.occupations[0].id
    svc.update_application(unit1, draft.id, _app_input(name="改名后的项目"))
    svc.update_occupation(
        unit1, draft.id, occupation_id, _occ_input(demo.care, yearly_headcount=50)
    )
    other = svc.add_occupation(
        unit1, draft.id, _occ_input(None, custom_name="无人机装调", certificates="")
    )
    svc.remove_occupation(unit1, draft.id, other.id)
    svc.submit_application(unit1, draft.id, today=date(2027, 8, 10))

    actions = [e.action for e in svc.application_timeline(unit1, draft.id)]

    assert actions == [
        "application.created",
        "application.occupation_added",
        "application.updated",
        "application.occupation_updated",
        "application.occupation_added",
        "application.occupation_removed",
        "application.submitted",
    ]


def test_a_market_needed_occupation_outside_the_catalogue_leads_to_a_training_certificate(
    draft, unit1
):
    row = svc.add_occupation(
        unit1, draft.id, _occ_input(None, custom_name="无人机装调", certificates="")
    )

    assert (row.occupation_key, row.entry_id, row.certificates) == (
        "custom:无人机装调",
        None,
        "培训合格证书",
    )
    with pytest.raises(ValidationFailed, match="只能申报培训合格证书项目"):
        svc.add_occupation(
            unit1, draft.id, _occ_input(None, custom_name="另一个", certificates="职业技能等级证书")
        )


def test_a_standard_above_800_is_allowed_where_the_catalogue_is_higher(draft, unit1, demo):
    # the demo sets 养老护理员 level 4 at 2,000 yuan
    row = svc.update_occupation(
        unit1, draft.id, draft.occupations[0].id, _occ_input(demo.care, standard_fen=2000_00)
    )

    assert row.budget_fen == 100 * 2000_00


# ---- applications: refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"yearly_headcount": 0}, "计划培训人数必须大于 0"),
        ({"yearly_headcount": -5}, "计划培训人数必须大于 0"),
        ({"entry_id": 987_654}, "目录中没有该职业（工种）"),
        ({"entry_id": None, "custom_name": ""}, "请从目录中选择职业（工种）"),
        ({"standard_fen": 0}, "每人补贴标准应大于 0 且不超过"),
        ({"form": "mixed", "online_percent": 0}, "须填写线上比例"),
        ({"form": "offline-ish"}, "未知的培训形式"),
        ({"teachers": {"total": 1, "title": 3}}, "各类师资人数不能超过师资总人数"),
    ],
)
def test_a_bad_occupation_is_refused_and_nothing_changes(draft, unit1, demo, over, message):
    before = _snapshot(draft.id)
    over = dict(over)  # the parameters are shared by both database runs
    entry = over.pop("entry_id", demo.housekeeping)

    with pytest.raises(ValidationFailed, match=message):
        svc.add_occupation(unit1, draft.id, _occ_input(entry, **over))

    assert _snapshot(draft.id) == before


def test_a_standard_above_800_for_a_catalogue_entry_without_a_higher_standard_is_refused(
    draft, unit1, demo
):
    before = _snapshot(draft.id)

    with pytest.raises(ValidationFailed, match="不超过 800 元"):
        svc.add_occupation(unit1, draft.id, _occ_input(demo.housekeeping, standard_fen=80_001))

    assert _snapshot(draft.id) == before


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"category": "other"}, "请选择项目类别"),
        ({"name": "  "}, "请填写项目名称"),
        ({"districts_served": ["萝卜区"]}, "未知的区"),
    ],
)
def test_a_bad_application_is_refused_and_nothing_changes(unit1, over, message):
    before = _counts()

    with pytest.raises(ValidationFailed, match=message):
        svc.create_application(unit1, _app_input(**over))

    assert _counts() == before


def test_unknown_occupation_on_the_page_is_refused_in_chinese(client, draft):
    login(client, "unit1")
    before = _snapshot(draft.id)

    response = _form_post(
        client,
        f"/unit/applications/{draft.id}/occupations/new",
        {"entry_id": "987654", "yearly_headcount": "10", "form": "offline", "standard": "500"},
    )

    assert response.status_code == 422
    assert "目录中没有该职业（工种）" in response.get_data(as_text=True)
    assert _snapshot(draft.id) == before


def test_headcount_zero_on_the_page_is_refused_in_chinese(client, draft, demo):
    login(client, "unit1")
    before = _snapshot(draft.id)

    response = _form_post(
        client,
        f"/unit/applications/{draft.id}/occupations/new",
        {
            "entry_id": str(demo.housekeeping),
            "yearly_headcount": "0",
            "form": "offline",
            "standard": "500",
        },
    )

    assert response.status_code == 422
    assert "计划培训人数必须大于 0" in response.get_data(as_text=True)
    assert _snapshot(draft.id) == before


def test_a_second_application_for_the_same_occupation_in_the_round_is_refused(draft, unit1, demo):
    before = _counts()

    with pytest.raises(Conflict, match="同一职业（工种）每批次只能申报一次"):
        svc.create_application(unit1, _app_input(name="另一个项目"), [_occ_input(demo.care)])

    assert _counts() == before
    other = svc.create_application(unit1, _app_input(name="另一个项目"))
    with pytest.raises(Conflict, match="养老护理员"):
        svc.add_occupation(unit1, other.id, _occ_input(demo.care))
    # the same occupation twice in one application is refused the same way
    with pytest.raises(Conflict):
        svc.add_occupation(unit1, draft.id, _occ_input(demo.care))
    # another unit may apply for the same occupation
    unit2 = demo.actor("unit2")
    assert svc.create_application(unit2, _app_input(), [_occ_input(demo.care)]).id


def test_the_unique_constraint_is_the_last_guard_against_a_duplicate(
    draft, unit1, demo, monkeypatch
):
    monkeypatch.setattr(svc, "_duplicate", lambda *args: None)  # the service check is bypassed
    other = svc.create_application(unit1, _app_input(name="另一个项目"))
    before = _snapshot(other.id)

    with pytest.raises(Conflict, match="同一职业（工种）每批次只能申报一次"):
        svc.add_occupation(unit1, other.id, _occ_input(demo.care))

    assert _snapshot(other.id) == before


def test_an_incomplete_application_cannot_be_submitted(unit1):
    application = svc.create_application(
        unit1, _app_input(districts_served=[], needs_analysis="", employment_plan="")
    )
    before = _snapshot(application.id)

    with pytest.raises(ValidationFailed) as refused:
        svc.submit_application(unit1, application.id, today=date(2027, 8, 1))

    message = str(refused.value)
    for problem in (
        "请至少选择一个项目承接区域",
        "请填写需求分析",
        "请填写指导就业计划",
        "请至少填写一个职业（工种）",
    ):
        assert problem in message
    assert _snapshot(application.id) == before


def test_submission_after_the_deadline_is_refused_naming_the_date(client, draft, unit1):
    before = _snapshot(draft.id)

    with pytest.raises(RuleViolation, match="2027-08-10"):
        svc.submit_application(unit1, draft.id, today=date(2027, 8, 11))

    assert _snapshot(draft.id) == before
    assert svc.submit_application(unit1, draft.id, today=date(2027, 8, 10)).status == "submitted"


def test_a_rounds_own_deadline_applies(demo, unit1):
    from voucher.units.services import create_round

    rnd = create_round(
        demo.actor("city"),
        name="第二批",
        year=2027,
        unit_deadline=date(2027, 9, 30),
        district_deadline=date(2027, 10, 15),
    )
    application = svc.create_application(
        unit1, _app_input(), [_occ_input(demo.care)], round_id=rnd.id
    )

    with pytest.raises(RuleViolation, match="2027-09-30"):
        svc.submit_application(unit1, application.id, today=date(2027, 10, 1))
    assert (
        svc.submit_application(unit1, application.id, today=date(2027, 9, 30)).status == "submitted"
    )


def test_a_submitted_application_is_read_only(client, draft, unit1, demo):
    svc.submit_application(unit1, draft.id, today=date(2027, 8, 1))
    login(client, "unit1")
    occupation_id = draft.occupations[0].id
    before = _snapshot(draft.id)

    attempts = [
        lambda: svc.update_application(unit1, draft.id, _app_input(name="改名")),
        lambda: svc.add_occupation(unit1, draft.id, _occ_input(demo.housekeeping)),
        lambda: svc.update_occupation(unit1, draft.id, occupation_id, _occ_input(demo.care)),
        lambda: svc.remove_occupation(unit1, draft.id, occupation_id),
        lambda: svc.submit_application(unit1, draft.id, today=date(2027, 8, 1)),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict, match="申报已提交（当前状态：已提交区人社局），不能再修改"):
            attempt()
    assert _snapshot(draft.id) == before

    response = _form_post(
        client,
        f"/unit/applications/{draft.id}/edit",
        {"category": "public", "name": "改名"},
        "/unit/applications",
    )
    assert response.status_code == 409
    assert "不能再修改" in response.get_data(as_text=True)
    for page in ("edit", f"occupations/{occupation_id}/edit", "occupations/new"):
        answer = client.get(f"/unit/applications/{draft.id}/{page}")
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith(f"/unit/applications/{draft.id}")
    assert _snapshot(draft.id) == before


def test_another_units_application_is_not_found_on_pages_and_api(client, draft, demo):
    login(client, "unit2")
    paths = [
        f"/unit/applications/{draft.id}",
        f"/unit/applications/{draft.id}/edit",
        f"/unit/applications/{draft.id}/occupations/new",
        f"/unit/applications/{draft.id}/export.xlsx",
    ]
    assert {p: client.get(p).status_code for p in paths} == dict.fromkeys(paths, 404)
    before = _snapshot(draft.id)
    response = _form_post(client, f"/unit/applications/{draft.id}/submit", {}, "/unit/applications")
    assert response.status_code == 404
    assert _snapshot(draft.id) == before

    api = client.get(f"/api/v1/applications/{draft.id}")
    assert api.status_code == 404 and api.get_json()["status"] == 404
    assert client.get("/api/v1/applications").get_json() == []


def test_the_api_gives_the_unit_its_profile_and_its_own_applications(client, draft, demo):
    login(client, "unit1")

    me = client.get("/api/v1/units/me").get_json()
    listed = client.get("/api/v1/applications").get_json()
    one = client.get(f"/api/v1/applications/{draft.id}").get_json()

    assert me["name"] == demo.units[0].name and me["contact_name"] == "张三"
    assert me["finances"] == [{"year": 2024, "revenue_fen": 100_000_000, "tax_fen": 3_000_000}]
    assert [a["id"] for a in listed] == [draft.id]
    assert one["budget_fen"] == 100 * 80_000 and one["budget_yuan"] == "80000.00"
    assert one["occupations"][0]["occupation_name"] == "养老护理员"


def test_the_district_sees_its_units_applications_in_the_api(client, draft):
    login(client, "tianhe")

    assert [a["id"] for a in client.get("/api/v1/applications").get_json()] == [draft.id]
    assert client.get("/api/v1/units/me").status_code == 404


# ---- exports ---------------------------------------------------------------------------------


def test_the_attachment2_export_carries_the_form_headers_in_order(client, draft, unit1, demo):
    svc.add_occupation(
        unit1,
        draft.id,
        _occ_input(
            None,
            custom_name="无人机装调",
            certificates="",
            form="offline",
            yearly_headcount=20,
            standard_fen=50_000,
        ),
    )
    login(client, "unit1")

    response = client.get("/unit/applications/attachment2.xlsx")

    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert tuple(rows[ATTACHMENT2_HEADER_ROW - 1]) == ATTACHMENT2_HEADERS
    assert ATTACHMENT2_HEADERS == (
        "序号",
        "拟申报职业培训项目",
        "拟申报职业（工种）",
        "拟开设培训班次",
        "拟培训人数（人）",
        "培训形式",
        "相关证书",
        "建议补贴标准（元/人）",
    )
    assert rows[1][:2] == ("单位：", demo.units[0].name)
    body = rows[ATTACHMENT2_HEADER_ROW:]
    assert body == [
        (
            1,
            "“一老一小”培训项目",
            "养老护理员",
            4,
            100,
            "线上+线下（线上 30%）",
            "养老护理员职业技能等级证书（五级）",
            "800.00",
        ),
        (2, "“一老一小”培训项目", "无人机装调", 4, 20, "全线下", "培训合格证书", "500.00"),
    ]


def test_the_application_export_is_named_district_unit_contact_and_phone(client, draft, demo):
    login(client, "unit1")

    response = client.get(f"/unit/applications/{draft.id}/export.xlsx")

    assert response.status_code == 200
    disposition = unquote(response.headers["Content-Disposition"])
    assert disposition.endswith("天河区广州天河职业技能培训学校（演示）张三13800000000.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert values["统一社会信用代码"] == demo.units[0].credit_code
    assert values["项目名称"] == "“一老一小”培训项目"
    assert values["项目承接区域"] == "越秀区、天河区"
    assert values["经费预算总额（元）"] == "80000.00"
    assert values["需求分析"].startswith("天河区养老机构")


def test_the_district_downloads_the_application_of_its_unit_under_the_same_name(client, draft):
    login(client, "tianhe")

    response = client.get(f"/unit/applications/{draft.id}/export.xlsx")

    assert response.status_code == 200
    assert unquote(response.headers["Content-Disposition"]).endswith("张三13800000000.xlsx")


def test_the_unit_pages_answer_in_chinese_and_are_phone_ready(client, draft):
    login(client, "unit1")

    for path in (
        "/unit",
        "/unit/profile",
        "/unit/applications",
        "/unit/applications/new",
        f"/unit/applications/{draft.id}",
        f"/unit/applications/{draft.id}/occupations/new",
        f"/unit/applications/{draft.id}/occupations/{draft.occupations[0].id}/edit",
    ):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script" not in page and "style=" not in page, path
        for table in re.findall(r"<table[^>]*>", page):
            assert 'class="stack"' in table, path
        for form in re.findall(r"<form method=\"post\".*?</form>", page, re.S):
            assert "csrf_token" in form, path


def test_the_add_row_button_adds_an_equipment_row_without_saving(client, draft):
    login(client, "unit1")
    path = f"/unit/applications/{draft.id}/occupations/new"
    before = _snapshot(draft.id)

    response = _form_post(client, path, {"add_equipment": "1", "equipment-0-name": "护理床"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="equipment-3-name"' in page and 'value="护理床"' in page
    assert _snapshot(draft.id) == before


def test_no_open_round_refuses_a_new_application(unit1):
    rnd = current_round()
    rnd.open = False
    db.session.commit()

    with pytest.raises(RuleViolation, match="当前没有开放的征集批次"):
        svc.create_application(unit1, _app_input())


def test_an_operator_cannot_read_another_units_profile(demo):
    with pytest.raises(NotFound):
        svc.get_unit(demo.actor("unit2"), demo.units[0].id)


def test_self_registration_is_rate_limited_like_the_login(make_app):
    application = make_app(LOGIN_RATE_LIMIT="2 per minute")
    client = application.test_client()
    for _attempt in range(2):
        response = _form_post(client, "/units/register", REGISTRATION | {"credit_code": "1"})
        assert response.status_code == 422

    refused = _form_post(client, "/units/register", REGISTRATION)

    assert refused.status_code == 429
    assert "请求过于频繁" in refused.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.username == "xinxing")).first() is None
