"""The one authorization mechanism, as a matrix: every role × every scoped model × whose object.

An object outside the caller's scope answers "not found", exactly like a missing one; inside the
scope it loads. Over HTTP every registered page and endpoint answers each role with an ordinary
status (never a server error), and each role's home page refuses the other roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import RequestClient
from tests.factories import csrf_token, login
from voucher.accounts.access import Actor, get_visible
from voucher.accounts.models import ApiToken
from voucher.accounts.roles import Role
from voucher.accounts.services import actor_for, create_user, issue_api_token
from voucher.db import db
from voucher.errors import NotFound
from voucher.issuance.models import Person, Voucher
from voucher.redemption.models import Redemption
from voucher.settlement.models import Claim
from voucher.settlement.services import add_to_draft_claim
from voucher.units.models import TrainingUnit

ROLES = ("city", "tianhe", "haizhu", "unit1", "unit2", "finance")
HOMES = {"city": "/city", "tianhe": "/district", "unit1": "/unit", "finance": "/finance"}
MISSING_ID = 987_654


@dataclass
class World:
    """Objects of unit 1 (天河区) — "a" —, of unit 2 (越秀区) — "b" — and one not bound."""

    actors: dict[str, Actor]
    objects: dict[type, dict[str, int]]


@pytest.fixture
def world(demo: Any) -> World:
    """Two of everything, one per unit, made through the services."""
    unit1, unit2 = demo.units
    voucher_a = demo.issue(0, entry=demo.care, unit=unit1.id)
    voucher_b = demo.issue(1, entry=demo.housekeeping, unit=unit2.id)
    voucher_any = demo.issue(2, entry=demo.care)  # 通用: any accepted unit
    redemption_a = demo.redeem(voucher_a, "unit1", fee_fen=100_000)
    redemption_b = demo.redeem(voucher_b, "unit2", fee_fen=60_000)
    claim_a = add_to_draft_claim(demo.actor("unit1"), redemption_a.id).claim_id
    claim_b = add_to_draft_claim(demo.actor("unit2"), redemption_b.id).claim_id
    haizhu = create_user(
        Actor.system("test"),
        username="haizhu",
        display_name="海珠区人社局",
        password="Haizhu-2026-gz",
        role=Role.DISTRICT,
        district="440105",
    )
    actors = {name: demo.actor(name) for name in ROLES if name != "haizhu"}
    actors["haizhu"] = actor_for(haizhu)
    actors["system"] = Actor.system("test")
    return World(
        actors=actors,
        objects={
            TrainingUnit: {"a": unit1.id, "b": unit2.id},
            Voucher: {"a": voucher_a.id, "b": voucher_b.id, "any": voucher_any.id},
            Redemption: {"a": redemption_a.id, "b": redemption_b.id},
            Claim: {"a": claim_a, "b": claim_b},
            Person: {"a": demo.people[0].id, "b": demo.people[1].id},
        },
    )


ALL = {"a", "b", "any"}
# Who sees which object: "a" belongs to unit 1 in 天河区, "b" to unit 2 in 越秀区,
# "any" is a voucher bound to no unit. haizhu is a district officer of a district without units.
VISIBLE: dict[str, dict[type, set[str]]] = {
    "system": {TrainingUnit: ALL, Voucher: ALL, Redemption: ALL, Claim: ALL, Person: ALL},
    "city": {TrainingUnit: ALL, Voucher: ALL, Redemption: ALL, Claim: ALL, Person: ALL},
    "finance": {TrainingUnit: ALL, Voucher: ALL, Redemption: ALL, Claim: ALL, Person: set()},
    "tianhe": {TrainingUnit: {"a"}, Voucher: set(), Redemption: {"a"}, Claim: {"a"}, Person: set()},
    "haizhu": {TrainingUnit: set(), Voucher: set(), Redemption: set(), Claim: set(), Person: set()},
    "unit1": {TrainingUnit: {"a"}, Voucher: {"a"}, Redemption: {"a"}, Claim: {"a"}, Person: set()},
    "unit2": {TrainingUnit: {"b"}, Voucher: {"b"}, Redemption: {"b"}, Claim: {"b"}, Person: set()},
}


def _sees(model: type, object_id: int, actor: Actor) -> bool:
    try:
        obj = get_visible(model, object_id, actor)
    except NotFound as exc:
        assert exc.status == 404 and exc.code == "not_found"
        return False
    assert obj.id == object_id
    return True


@pytest.mark.parametrize("who", list(VISIBLE))
def test_each_actor_sees_its_own_objects_and_gets_not_found_for_the_others(world, who):
    actor = world.actors[who]
    wrong = []
    for model, objects in world.objects.items():
        for key, object_id in objects.items():
            expected = key in VISIBLE[who][model]
            if _sees(model, object_id, actor) != expected:
                wrong.append(f"{model.__name__} {key}: expected {'seen' if expected else 404}")

    assert wrong == []


@pytest.mark.parametrize("who", list(VISIBLE))
def test_a_missing_object_and_one_out_of_scope_answer_alike(world, who):
    actor = world.actors[who]
    for model in world.objects:
        with pytest.raises(NotFound) as missing:
            get_visible(model, MISSING_ID, actor)
        hidden = [
            object_id
            for key, object_id in world.objects[model].items()
            if key not in VISIBLE[who][model]
        ]
        for object_id in hidden:
            with pytest.raises(NotFound) as out_of_scope:
                get_visible(model, object_id, actor)
            assert str(out_of_scope.value) == str(missing.value)
            assert out_of_scope.value.code == missing.value.code


def test_every_actor_gets_not_found_for_a_row_locked_out_of_scope(world):
    with pytest.raises(NotFound):
        get_visible(Claim, world.objects[Claim]["b"], world.actors["unit1"], for_update=True)

    assert get_visible(Claim, world.objects[Claim]["a"], world.actors["unit1"], for_update=True)


def test_a_unit_cannot_claim_another_units_redemption(world):
    with pytest.raises(NotFound):
        add_to_draft_claim(world.actors["unit1"], world.objects[Redemption]["b"])

    claim_b = db.session.get(Claim, world.objects[Claim]["b"])
    assert len(claim_b.lines) == 1


# --- HTTP ------------------------------------------------------------------------------------


def _fill(demo: Any) -> dict[str, Any]:
    """Real values for the URL parameters we know how to fill."""
    token = issue_api_token(Actor.system("test"), demo.users["city"].id, "city-token")
    token_id = db.session.execute(
        select(ApiToken.id).where(ApiToken.prefix == token[:12])
    ).scalar_one()
    return {
        "entry_id": demo.care,
        "token_id": token_id,
        "level": "5",
        "code": "4-10-01-05",
        "year": 2026,
    }


def _routes(app: Flask, values: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path) for every registered route whose parameters we can fill."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.arguments <= set(values):
            continue
        _domain, path = rule.build({k: values[k] for k in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    assert len(routes) >= 20
    return routes


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _bearer_for(app: Flask, demo: Any, username: str) -> dict[str, str]:
    token = issue_api_token(Actor.system("test"), demo.users[username].id, "matrix")
    return {"Authorization": f"Bearer {token}"}


def _ok_get(response: Any) -> bool:
    if response.status_code in {200, 302, 303, 403, 404}:
        return True
    # an endpoint that needs query arguments refuses a bare call in the JSON error shape
    body = response.get_json(silent=True) or {}
    return response.status_code == 422 and body.get("code") == "validation_failed"


@pytest.mark.parametrize("username", ["city", "tianhe", "unit1", "unit2", "finance"])
def test_every_get_route_answers_each_role_without_a_server_error(app, demo, username):
    app.test_client_class = RequestClient
    values = _fill(demo)
    client = _signed_in(app, username)
    headers = _bearer_for(app, demo, username)
    wrong = []
    for method, path in _routes(app, values):
        if method != "GET":
            continue
        for how, extra in (("cookie", {}), ("bearer", headers)):
            response = client.get(path, headers=extra)
            if not _ok_get(response):
                wrong.append(f"{how} GET {path}: {response.status_code}")

    assert wrong == []


def test_every_get_route_answers_an_anonymous_caller_without_a_server_error(app, demo):
    app.test_client_class = RequestClient
    client = app.test_client()
    wrong = []
    for method, path in _routes(app, _fill(demo)):
        if method != "GET":
            continue
        response = client.get(path)
        if path.startswith("/api/v1/"):
            ok = response.status_code == 401 and response.get_json()["status"] == 401
        else:
            ok = response.status_code in {200, 302}
            if response.status_code == 302:
                # staff pages send to the staff sign-in, the trainee's wallet to its own
                ok = response.headers["Location"].startswith(("/login", "/wallet/login"))
        if not ok:
            wrong.append(f"GET {path}: {response.status_code}")

    assert wrong == []


@pytest.mark.parametrize("username", ["city", "tianhe", "unit1", "unit2", "finance"])
def test_every_write_route_answers_each_role_without_a_server_error(app, demo, username):
    """A write with an empty body: refused (403/404/422), or done — never a 500."""
    app.test_client_class = RequestClient
    values = _fill(demo)
    headers = _bearer_for(app, demo, username)
    client = _signed_in(app, username)
    wrong = []
    for method, path in _routes(app, values):
        if method == "GET":
            continue
        if path.startswith("/api/"):
            response = app.test_client().open(path, method=method, json={}, headers=headers)
        else:
            with client.session_transaction() as session:
                if "_user_id" not in session:  # signed out by the logout route
                    client = _signed_in(app, username)
            token = csrf_token(client, "/catalogue")
            response = client.open(path, method=method, data={"csrf_token": token})
        if response.status_code not in {200, 302, 303, 400, 403, 404, 422}:
            wrong.append(f"{method} {path}: {response.status_code}")

    assert wrong == []


@pytest.mark.parametrize("username", ["tianhe", "unit1", "unit2", "finance"])
def test_a_user_revoking_the_city_officers_token_gets_not_found(app, demo, username):
    app.test_client_class = RequestClient
    values = _fill(demo)
    client = _signed_in(app, username)

    response = client.post(
        f"/account/tokens/{values['token_id']}/revoke",
        data={"csrf_token": csrf_token(client, "/account")},
    )

    assert response.status_code == 404
    assert db.session.get(ApiToken, values["token_id"]).revoked_at is None


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_home_page_refuses_the_other_roles(client, demo, username):
    login(client, username)

    answers = {path: client.get(path).status_code for path in HOMES.values()}

    own = HOMES[username]
    assert answers[own] == 200
    assert {path: code for path, code in answers.items() if path != own} == {
        path: 403 for path in HOMES.values() if path != own
    }


def test_the_refusal_of_a_home_page_is_a_chinese_page(client, demo):
    login(client, "unit1")

    response = client.get("/city")

    assert response.status_code == 403
    assert re.search(r"您的角色无权|无权访问", response.get_data(as_text=True))


def test_a_unit_operator_home_page_shows_only_its_own_unit(client, demo):
    login(client, "unit2")

    html = client.get("/unit").get_data(as_text=True)

    assert demo.units[1].name in html
    assert demo.units[0].name not in html


def test_a_district_home_page_lists_only_its_districts_units(client, demo):
    login(client, "tianhe")

    html = client.get("/district").get_data(as_text=True)

    assert demo.units[0].name in html
    assert demo.units[1].name not in html
