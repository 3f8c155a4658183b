"""Role × endpoint: no cross-district and no cross-unit access to the 揭榜领题 records.

Every page and action that names an application or a unit is tried by every role on an
object of the other district and the other unit; only the owners (and the city) get through.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import csrf_token, login
from tests.integration.test_units_review import submitted_application
from voucher.accounts.roles import Role
from voucher.accounts.services import create_user
from voucher.audit.models import AuditEvent
from voucher.db import db

GETS = [
    "/unit/applications/{app}",
    "/unit/applications/{app}/edit",
    "/unit/applications/{app}/export.xlsx",
    "/review/applications/{app}",
    "/units/{unit}/profile",
    "/review/units/{unit}/monitoring",
    "/api/v1/applications/{app}",
]
POSTS = [
    ("/unit/applications/{app}/submit", {}),
    ("/review/applications/{app}/pass", {}),
    ("/review/applications/{app}/return", {"reason": "材料不全"}),
    ("/review/applications/{app}/scores", {"foundation": "80"}),
    ("/review/applications/{app}/decision", {"decision": "reject", "reason": "不符合"}),
    ("/review/units/{unit}/monitoring/evaluate", {"note": "良好", "rating": "good"}),
    ("/review/units/{unit}/monitoring/warn", {"note": "整改", "deadline": "2099-01-01"}),
    ("/review/units/{unit}/monitoring/remove", {"note": "退出"}),
]
#: Who may see unit2's (越秀区) application and unit: its own operator, the city, 越秀's officer.
OUTSIDERS = ("tianhe", "unit1")


def expected(path: str, who: str) -> set[int]:
    """404 where the outsider's role uses this endpoint for its own records (the object is
    out of scope); 403 or 404 where the role may not use the endpoint at all."""
    unit_side = path.startswith(("/unit/", "/api/v1/applications"))
    review_side = path.startswith("/review/")
    city_only = path.endswith(("/scores", "/decision"))
    if (who == "unit1" and review_side) or (who == "tianhe" and (unit_side or city_only)):
        return {403, 404}
    return {404}


@pytest.fixture
def target(demo: Any) -> dict[str, int]:
    """unit2 (越秀区) and a submitted application of it; an officer of 越秀区 too."""
    create_user(
        demo.actor("city"),
        username="yuexiu",
        display_name="越秀区人社局",
        password="Yuexiu-pass-2026",
        role=Role.DISTRICT,
        district="越秀区",
    )
    unit = demo.units[1].id
    return {"unit": unit, "app": submitted_application(unit)}


def _audit_count() -> int:
    return db.session.execute(select(func.count(AuditEvent.id))).scalar_one()


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("path", GETS)
def test_an_outsider_reading_another_districts_or_units_record_gets_not_found(
    client, target, who, path
):
    login(client, who)

    response = client.get(path.format(**target))

    assert response.status_code in expected(path, who), (who, path, response.status_code)


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(("path", "data"), POSTS)
def test_an_outsider_acting_on_another_districts_or_units_record_changes_nothing(
    client, target, who, path, data
):
    login(client, who)
    token = csrf_token(client, "/account")
    before = _audit_count()

    response = client.post(path.format(**target), data={"csrf_token": token, **data})

    assert response.status_code in expected(path, who), (who, path, response.status_code)
    assert _audit_count() == before


@pytest.mark.parametrize("path", ["/review/applications/{app}", "/units/{unit}/profile"])
@pytest.mark.parametrize("who", ["city", "yuexiu", "unit2"])
def test_the_owners_and_the_city_do_see_the_record(client, target, who, path):
    login(
        client, who, "Yuexiu-pass-2026" if who == "yuexiu" else None
    ) if who == "yuexiu" else login(client, who)

    response = client.get(path.format(**target))

    if who == "unit2" and path.startswith("/review/"):
        assert response.status_code in (403, 404)  # units read their own page, not the review page
    else:
        assert response.status_code == 200, (who, path, response.status_code)
