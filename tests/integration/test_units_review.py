"""The review side of a round: district review, city scoring and decision, public notice,
filing, the accepted list, monitoring, the attachment-3 export, pages and the public directory."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import DemoWorld, csrf_token, login, synthetic_credit_code
from voucher.accounts.access import Actor
from voucher.accounts.roles import Role
from voucher.accounts.services import actor_for, create_user
from voucher.audit.models import AuditEvent
from voucher.catalog.services import entry_by_code, set_standard
from voucher.db import db, unit_of_work, utcnow
from voucher.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from voucher.policy import POLICY
from voucher.units import monitoring, review
from voucher.units.models import (
    AcceptedOccupation,
    Application,
    ApplicationOccupation,
    ApplicationStatus,
    MonitoringRecord,
    NoticeObjection,
    TrainingUnit,
    UnitStatus,
)
from voucher.units.review_exports import (
    ATTACHMENT3_HEADER_ROW,
    ATTACHMENT3_HEADERS,
    district_summary_xlsx,
)
from voucher.units.services import accepted_list, current_round, register_unit

S = ApplicationStatus
PASSWORD = "Review-2027-gz"
DAY = date(2027, 8, 20)  # before the demo round's district deadline (2027-08-25)
HOUSEKEEPING = "4-10-01-06"  # 家政服务员: no catalogue standard in the demo (cap 800 yuan)
CARE = "4-10-01-05"  # 养老护理员: catalogue standard up to 2000 yuan in the demo
YUAN = 100


# ---- helpers ---------------------------------------------------------------------------------


def _unit(name: str = "广州天河揭榜测试培训学校", seed: int = 31, district: str = "天河区") -> int:
    unit = register_unit(
        Actor.system("test"), name=name, credit_code=synthetic_credit_code(seed), district=district
    )
    with unit_of_work():
        row = db.session.get(TrainingUnit, unit.id)
        assert row is not None
        row.nature = "职业院校"
    return unit.id


def submitted_application(
    unit_id: int,
    occupations: tuple[tuple[str | None, str], ...] = ((HOUSEKEEPING, ""), (None, "直播电商运营")),
    *,
    name: str = "南粤家政与直播电商培训项目",
) -> int:
    """Insert a SUBMITTED application with its occupations (the unit side is written elsewhere).

    ``occupations`` are (catalogue code or None, custom name)."""
    rnd = current_round()
    assert rnd is not None
    with unit_of_work() as session:
        unit = session.get(TrainingUnit, unit_id)
        assert unit is not None
        application = Application(
            round_id=rnd.id,
            unit_id=unit.id,
            district=unit.district,
            category="programme",
            name=name,
            districts_served=[unit.district],
            needs_analysis="需求分析",
            employment_plan="就业计划",
            status=S.SUBMITTED,
            submitted_at=utcnow(),
        )
        session.add(application)
        session.flush()
        for code, custom in occupations:
            entry = entry_by_code(code) if code else None
            session.add(
                ApplicationOccupation(
                    application_id=application.id,
                    round_id=rnd.id,
                    unit_id=unit.id,
                    occupation_key=f"entry:{entry.id}" if entry else f"custom:{custom}",
                    entry_id=entry.id if entry else None,
                    custom_name=custom,
                    yearly_headcount=50,
                    classes=2,
                    form="mixed",
                    online_percent=30,
                    certificates="职业技能等级证书（五级）" if entry else "培训合格证书",
                    standard_fen=800 * YUAN,
                )
            )
        return application.id


def _user(username: str, role: Role, **binding: Any) -> Actor:
    user = create_user(
        Actor.system("test"),
        username=username,
        display_name=username,
        password=PASSWORD,
        role=role,
        **binding,
    )
    return actor_for(user)


def _app(application_id: int) -> Application:
    """The application as stored now (the session's copies are expired first)."""
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(Application, application_id)
    assert row is not None
    return row


def _unit_status(unit_id: int) -> str:
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(TrainingUnit, unit_id)
    assert row is not None
    return row.status


def _audit_count() -> int:
    return db.session.execute(select(func.count(AuditEvent.id))).scalar_one()


def _actions(object_type: str, object_id: int) -> list[str]:
    return list(
        db.session.execute(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.id)
        ).scalars()
    )


def _sheet(keys: list[str], score: int) -> dict[str, int]:
    return {k: score for k in keys}


def _criteria_keys() -> list[str]:
    rnd = current_round()
    assert rnd is not None
    return [c["key"] for c in rnd.criteria]


def _occupation_ids(application_id: int) -> list[int]:
    return [o.id for o in _app(application_id).occupations]


def _to_decision(demo: DemoWorld, application_id: int, second: Actor | None = None) -> None:
    review.district_pass(demo.actor("tianhe"), application_id, today=DAY)
    review.record_scores(demo.actor("city"), application_id, _sheet(_criteria_keys(), 80))
    if second is not None:
        review.record_scores(second, application_id, _sheet(_criteria_keys(), 90))


def _approve(demo: DemoWorld, application_id: int, standard_fen: int = 700 * YUAN) -> None:
    first, second = _occupation_ids(application_id)
    review.decide(
        demo.actor("city"),
        application_id,
        approve=True,
        reason="集体决策通过",
        accepted={first: (40, standard_fen), second: (20, 500 * YUAN)},
    )


# ---- the full path ---------------------------------------------------------------------------


def test_submitted_application_goes_all_the_way_to_the_accepted_list(demo: DemoWorld) -> None:
    unit_id = _unit()
    app_id = submitted_application(unit_id)
    city, tianhe = demo.actor("city"), demo.actor("tianhe")
    reviewer2 = _user("city2", Role.CITY)

    review.district_pass(tianhe, app_id, today=DAY)
    assert _app(app_id).status == S.DISTRICT_PASSED

    keys = _criteria_keys()
    review.record_scores(city, app_id, _sheet(keys, 70))
    review.record_scores(city, app_id, _sheet(keys, 80))  # replaces the first sheet
    review.record_scores(reviewer2, app_id, _sheet(keys, 90))
    summary = review.score_summary(_app(app_id))
    assert [s.total for s in summary.sheets] == [80.0, 90.0]
    assert summary.weighted == 85.0

    first, second = _occupation_ids(app_id)
    review.decide(
        city,
        app_id,
        approve=True,
        reason="经集体决策同意",
        accepted={first: (40, 700 * YUAN), second: (20, 500 * YUAN)},
    )
    application = _app(app_id)
    assert application.status == S.APPROVED
    assert [(o.accepted_headcount, o.accepted_standard_fen) for o in application.occupations] == [
        (40, 70_000),
        (20, 50_000),
    ]

    review.start_notice(city, app_id, start=date(2027, 9, 1))
    application = _app(app_id)
    assert application.status == S.IN_NOTICE
    assert application.notice_end == date(2027, 9, 1 + application.round.notice_days - 1)

    review.record_objection(
        city,
        app_id,
        content="有群众反映场地不足",
        received_on=date(2027, 9, 3),
        resolution="经核实场地符合要求",
        upheld=False,
    )
    review.file_with_province(
        city, app_id, filed_on=date(2027, 9, 20), reference="粤人社备〔2027〕8号"
    )
    application = _app(app_id)
    assert application.status == S.ACCEPTED
    assert application.filing_reference == "粤人社备〔2027〕8号"

    unit = db.session.get(TrainingUnit, unit_id)
    assert unit is not None and unit.status == UnitStatus.ACCEPTED and unit.can_redeem
    items = accepted_list(unit_id=unit_id)
    assert [(i.occupation, i.headcount, i.standard_fen, i.unit_status) for i in items] == [
        ("家政服务员", 40, 70_000, UnitStatus.ACCEPTED),
        ("直播电商运营", 20, 50_000, UnitStatus.ACCEPTED),
    ]
    assert items[0].entry_id == entry_by_code(HOUSEKEEPING).id and items[1].entry_id is None
    rows = db.session.execute(
        select(AcceptedOccupation).where(AcceptedOccupation.unit_id == unit_id)
    ).scalars()
    assert {r.application_occupation_id for r in rows} == {first, second}

    assert _actions("application", app_id) == [
        "application.district_passed",
        "application.scored",
        "application.scored",
        "application.scored",
        "application.approved",
        "application.notice_started",
        "application.objection_recorded",
        "application.filed",
    ]
    assert _actions("training_unit", unit_id)[-3:] == [
        "unit.accepted",
        "unit.occupation_accepted",
        "unit.occupation_accepted",
    ]
    labels = [t.label for t in review.timeline(city, app_id)]
    assert labels[0] == "区人社局初审通过" and labels[-1].startswith("报省人社厅备案")


def test_filing_updates_an_occupation_the_unit_already_holds(demo: DemoWorld) -> None:
    unit1 = demo.units[0]  # accepted for 养老护理员 in the demo
    app_id = submitted_application(unit1.id, ((CARE, ""), (None, "智慧康养照护")))
    _to_decision(demo, app_id)
    _approve(demo, app_id, standard_fen=1500 * YUAN)  # the catalogue has 2000 for this entry
    review.start_notice(demo.actor("city"), app_id, start=date(2027, 9, 1))
    review.file_with_province(
        demo.actor("city"), app_id, filed_on=date(2027, 9, 30), reference="备1"
    )
    care = [i for i in accepted_list(unit_id=unit1.id) if i.entry_id == entry_by_code(CARE).id]
    assert [(i.headcount, i.standard_fen) for i in care] == [(40, 150_000)]


# ---- district review -------------------------------------------------------------------------


def test_district_returns_with_a_reason_and_the_unit_may_edit_again(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    with pytest.raises(ValidationFailed, match="理由"):
        review.district_return(demo.actor("tianhe"), app_id, "  ", today=DAY)
    assert _app(app_id).status == S.SUBMITTED

    review.district_return(demo.actor("tianhe"), app_id, "师资证明不全", today=DAY)
    application = _app(app_id)
    assert application.status == S.RETURNED and application.status in S.EDITABLE
    assert application.district_reason == "师资证明不全"
    assert _actions("application", app_id) == ["application.returned"]


def test_district_deadline_passed_is_refused_with_the_date(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    before = _audit_count()
    with pytest.raises(RuleViolation, match="2027-08-25"):
        review.district_pass(demo.actor("tianhe"), app_id, today=date(2027, 8, 26))
    with pytest.raises(RuleViolation, match="2027-08-25"):
        review.district_return(demo.actor("tianhe"), app_id, "迟了", today=date(2027, 8, 26))
    assert _app(app_id).status == S.SUBMITTED and _audit_count() == before
    review.district_pass(demo.actor("tianhe"), app_id, today=date(2027, 8, 25))  # the day counts


def test_another_districts_officer_finds_nothing(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    yuexiu = _user("yuexiu", Role.DISTRICT, district="440104")
    before = _audit_count()
    with pytest.raises(NotFound):
        review.district_pass(yuexiu, app_id, today=DAY)
    with pytest.raises(NotFound):
        review.district_return(yuexiu, app_id, "不是本区", today=DAY)
    with pytest.raises(NotFound):
        review.get_for_review(yuexiu, app_id)
    assert review.list_for_review(yuexiu) == []
    assert [a.id for a in review.list_for_review(demo.actor("tianhe"))] == [app_id]
    assert _app(app_id).status == S.SUBMITTED and _audit_count() == before


def test_decisions_in_the_wrong_state_are_refused(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    city, tianhe = demo.actor("city"), demo.actor("tianhe")
    before = _audit_count()
    with pytest.raises(Conflict, match="待区初审"):
        review.record_scores(city, app_id, _sheet(_criteria_keys(), 80))
    with pytest.raises(Conflict):
        review.decide(city, app_id, approve=False, reason="不符合")
    with pytest.raises(Conflict):
        review.start_notice(city, app_id, start=date(2027, 9, 1))
    with pytest.raises(Conflict):
        review.file_with_province(city, app_id, filed_on=date(2027, 9, 30), reference="x")
    with pytest.raises(Forbidden):
        review.district_pass(city, app_id, today=DAY)
    with pytest.raises(Forbidden):
        review.record_scores(tianhe, app_id, {})
    assert _app(app_id).status == S.SUBMITTED and _audit_count() == before
    review.district_pass(tianhe, app_id, today=DAY)
    with pytest.raises(Conflict, match="区初审通过"):
        review.district_pass(tianhe, app_id, today=DAY)


def test_scores_must_cover_every_criterion_within_0_to_100(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    review.district_pass(demo.actor("tianhe"), app_id, today=DAY)
    keys = _criteria_keys()
    city = demo.actor("city")
    with pytest.raises(ValidationFailed):
        review.record_scores(city, app_id, _sheet(keys[:-1], 80))
    with pytest.raises(ValidationFailed, match="0 到 100"):
        review.record_scores(city, app_id, _sheet(keys, 101))
    with pytest.raises(ValidationFailed, match="未知"):
        review.record_scores(city, app_id, {**_sheet(keys, 80), "luck": 5})
    assert review.score_summary(_app(app_id)).sheets == []


# ---- collective decision ---------------------------------------------------------------------


def test_approval_needs_a_score_sheet(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    review.district_pass(demo.actor("tianhe"), app_id, today=DAY)
    first, _second = _occupation_ids(app_id)
    with pytest.raises(RuleViolation, match="评分"):
        review.decide(demo.actor("city"), app_id, approve=True, accepted={first: (10, 50_000)})
    assert _app(app_id).status == S.DISTRICT_PASSED


def test_rejection_needs_a_reason_and_carries_it(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    _to_decision(demo, app_id)
    before = _audit_count()
    with pytest.raises(ValidationFailed, match="理由"):
        review.decide(demo.actor("city"), app_id, approve=False, reason=" ")
    assert _app(app_id).status == S.DISTRICT_PASSED and _audit_count() == before
    review.decide(demo.actor("city"), app_id, approve=False, reason="培训需求分析不充分")
    application = _app(app_id)
    assert application.status == S.REJECTED
    assert application.decision_reason == "培训需求分析不充分"
    assert _actions("application", app_id)[-1] == "application.rejected"


def test_acceptance_headcount_must_be_positive(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    _to_decision(demo, app_id)
    first, second = _occupation_ids(app_id)
    before = _audit_count()
    for headcount in (0, -3):
        with pytest.raises(RuleViolation, match="人数"):
            review.decide(
                demo.actor("city"),
                app_id,
                approve=True,
                accepted={first: (headcount, 50_000), second: (10, 50_000)},
            )
    application = _app(app_id)
    assert application.status == S.DISTRICT_PASSED and _audit_count() == before
    assert all(o.accepted_headcount is None for o in application.occupations)


def test_standard_over_800_yuan_is_refused_unless_the_catalogue_is_higher(
    demo: DemoWorld,
) -> None:
    app_id = submitted_application(_unit())
    _to_decision(demo, app_id)
    first, second = _occupation_ids(app_id)
    city = demo.actor("city")
    with pytest.raises(RuleViolation, match="800"):
        review.decide(city, app_id, approve=True, accepted={first: (10, 900 * YUAN)})
    with pytest.raises(RuleViolation, match="800"):  # a custom occupation has no catalogue
        review.decide(city, app_id, approve=True, accepted={second: (10, 801 * YUAN)})
    assert _app(app_id).status == S.DISTRICT_PASSED

    set_standard(city, entry_by_code(HOUSEKEEPING).id, "4", 1000 * YUAN)
    with pytest.raises(RuleViolation, match="1000"):
        review.decide(city, app_id, approve=True, accepted={first: (10, 1001 * YUAN)})
    review.decide(city, app_id, approve=True, accepted={first: (10, 900 * YUAN)})
    application = _app(app_id)
    assert application.status == S.APPROVED
    assert [o.accepted_headcount for o in application.occupations] == [10, None]


# ---- notice and filing -----------------------------------------------------------------------


def test_filing_before_the_notice_ends_is_refused(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    _to_decision(demo, app_id)
    _approve(demo, app_id)
    city = demo.actor("city")
    review.start_notice(city, app_id, start=date(2027, 9, 1))
    end = _app(app_id).notice_end
    assert end == date(2027, 9, POLICY.notice_days)
    with pytest.raises(RuleViolation, match=end.isoformat()):
        review.file_with_province(city, app_id, filed_on=end, reference="备1")
    with pytest.raises(ValidationFailed):
        review.file_with_province(city, app_id, filed_on=date(2027, 10, 1), reference=" ")
    assert _app(app_id).status == S.IN_NOTICE
    assert accepted_list(unit_id=_app(app_id).unit_id) == []


def test_an_upheld_objection_blocks_filing_and_allows_rejection(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    _to_decision(demo, app_id)
    _approve(demo, app_id)
    city = demo.actor("city")
    review.start_notice(city, app_id, start=date(2027, 9, 1))
    with pytest.raises(ValidationFailed):
        review.record_objection(city, app_id, content=" ", received_on=date(2027, 9, 2))
    review.record_objection(
        city, app_id, content="虚报师资", received_on=date(2027, 9, 2), upheld=True
    )
    with pytest.raises(RuleViolation, match="异议"):
        review.file_with_province(city, app_id, filed_on=date(2027, 10, 1), reference="备1")
    review.decide(city, app_id, approve=False, reason="公示异议成立：虚报师资")
    assert _app(app_id).status == S.REJECTED
    assert db.session.execute(select(func.count(NoticeObjection.id))).scalar_one() == 1


def test_notice_length_follows_the_round(demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    with unit_of_work():
        _app(app_id).round.notice_days = 10
    _to_decision(demo, app_id)
    _approve(demo, app_id)
    review.start_notice(demo.actor("city"), app_id, start=date(2027, 9, 1))
    assert _app(app_id).notice_end == date(2027, 9, 10)


# ---- monitoring ------------------------------------------------------------------------------


def test_warning_then_removal_only_after_the_deadline(demo: DemoWorld) -> None:
    unit = demo.units[0]  # accepted, in 天河区
    tianhe = demo.actor("tianhe")
    monitoring.evaluate(tianhe, unit.id, "第一阶段：开班正常", "good")
    warning = monitoring.warn(
        tianhe, unit.id, "未按计划开班", date(2027, 9, 30), today=date(2027, 9, 1)
    )
    assert _unit_status(unit.id) == UnitStatus.WARNED
    assert db.session.get(TrainingUnit, unit.id).can_redeem  # type: ignore[union-attr]

    for day in (date(2027, 9, 15), date(2027, 9, 30)):
        with pytest.raises(RuleViolation, match="2027-09-30"):
            monitoring.remove(tianhe, unit.id, "逾期未整改", today=day)
    with pytest.raises(ValidationFailed):
        monitoring.remove(tianhe, unit.id, " ", today=date(2027, 10, 1))
    monitoring.remove(tianhe, unit.id, "逾期未整改", today=date(2027, 10, 1))
    assert _unit_status(unit.id) == UnitStatus.REMOVED
    removed = db.session.get(TrainingUnit, unit.id)
    assert removed is not None and removed.status == UnitStatus.REMOVED
    assert not removed.can_redeem
    assert POLICY.removed_unit_keeps_claims
    assert [i.unit_status for i in accepted_list(unit_id=unit.id)] == [UnitStatus.REMOVED] * 2
    assert _actions("training_unit", unit.id)[-3:] == [
        "unit.evaluated",
        "unit.warned",
        "unit.removed",
    ]
    kinds = [r.kind for r in monitoring.records_for(tianhe, unit.id)]
    assert kinds == ["evaluation", "warning", "removal"]
    assert warning.deadline == date(2027, 9, 30)
    with pytest.raises(Conflict):
        monitoring.warn(tianhe, unit.id, "再次警告", date(2027, 12, 1), today=date(2027, 10, 2))


def test_a_corrected_warning_prevents_removal(demo: DemoWorld) -> None:
    unit = demo.units[0]
    tianhe = demo.actor("tianhe")
    warning = monitoring.warn(
        tianhe, unit.id, "台账不全", date(2027, 9, 30), today=date(2027, 9, 1)
    )
    monitoring.mark_corrected(tianhe, warning.id, "已补齐台账")
    assert _unit_status(unit.id) == UnitStatus.ACCEPTED
    with pytest.raises(Conflict):
        monitoring.mark_corrected(tianhe, warning.id)
    with pytest.raises(RuleViolation, match="没有未整改"):
        monitoring.remove(tianhe, unit.id, "逾期", today=date(2027, 10, 1))
    assert _actions("training_unit", unit.id)[-2:] == ["unit.warned", "unit.corrected"]


def test_monitoring_another_districts_unit_is_not_found(demo: DemoWorld) -> None:
    yuexiu_unit = demo.units[1]
    tianhe = demo.actor("tianhe")
    before = _audit_count()
    with pytest.raises(NotFound):
        monitoring.evaluate(tianhe, yuexiu_unit.id, "评估", "pass")
    with pytest.raises(NotFound):
        monitoring.warn(tianhe, yuexiu_unit.id, "警告", date(2099, 1, 1))
    with pytest.raises(NotFound):
        monitoring.remove(tianhe, yuexiu_unit.id, "退出", today=date(2099, 1, 1))
    with pytest.raises(Forbidden):
        monitoring.evaluate(demo.actor("unit2"), yuexiu_unit.id, "评估", "pass")
    assert _audit_count() == before
    # the city may act on every unit
    warning = monitoring.warn(
        demo.actor("city"), yuexiu_unit.id, "警告", date(2027, 9, 30), today=date(2027, 9, 1)
    )
    with pytest.raises(NotFound):
        monitoring.mark_corrected(tianhe, warning.id)
    assert db.session.execute(select(func.count(MonitoringRecord.id))).scalar_one() == 1


# ---- attachment 3 ----------------------------------------------------------------------------


def test_district_summary_has_the_attachment_3_columns(demo: DemoWorld) -> None:
    passed = submitted_application(_unit())
    waiting = submitted_application(_unit("另一家天河培训中心", 32), ((CARE, ""),), name="养老")
    other = submitted_application(_unit("越秀培训学校", 33, "越秀区"), ((CARE, ""),), name="越秀")
    review.district_pass(demo.actor("tianhe"), passed, today=DAY)
    assert waiting and other
    filename, data = district_summary_xlsx(demo.actor("tianhe"))
    assert filename.endswith(".xlsx") and "天河区" in filename
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[ATTACHMENT3_HEADER_ROW - 1] == ATTACHMENT3_HEADERS
    assert ATTACHMENT3_HEADERS == (
        "序号",
        "单位名称",
        "单位性质",
        "拟申报职业培训项目",
        "拟申报职业（工种）",
        "拟开设培训班次",
        "拟培训人数（人）",
        "培训形式",
        "相关证书",
        "建议补贴标准（元/人）",
    )
    body = rows[ATTACHMENT3_HEADER_ROW:]
    assert [r[:5] for r in body] == [
        (1, "广州天河揭榜测试培训学校", "职业院校", "南粤家政与直播电商培训项目", "家政服务员"),
        (2, "广州天河揭榜测试培训学校", "职业院校", "南粤家政与直播电商培训项目", "直播电商运营"),
    ]
    assert body[0][5:] == (2, 50, "线上+线下（线上 30%）", "职业技能等级证书（五级）", "800.00")
    assert "填报单位" in str(rows[1][0])


# ---- pages -----------------------------------------------------------------------------------


def _post(client: FlaskClient, page: str, action: str, data: dict[str, Any]) -> Any:
    return client.post(action, data={"csrf_token": csrf_token(client, page), **data})


def test_district_pages_list_pass_return_and_export(client: FlaskClient, demo: DemoWorld) -> None:
    first = submitted_application(_unit())
    second = submitted_application(_unit("另一家天河培训中心", 32), ((CARE, ""),), name="养老项目")
    login(client, "tianhe")
    page = client.get("/review/district")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "南粤家政与直播电商培训项目" in html and 'data-label="' in html and "待区初审" in html

    answer = _post(
        client, "/review/district", f"/review/applications/{first}/return", {"reason": ""}
    )
    assert answer.status_code == 422 and "理由" in answer.get_data(as_text=True)
    assert _app(first).status == S.SUBMITTED

    answer = _post(
        client,
        "/review/district",
        f"/review/applications/{first}/return",
        {"reason": "缺少场地证明"},
    )
    assert answer.status_code == 303
    assert _app(first).status == S.RETURNED
    answer = _post(client, "/review/district", f"/review/applications/{second}/pass", {})
    assert answer.status_code == 303 and _app(second).status == S.DISTRICT_PASSED

    export = client.get("/review/district/export.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[ATTACHMENT3_HEADER_ROW - 1] == ATTACHMENT3_HEADERS
    assert rows[ATTACHMENT3_HEADER_ROW][4] == "养老护理员"


def test_another_districts_officer_gets_404_on_pages(client: FlaskClient, demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    _user("yuexiu", Role.DISTRICT, district="440104")
    login(client, "yuexiu", PASSWORD)
    assert client.get(f"/review/applications/{app_id}").status_code == 404
    assert (
        _post(client, "/review/district", f"/review/applications/{app_id}/pass", {}).status_code
        == 404
    )
    assert client.get(f"/review/units/{demo.units[0].id}/monitoring").status_code == 404
    assert _app(app_id).status == S.SUBMITTED
    assert client.get("/review/city").status_code == 403


def test_city_pages_score_decide_notice_and_file(client: FlaskClient, demo: DemoWorld) -> None:
    unit_id = _unit()
    app_id = submitted_application(unit_id)
    review.district_pass(demo.actor("tianhe"), app_id, today=DAY)
    login(client, "city")
    page = f"/review/applications/{app_id}"
    assert "南粤家政与直播电商培训项目" in client.get("/review/city").get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert "评分" in html and 'name="score_plan"' in html

    scores = {f"score_{k}": "85" for k in _criteria_keys()}
    assert _post(client, page, f"{page}/scores", scores).status_code == 303
    first, second = _occupation_ids(app_id)
    answer = _post(
        client,
        page,
        f"{page}/decision",
        {
            "decision": "approve",
            "reason": "",
            f"headcount_{first}": "30",
            f"standard_{first}": "900",
            f"headcount_{second}": "",
            f"standard_{second}": "",
        },
    )
    assert answer.status_code == 422 and "800" in answer.get_data(as_text=True)
    assert _app(app_id).status == S.DISTRICT_PASSED
    answer = _post(
        client,
        page,
        f"{page}/decision",
        {"decision": "approve", f"headcount_{first}": "30", f"standard_{first}": "750"},
    )
    assert answer.status_code == 303 and _app(app_id).status == S.APPROVED
    assert _post(client, page, f"{page}/notice", {"start": "2027-09-01"}).status_code == 303
    answer = _post(
        client,
        page,
        f"{page}/objections",
        {"content": "反映收费过高", "received_on": "2027-09-02", "resolution": "查无实据"},
    )
    assert answer.status_code == 303
    answer = _post(client, page, f"{page}/filing", {"filed_on": "2027-09-05", "reference": "备1"})
    assert answer.status_code == 422 and _app(app_id).status == S.IN_NOTICE
    answer = _post(client, page, f"{page}/filing", {"filed_on": "2027-09-30", "reference": "备1"})
    assert answer.status_code == 303 and _app(app_id).status == S.ACCEPTED

    html = client.get(page).get_data(as_text=True)
    timeline = re.findall(r'data-action="([a-z_.]+)"', html)
    assert timeline == _actions("application", app_id)
    for label in ("区人社局初审通过", "评审打分", "集体决策：通过", "开始社会公示", "记录公示异议"):
        assert label in html
    assert "查无实据" in html and "750.00" in html
    assert [(i.headcount, i.standard_fen) for i in accepted_list(unit_id=unit_id)] == [(30, 75_000)]


def test_monitoring_pages_warn_and_remove(client: FlaskClient, demo: DemoWorld) -> None:
    unit = demo.units[0]
    login(client, "tianhe")
    page = f"/review/units/{unit.id}/monitoring"
    assert client.get("/review/monitoring").status_code == 200
    assert (
        _post(client, page, f"{page}/evaluate", {"note": "运行正常", "rating": "good"}).status_code
        == 303
    )
    answer = _post(client, page, f"{page}/warn", {"note": "未开班", "deadline": "2020-01-01"})
    assert answer.status_code == 422
    monitoring.warn(
        demo.actor("tianhe"), unit.id, "未开班", date(2025, 1, 31), today=date(2025, 1, 1)
    )
    answer = _post(client, page, f"{page}/remove", {"note": "逾期未整改"})
    assert answer.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert "已退出名单" in html and "未开班" in html and "运行正常" in html
    assert f'action="/review/units/{unit.id}/monitoring/warn"' not in html
    assert _unit_status(unit.id) == UnitStatus.REMOVED


# ---- public directory ------------------------------------------------------------------------


def test_directory_lists_accepted_units_and_filters(client: FlaskClient, demo: DemoWorld) -> None:
    html = client.get("/directory").get_data(as_text=True)
    unit1, unit2 = demo.units
    assert unit1.name in html and unit2.name in html and "养老护理员" in html
    html = client.get("/directory?district=440104").get_data(as_text=True)
    assert unit2.name in html and unit1.name not in html
    html = client.get("/directory?q=家政").get_data(as_text=True)
    assert unit2.name in html and unit1.name not in html
    monitoring.warn(
        demo.actor("tianhe"), unit1.id, "警告", date(2025, 1, 31), today=date(2025, 1, 1)
    )
    monitoring.remove(demo.actor("tianhe"), unit1.id, "逾期未整改", today=date(2025, 2, 1))
    html = client.get("/directory").get_data(as_text=True)
    assert unit1.name not in html and unit2.name in html


def test_city_exports_a_named_districts_summary(client: FlaskClient, demo: DemoWorld) -> None:
    app_id = submitted_application(_unit())
    review.district_pass(demo.actor("tianhe"), app_id, today=DAY)
    login(client, "city")
    assert client.get("/review/district/export.xlsx").status_code == 302  # no district chosen
    export = client.get("/review/district/export.xlsx?district=440106")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[ATTACHMENT3_HEADER_ROW:]] == ["广州天河揭榜测试培训学校"] * 2
    export = client.get("/review/district/export.xlsx?district=440104")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[ATTACHMENT3_HEADER_ROW:] == []
