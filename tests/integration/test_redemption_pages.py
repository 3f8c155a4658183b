"""The class pages (开班备案) and the district's change approvals, through the forms."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import csrf_token, login
from voucher.core.clock import business_today, frozen_today
from voucher.db import db
from voucher.redemption.models import ChangeStatus, ClassChangeRequest, TrainingClass
from voucher.workcal.services import work_calendar


def _form(client, occupation_id, start, **extra):
    data = {
        "csrf_token": csrf_token(client, "/unit/classes/new"),
        "occupation_id": occupation_id,
        "name": "养老护理员五级班（页面）",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=20)).isoformat(),
        "hours": "80",
        "fee": "1,200.00",
        "site": "天河区体育西路 1 号",
        "teachers": "王老师",
        "plan": "理论 40，实操 40",
        "mode": "offline",
    }
    return data | extra


def test_a_unit_files_a_class_on_the_page_and_a_late_one_is_refused_in_chinese(demo, client, app):
    from voucher.redemption.classes import unit_occupations

    occupation = unit_occupations(demo.actor("unit1"))[0]
    login(client, "unit1")
    start = work_calendar().add_workdays(business_today(), 5)

    late = client.post("/unit/classes/new", data=_form(client, occupation.id, business_today()))
    online = client.post(
        "/unit/classes/new", data=_form(client, occupation.id, start, mode="online")
    )
    done = client.post("/unit/classes/new", data=_form(client, occupation.id, start))

    assert late.status_code == 422 and "工作日" in late.get_data(as_text=True)
    assert online.status_code == 422 and "线上培训请填写平台" in online.get_data(as_text=True)
    assert done.status_code == 302
    db.session.rollback()
    klass = db.session.execute(
        select(TrainingClass).where(TrainingClass.name == "养老护理员五级班（页面）")
    ).scalar_one()
    assert klass.fee_fen == 120_000 and klass.filed_on == business_today()
    listing = client.get("/unit/classes").get_data(as_text=True)
    assert "养老护理员五级班（页面）" in listing
    assert client.get(f"/unit/classes/{klass.id}").status_code == 200
    other = app.test_client()
    login(other, "unit2")
    assert other.get(f"/unit/classes/{klass.id}").status_code == 404


def test_a_change_to_a_locked_class_is_requested_and_approved_by_the_district(demo, client, app):
    klass = demo.file_class("unit1", start=business_today() + timedelta(days=7))
    login(client, "unit1")
    with frozen_today(klass.start_date):
        page = client.get(f"/unit/classes/{klass.id}").get_data(as_text=True)
        assert "名册已锁定" in page
        client.post(
            f"/unit/classes/{klass.id}/changes",
            data={
                "csrf_token": csrf_token(client, f"/unit/classes/{klass.id}"),
                "reason": "原场地维修",
                "site": "天河区新场地 5 楼",
            },
        )
        db.session.rollback()
        change = db.session.execute(
            select(ClassChangeRequest).where(ClassChangeRequest.class_id == klass.id)
        ).scalar_one()
        assert change.status == ChangeStatus.PENDING
        officer = app.test_client()
        login(officer, "tianhe")
        listing = officer.get("/district/class-changes").get_data(as_text=True)
        assert "原场地维修" in listing
        officer.post(
            f"/class-changes/{change.id}/decision",
            data={
                "csrf_token": csrf_token(officer, "/district/class-changes"),
                "decision": "approve",
                "note": "同意",
            },
        )
    db.session.rollback()
    assert db.session.get(TrainingClass, klass.id).site == "天河区新场地 5 楼"
    assert db.session.get(ClassChangeRequest, change.id).status == ChangeStatus.APPROVED


def _edit_form(client, klass, **changes):
    data = {
        "csrf_token": csrf_token(client, f"/unit/classes/{klass.id}/edit"),
        "name": klass.name,
        "start_date": klass.start_date.isoformat(),
        "end_date": klass.end_date.isoformat(),
        "hours": str(klass.hours),
        "fee": "1200.00",
        "site": klass.site,
        "teachers": klass.teachers,
        "plan": klass.plan,
        "mode": klass.mode,
    }
    return data | changes


def test_a_unit_edits_its_class_on_the_page_before_it_starts_and_the_change_is_audited(
    demo, client, app
):
    from voucher.audit.services import events_for

    start = work_calendar().add_workdays(business_today(), 8)
    klass = demo.file_class("unit1", start=start, fee_fen=120_000)
    login(client, "unit1")

    detail = client.get(f"/unit/classes/{klass.id}").get_data(as_text=True)
    form = client.get(f"/unit/classes/{klass.id}/edit").get_data(as_text=True)
    too_early = client.post(
        f"/unit/classes/{klass.id}/edit",
        data=_edit_form(client, klass, start_date=business_today().isoformat()),
    )
    saved = client.post(
        f"/unit/classes/{klass.id}/edit",
        data=_edit_form(client, klass, site="越秀区新场地 3 楼", fee="1,300.00"),
    )

    assert 'data-testid="edit-class"' in detail
    assert 'value="1200.00"' in form and klass.site in form
    assert too_early.status_code == 422 and "工作日" in too_early.get_data(as_text=True)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        f"/unit/classes/{klass.id}"
    )
    db.session.expire_all()  # the test's session still holds the class it filed
    after = db.session.get(TrainingClass, klass.id)
    assert (after.site, after.fee_fen, after.start_date) == ("越秀区新场地 3 楼", 130_000, start)
    (event,) = [e for e in events_for("training_class", klass.id) if e.action == "class.updated"]
    assert event.data["before"]["site"] == "广州市天河区培训楼 301"
    assert event.data["after"]["site"] == "越秀区新场地 3 楼"
    other = app.test_client()
    login(other, "unit2")
    assert other.get(f"/unit/classes/{klass.id}/edit").status_code == 404


def test_a_started_class_or_a_fee_with_redemptions_cannot_be_edited_on_the_page(demo, client):
    voucher = demo.issue(0)
    start = work_calendar().add_workdays(business_today(), 8)
    klass = demo.file_class("unit1", entry=voucher.entry_id, start=start, fee_fen=120_000)
    login(client, "unit1")
    with frozen_today(start - timedelta(days=1)):
        demo.redeem(voucher, class_id=klass.id)
        fee = client.post(
            f"/unit/classes/{klass.id}/edit", data=_edit_form(client, klass, fee="1,500.00")
        )
    with frozen_today(start):
        detail = client.get(f"/unit/classes/{klass.id}").get_data(as_text=True)
        locked = client.post(
            f"/unit/classes/{klass.id}/edit",
            data=_edit_form(client, klass, site="越秀区新场地 3 楼"),
        )

    assert fee.status_code == 422 and "培训费用不能再修改" in fee.get_data(as_text=True)
    assert 'data-testid="edit-class"' not in detail
    assert locked.status_code == 422 and "名册已锁定" in locked.get_data(as_text=True)
    db.session.expire_all()
    after = db.session.get(TrainingClass, klass.id)
    assert (after.site, after.fee_fen) == ("广州市天河区培训楼 301", 120_000)
