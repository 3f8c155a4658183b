"""City officers open rounds with their own deadlines, notice period and weighted criteria."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tests.factories import csrf_token, login
from voucher.db import db
from voucher.units.models import ReviewRound


def _rounds() -> int:
    return db.session.execute(select(func.count(ReviewRound.id))).scalar_one()


def _form(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/review/rounds"),
        "name": "2028年第一批",
        "year": "2028",
        "unit_deadline": "2028-07-31",
        "district_deadline": "2028-08-15",
        "notice_days": "5",
        "criterion-0-label": "培训质量",
        "criterion-0-weight": "60",
        "criterion-1-label": "就业成效",
        "criterion-1-weight": "40",
    }
    for i in range(2, 8):
        data |= {f"criterion-{i}-label": "", f"criterion-{i}-weight": ""}
    return client.post("/review/rounds", data=data | fields)


def test_a_city_officer_opens_a_round_with_its_own_deadlines_and_criteria(client, demo):
    login(client, "city")

    response = _form(client)

    assert response.status_code == 303
    row = db.session.execute(select(ReviewRound).where(ReviewRound.year == 2028)).scalar_one()
    assert (row.unit_deadline, row.district_deadline, row.notice_days) == (
        date(2028, 7, 31),
        date(2028, 8, 15),
        5,
    )
    assert [(c["label"], c["weight"]) for c in row.criteria] == [("培训质量", 60), ("就业成效", 40)]
    assert "2028年第一批" in client.get("/review/rounds").get_data(as_text=True)


def test_deadlines_default_to_10_and_25_august(client, demo):
    login(client, "city")

    _form(client, unit_deadline="", district_deadline="")

    row = db.session.execute(select(ReviewRound).where(ReviewRound.year == 2028)).scalar_one()
    assert (row.unit_deadline, row.district_deadline) == (date(2028, 8, 10), date(2028, 8, 25))


def test_weights_that_do_not_add_up_to_100_are_refused_and_nothing_is_created(client, demo):
    login(client, "city")
    before = _rounds()

    response = _form(client, **{"criterion-1-weight": "30"})

    assert response.status_code == 422
    assert "合计为 100" in response.get_data(as_text=True)
    assert _rounds() == before


def test_a_district_deadline_before_the_unit_deadline_is_refused(client, demo):
    login(client, "city")
    before = _rounds()

    response = _form(client, district_deadline="2028-07-01")

    assert response.status_code == 422
    assert _rounds() == before


def test_other_roles_cannot_open_rounds(client, demo):
    login(client, "tianhe")

    assert client.get("/review/rounds").status_code == 403


def test_a_closed_round_is_no_longer_the_current_one(client, demo):
    from voucher.units.services import current_round

    login(client, "city")
    open_round = current_round()
    token = csrf_token(client, "/review/rounds")

    response = client.post(f"/review/rounds/{open_round.id}/close", data={"csrf_token": token})

    assert response.status_code == 303
    db.session.expire_all()
    assert current_round() is None


def test_rounds_from_the_command_line(app, demo):
    runner = app.test_cli_runner()

    created = runner.invoke(args=["rounds", "create", "--name", "2029年第一批", "--year", "2029"])
    listed = runner.invoke(args=["rounds", "list"])

    assert created.exit_code == 0, created.output
    assert "2029-08-10" in created.output and "2029-08-25" in created.output
    assert "2029年第一批" in listed.output
