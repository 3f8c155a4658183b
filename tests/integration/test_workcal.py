"""The editable working-day calendar: overrides, declared years, cache, page, API and CLI."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import csrf_token, login
from voucher.audit.models import AuditEvent
from voucher.core.workdays import CalendarOutOfRange
from voucher.db import db, unit_of_work
from voucher.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from voucher.workcal import services
from voucher.workcal.models import CalendarDay, CalendarYear
from voucher.workcal.rules import YearStatus, builtin_special_days

WEDNESDAY = date(2025, 3, 12)
SATURDAY = date(2025, 3, 15)
LATER = date(2027, 3, 3)  # a Wednesday in a year chinesecalendar does not cover
#: a year no test world declares (the demo world enters the year of its coming weeks when the
#: installed chinesecalendar does not cover it: see tests.factories.know_the_coming_weeks)
FAR = 2030
FAR_WEDNESDAY = date(FAR, 3, 6)


def _actions() -> list[str]:
    return [
        e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    ]


def _enter_spring_festival_2027(actor) -> None:
    for day in (date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10)):
        services.set_day(actor, day, False, "春节")
    services.set_day(actor, date(2027, 2, 6), True, "春节调休上班")


# --- services -----------------------------------------------------------------------------


def test_an_override_turns_a_wednesday_into_a_day_off_and_moves_add_workdays(app, system):
    assert services.work_calendar().is_workday(WEDNESDAY)
    assert services.work_calendar().add_workdays(date(2025, 3, 11), 1) == WEDNESDAY

    services.set_day(system, WEDNESDAY, False, "台风停工")

    calendar = services.work_calendar()
    assert not calendar.is_workday(WEDNESDAY)
    assert calendar.add_workdays(date(2025, 3, 11), 1) == date(2025, 3, 13)
    assert services.lookup(WEDNESDAY).source == "override"


def test_a_saturday_set_as_a_make_up_day_counts_and_clearing_restores_the_builtin(app, system):
    services.set_day(system, SATURDAY, True, "调休上班")
    assert services.work_calendar().is_workday(SATURDAY)
    assert services.work_calendar().count_workdays(date(2025, 3, 10), date(2025, 3, 17)) == 6

    services.clear_day(system, SATURDAY)

    assert not services.work_calendar().is_workday(SATURDAY)
    assert services.lookup(SATURDAY).source == "builtin"
    assert db.session.get(CalendarDay, SATURDAY) is None


def test_setting_the_same_day_again_replaces_the_override(app, system):
    services.set_day(system, WEDNESDAY, False, "停工")
    services.set_day(system, WEDNESDAY, True, "恢复上班")

    (row,) = services.days_for_year(2025)
    assert row.is_workday and row.note == "恢复上班"
    assert services.work_calendar().is_workday(WEDNESDAY)


def test_a_2027_date_is_unknown_until_2027_is_declared(app, system):
    with pytest.raises(CalendarOutOfRange) as unknown:
        services.work_calendar().is_workday(LATER)
    assert "2027年" in str(unknown.value) and unknown.value.status == 422

    _enter_spring_festival_2027(system)
    with pytest.raises(CalendarOutOfRange):  # entered, but not yet declared complete
        services.work_calendar().is_workday(LATER)
    assert services.year_info(2027).status is YearStatus.UNKNOWN

    services.declare_year(system, 2027, "国办发明电〔2026〕X号")

    calendar = services.work_calendar()
    assert calendar.is_workday(LATER)
    assert not calendar.is_workday(date(2027, 2, 9))
    assert calendar.is_workday(date(2027, 2, 6))  # a Saturday worked in exchange
    assert calendar.add_workdays(date(2027, 2, 5), 2) == date(2027, 2, 11)
    assert services.year_info(2027).status is YearStatus.DECLARED
    assert calendar.known_range()[1] == date(2027, 12, 31)


def test_add_workdays_across_the_end_of_known_data_is_refused(app, system):
    with pytest.raises(CalendarOutOfRange) as unknown:
        services.add_workdays(date(2026, 12, 28), 10)
    assert unknown.value.day.year == 2027


def test_a_builtin_year_cannot_be_declared(app, system):
    with pytest.raises(RuleViolation) as refused:
        services.declare_year(system, 2025)

    assert refused.value.code == "calendar_year_builtin"
    assert "已内置" in str(refused.value)
    assert db.session.execute(select(func.count()).select_from(CalendarYear)).scalar_one() == 0


def test_a_year_without_any_day_off_entered_cannot_be_declared(app, system):
    with pytest.raises(RuleViolation) as refused:
        services.declare_year(system, 2027)

    assert refused.value.code == "calendar_year_empty"
    assert "请先" in str(refused.value)


def test_a_year_cannot_be_declared_twice(app, system):
    _enter_spring_festival_2027(system)
    services.declare_year(system, 2027)

    with pytest.raises(Conflict) as refused:
        services.declare_year(system, 2027)

    assert refused.value.code == "calendar_year_declared"


@pytest.mark.parametrize("bad", [date(1999, 12, 31), date(2101, 1, 1)])
def test_a_date_outside_2000_to_2100_is_refused(app, system, bad):
    with pytest.raises(ValidationFailed) as refused:
        services.set_day(system, bad, False, "")
    assert "2000" in str(refused.value) and "2100" in str(refused.value)
    with pytest.raises(ValidationFailed):
        services.declare_year(system, bad.year)


def test_a_long_note_is_refused(app, system):
    with pytest.raises(ValidationFailed) as refused:
        services.set_day(system, WEDNESDAY, False, "长" * 65)
    assert "64" in str(refused.value)


def test_clearing_a_day_without_override_is_not_found(app, system):
    with pytest.raises(NotFound) as refused:
        services.clear_day(system, WEDNESDAY)
    assert "没有手工调整" in str(refused.value)


@pytest.mark.parametrize("username", ["tianhe", "unit1", "finance"])
def test_only_city_officers_change_the_calendar_and_a_refusal_changes_nothing(app, demo, username):
    services.set_day(demo.actor("city"), date(FAR, 2, 9), False, "春节")
    before = _actions()
    other = demo.actor(username)

    with pytest.raises(Forbidden):
        services.set_day(other, WEDNESDAY, False, "")
    with pytest.raises(Forbidden):
        services.clear_day(other, date(FAR, 2, 9))
    with pytest.raises(Forbidden):
        services.declare_year(other, FAR)

    assert [d.day for d in services.days_for_year(2025)] == []
    assert [d.day for d in services.days_for_year(FAR)] == [date(FAR, 2, 9)]
    assert db.session.get(CalendarYear, FAR) is None
    assert _actions() == before


def test_each_change_leaves_an_audit_event_with_before_and_after(app, demo):
    city = demo.actor("city")
    services.set_day(city, date(FAR, 2, 9), False, "春节")
    services.set_day(city, date(FAR, 2, 9), False, "春节")  # no change: no event
    services.set_day(city, date(FAR, 2, 9), True, "改为上班")
    services.clear_day(city, date(FAR, 2, 9))
    services.set_day(city, date(FAR, 2, 10), False, "春节")
    services.declare_year(city, FAR, "文号")

    events = list(
        db.session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.object_type.in_(["calendar_day", "calendar_year"]),
                AuditEvent.object_id.startswith(str(FAR)),
            )
            .order_by(AuditEvent.id)
        ).scalars()
    )
    assert [(e.action, e.object_id) for e in events] == [
        ("calendar.day_set", f"{FAR}-02-09"),
        ("calendar.day_set", f"{FAR}-02-09"),
        ("calendar.day_cleared", f"{FAR}-02-09"),
        ("calendar.day_set", f"{FAR}-02-10"),
        ("calendar.year_declared", str(FAR)),
    ]
    assert events[0].data == {"before": None, "after": {"is_workday": False, "note": "春节"}}
    assert events[1].data["before"] == {"is_workday": False, "note": "春节"}
    assert events[2].data["after"] is None
    assert all(e.actor_id == demo.users["city"].id for e in events)
    assert db.session.get(CalendarDay, date(FAR, 2, 10)).updated_by == demo.users["city"].id
    assert db.session.get(CalendarYear, FAR).declared_by == demo.users["city"].id


def test_the_cache_sees_local_changes_at_once_and_foreign_ones_after_its_ttl(
    app, system, monkeypatch
):
    clock = [1_000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    assert services.work_calendar() is services.work_calendar()  # cached
    with unit_of_work() as session:  # another process writing behind our back
        session.add(CalendarDay(day=WEDNESDAY, is_workday=False, note=""))

    assert services.work_calendar().is_workday(WEDNESDAY)  # still the cached copy
    clock[0] += services.DEFAULT_CACHE_SECONDS + 1
    assert not services.work_calendar().is_workday(WEDNESDAY)

    services.set_day(system, SATURDAY, True, "")  # same process: seen at once
    assert services.work_calendar().is_workday(SATURDAY)


def test_the_builtin_special_days_name_the_festivals():
    days = {b.day: b for b in builtin_special_days(2024)}
    assert days[date(2024, 2, 4)].is_workday and days[date(2024, 2, 4)].name == "春节"
    assert not days[date(2024, 10, 1)].is_workday
    assert builtin_special_days(2027) == []


# --- page ---------------------------------------------------------------------------------


def test_the_city_officer_edits_the_calendar_on_the_page(app, demo):
    client = app.test_client()
    login(client, "city")

    page = client.get(f"/calendar?year={FAR}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-status="unknown"' in html and "尚未录入完整" in html
    token = csrf_token(client, f"/calendar?year={FAR}")

    saved = client.post(
        f"/calendar/days?year={FAR}",
        data={"csrf_token": token, "day": f"{FAR}-02-09", "kind": "holiday", "note": "春节"},
    )
    assert saved.status_code == 302 and saved.location.endswith(f"/calendar?year={FAR}")
    html = client.get(f"/calendar?year={FAR}").get_data(as_text=True)
    assert f'data-date="{FAR}-02-09"' in html and "春节" in html

    declared = client.post(
        f"/calendar/years/{FAR}/declare", data={"csrf_token": token, "declare_note": "国办发明电"}
    )
    assert declared.status_code == 302
    html = client.get(f"/calendar?year={FAR}").get_data(as_text=True)
    assert 'data-status="declared"' in html and "市人社局 周科长" in html
    assert services.work_calendar().is_workday(FAR_WEDNESDAY)

    removed = client.post(
        f"/calendar/days/delete?year={FAR}", data={"csrf_token": token, "day": f"{FAR}-02-09"}
    )
    assert removed.status_code == 302
    assert services.days_for_year(FAR) == []


def test_the_page_shows_refusals_in_chinese(app, demo):
    client = app.test_client()
    login(client, "city")
    token = csrf_token(client, "/calendar?year=2025")

    builtin = client.post("/calendar/years/2025/declare", data={"csrf_token": token})
    assert builtin.status_code == 422 and "已内置" in builtin.get_data(as_text=True)

    empty = client.post(
        "/calendar/days?year=2025", data={"csrf_token": token, "day": "", "kind": "holiday"}
    )
    assert empty.status_code == 422 and "请选择日期" in empty.get_data(as_text=True)

    assert client.get("/calendar?year=2200").status_code == 422


def test_a_post_without_csrf_token_is_refused(app, demo):
    client = app.test_client()
    login(client, "city")

    response = client.post("/calendar/days", data={"day": f"{FAR}-02-09", "kind": "holiday"})

    assert response.status_code == 400
    assert services.days_for_year(FAR) == []


def test_the_page_is_forbidden_to_a_district_officer(app, demo):
    client = app.test_client()
    login(client, "tianhe")
    token = csrf_token(client, "/account")

    assert client.get("/calendar").status_code == 403
    response = client.post(
        "/calendar/days", data={"csrf_token": token, "day": "2025-03-12", "kind": "holiday"}
    )
    assert response.status_code == 403
    assert services.days_for_year(2025) == []


def test_the_city_home_links_to_the_calendar(app, demo):
    client = app.test_client()
    login(client, "city")
    assert 'href="/calendar"' in client.get("/city").get_data(as_text=True)


# --- API ----------------------------------------------------------------------------------


def test_the_api_answers_workdays_with_their_source(app, demo):
    services.set_day(demo.actor("city"), WEDNESDAY, False, "停工")
    client = app.test_client()
    login(client, "tianhe")  # reading is open to every signed-in role

    builtin = client.get("/api/v1/calendar/workdays?date=2024-02-04")
    override = client.get("/api/v1/calendar/workdays?date=2025-03-12")

    assert builtin.status_code == 200
    assert builtin.json == {"date": "2024-02-04", "is_workday": True, "source": "builtin"}
    assert override.json == {"date": "2025-03-12", "is_workday": False, "source": "override"}


def test_the_api_adds_workdays(app, demo):
    client = app.test_client()
    login(client, "unit1")

    response = client.get("/api/v1/calendar/add-workdays?date=2024-09-27&n=5")

    assert response.status_code == 200
    # Sunday 29 September is a make-up day (1), Monday 30 (2), 1–7 October are off, 8–10 (3–5)
    assert response.json == {"date": "2024-09-27", "n": 5, "result": "2024-10-10"}


def test_the_api_answers_422_for_an_unknown_year(app, demo):
    client = app.test_client()
    login(client, "city")
    last = services.work_calendar().known_range()[1]

    response = client.get(f"/api/v1/calendar/workdays?date={FAR_WEDNESDAY.isoformat()}")
    walk = client.get(f"/api/v1/calendar/add-workdays?date={last.isoformat()}&n=10")

    assert response.status_code == 422
    body = response.json
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == "calendar_unknown" and body["status"] == 422
    assert f"{FAR}年" in body["message"]
    assert body["errors"] == {"date": FAR_WEDNESDAY.isoformat()}
    assert walk.status_code == 422 and walk.json["code"] == "calendar_unknown"


def test_the_api_validates_its_arguments_and_requires_login(app, demo):
    anonymous = app.test_client().get("/api/v1/calendar/workdays?date=2025-03-12")
    assert anonymous.status_code == 401 and anonymous.json["code"] == "unauthenticated"

    client = app.test_client()
    login(client, "city")
    bad = client.get("/api/v1/calendar/workdays?date=2025-13-40")
    assert bad.status_code == 422 and bad.json["code"] == "validation_failed"
    missing = client.get("/api/v1/calendar/add-workdays?date=2025-03-12")
    assert missing.status_code == 422 and "n" in str(missing.json["errors"])


# --- command line -------------------------------------------------------------------------


def test_the_cli_sets_shows_clears_and_declares(app):
    runner = app.test_cli_runner()

    for day in ("2027-02-08", "2027-02-09"):
        result = runner.invoke(args=["calendar", "set", day, "holiday", "--note", "春节"])
        assert result.exit_code == 0, result.output
    assert "2027-02-09 设为放假（春节）" in result.output
    result = runner.invoke(args=["calendar", "set", "2027-02-06", "workday"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["calendar", "clear", "2027-02-08"])
    assert result.exit_code == 0, result.output

    shown = runner.invoke(args=["calendar", "show", "2027"])
    assert shown.exit_code == 0, shown.output
    assert "尚未录入完整" in shown.output
    assert "2027-02-09 星期二 放假 春节" in shown.output
    assert "2027-02-06 星期六 上班" in shown.output
    assert "2027-02-08" not in shown.output

    declared = runner.invoke(args=["calendar", "declare-year", "2027", "--note", "文号"])
    assert declared.exit_code == 0, declared.output
    assert "已由市人社局录入并声明完整" in runner.invoke(args=["calendar", "show", "2027"]).output
    assert services.work_calendar().is_workday(LATER)
    assert _actions().count("calendar.day_set") == 3


def test_the_cli_reports_refusals_and_exits_1(app):
    runner = app.test_cli_runner()

    builtin = runner.invoke(args=["calendar", "declare-year", "2025"])
    missing = runner.invoke(args=["calendar", "clear", "2025-03-12"])
    bad_date = runner.invoke(args=["calendar", "set", "2025-02-30", "holiday"])

    assert builtin.exit_code == 1 and "已内置" in builtin.output
    assert missing.exit_code == 1 and "没有手工调整" in missing.output
    assert bad_date.exit_code == 2


def test_the_cli_lists_builtin_days_on_request(app):
    shown = app.test_cli_runner().invoke(args=["calendar", "show", "2024", "--builtin"])
    assert shown.exit_code == 0, shown.output
    assert "已内置" in shown.output
    assert "2024-02-04 星期日 调休上班 春节" in shown.output
