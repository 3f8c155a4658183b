"""Accounts: sign-in per role, CSRF, rate limit, cookies, passwords, API tokens, bindings."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from tests.factories import DEMO_PASSWORD, csrf_token, login
from voucher.accounts.models import ApiToken, User
from voucher.accounts.roles import Role
from voucher.accounts.services import create_user
from voucher.catalog.services import get_entry
from voucher.db import db
from voucher.errors import ValidationFailed

HOMES = {
    "city": ("/city", "市人社局工作台"),
    "tianhe": ("/district", "区人社局工作台"),
    "unit1": ("/unit", "广州天河职业技能培训学校（演示）"),
    "finance": ("/finance", "财务审核工作台"),
}
STRONG_PASSWORD = "Str0ng-enough-pw"


def _session_user(client: Any) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def _new_token(client: Any, name: str = "对接系统") -> str:
    response = client.post(
        "/account", data={"csrf_token": csrf_token(client, "/account"), "name": name}
    )
    assert response.status_code == 200
    match = re.search(r'data-testid="new-token"><code>([^<]+)</code>', response.get_data(True))
    assert match, "the new token is shown once on the account page"
    return match.group(1)


# --- sign in and out ------------------------------------------------------------------------


@pytest.mark.parametrize("username", list(HOMES))
def test_each_role_signs_in_through_the_form_and_lands_on_its_own_home_page(client, demo, username):
    path, title = HOMES[username]

    response = login(client, username)

    assert response.status_code == 302
    home = client.get(response.headers["Location"], follow_redirects=True)
    assert home.status_code == 200
    assert home.request.path == path
    html = home.get_data(as_text=True)
    assert re.search(r'data-testid="home-title">[^<]*' + re.escape(title), html)
    assert _session_user(client) == str(demo.users[username].id)


def test_a_wrong_password_shows_a_chinese_message_and_signs_nobody_in(client, demo):
    response = login(client, "city", "Wrong-password-1")

    assert response.status_code == 422
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert _session_user(client) is None
    assert client.get("/city").status_code == 302  # still sent to the login page


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(client, demo):
    response = login(client, "nobody", DEMO_PASSWORD)

    assert response.status_code == 422
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert _session_user(client) is None


def test_a_login_post_without_csrf_token_is_refused_and_signs_nobody_in(client, demo):
    client.get("/login")

    response = client.post("/login", data={"username": "city", "password": DEMO_PASSWORD})

    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert _session_user(client) is None
    assert db.session.get(User, demo.users["city"].id).last_login_at is None


def test_a_login_post_with_a_forged_csrf_token_is_refused(client, demo):
    client.get("/login")

    response = client.post(
        "/login",
        data={"csrf_token": "forged", "username": "city", "password": DEMO_PASSWORD},
    )

    assert response.status_code == 400
    assert _session_user(client) is None


def test_logout_is_post_only(client, demo):
    login(client, "city")

    response = client.get("/logout")

    assert response.status_code == 405
    assert _session_user(client) == str(demo.users["city"].id)


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(client, demo):
    login(client, "city")

    response = client.post("/logout")

    assert response.status_code == 400
    assert _session_user(client) == str(demo.users["city"].id)


def test_logout_with_csrf_token_signs_out(client, demo):
    login(client, "city")
    token = csrf_token(client, "/city")

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert _session_user(client) is None
    assert client.get("/city").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "///evil.example/steal",
        "/\\evil.example/steal",
        "\\\\evil.example/steal",
        "http:evil.example",
        "javascript:alert(1)",
    ],
)
def test_a_next_link_to_another_host_is_ignored(client, demo, target):
    token = csrf_token(client)

    response = client.post(
        "/login",
        query_string={"next": target},
        data={"csrf_token": token, "username": "city", "password": DEMO_PASSWORD},
    )

    assert response.status_code == 302
    # where a browser goes: it reads a backslash as a slash in http(s) URLs
    landing = urljoin("http://localhost/login", response.headers["Location"].replace("\\", "/"))
    assert urlsplit(landing).scheme == "http"
    assert urlsplit(landing).netloc == "localhost"


def test_a_next_link_inside_the_site_is_followed(client, demo):
    token = csrf_token(client)

    response = client.post(
        "/login",
        query_string={"next": "/catalogue?q=养老"},
        data={"csrf_token": token, "username": "city", "password": DEMO_PASSWORD},
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/catalogue?q=")


# --- rate limit and cookies -----------------------------------------------------------------


def test_the_login_rate_limit_answers_429_after_the_configured_number_of_failures(make_app):
    from tests.factories import DemoWorld

    application = make_app(LOGIN_RATE_LIMIT="3 per minute")
    DemoWorld.build()
    client = application.test_client()
    for _attempt in range(3):
        assert login(client, "city", "Wrong-password-1").status_code == 422

    refused = login(client, "city", DEMO_PASSWORD)

    assert refused.status_code == 429
    assert "请求过于频繁" in refused.get_data(as_text=True)
    assert _session_user(client) is None


def test_the_session_cookie_is_httponly_and_samesite_lax(client, demo):
    response = login(client, "city")

    cookie = _set_cookie(response, "session")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_the_session_cookie_is_secure_when_configured(make_app):
    from tests.factories import DemoWorld

    application = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    DemoWorld.build()
    client = application.test_client()
    base = "https://voucher.test"
    page = client.get("/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    response = client.post(
        "/login",
        base_url=base,
        headers={"Referer": f"{base}/login"},
        data={"csrf_token": token, "username": "city", "password": DEMO_PASSWORD},
    )

    assert response.status_code == 302
    cookie = _set_cookie(response, "session")
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _set_cookie(response: Any, name: str) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert cookies, f"no {name} cookie set"
    return cookies[-1].lower()


# --- passwords and bindings -----------------------------------------------------------------


def test_passwords_are_stored_hashed(demo):
    user = db.session.get(User, demo.users["city"].id)

    assert DEMO_PASSWORD not in user.password_hash
    assert user.password_hash.split(":")[0] in {"scrypt", "pbkdf2"}
    assert check_password_hash(user.password_hash, DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "密码至少需要 10 个字符"),
        ("onlyletters", "密码需包含字母、数字或符号中的至少两类"),
        ("1234567890", "密码需包含字母、数字或符号中的至少两类"),
    ],
)
def test_a_weak_password_is_refused_with_a_chinese_message(app, system, password, message):
    with pytest.raises(ValidationFailed) as refused:
        create_user(
            system, username="weak", display_name="弱", password=password, role=Role.FINANCE
        )

    assert refused.value.code == "password_weak"
    assert str(refused.value) == message
    assert db.session.execute(select(User).where(User.username == "weak")).first() is None


def test_a_district_officer_must_be_bound_to_a_district(app, system):
    with pytest.raises(ValidationFailed) as refused:
        create_user(
            system,
            username="nodistrict",
            display_name="区",
            password=STRONG_PASSWORD,
            role=Role.DISTRICT,
        )

    assert refused.value.code == "district_required"
    assert "必须绑定广州市的一个区" in str(refused.value)
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 0


def test_a_district_officer_bound_to_a_district_outside_guangzhou_is_refused(app, system):
    with pytest.raises(ValidationFailed) as refused:
        create_user(
            system,
            username="shenzhen",
            display_name="区",
            password=STRONG_PASSWORD,
            role=Role.DISTRICT,
            district="440304",
        )

    assert refused.value.code == "district_required"


def test_a_unit_operator_must_be_bound_to_a_unit(app, system):
    with pytest.raises(ValidationFailed) as refused:
        create_user(
            system,
            username="nounit",
            display_name="机构",
            password=STRONG_PASSWORD,
            role=Role.UNIT,
        )

    assert refused.value.code == "unit_required"
    assert "必须绑定一个培训机构" in str(refused.value)
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 0


def test_a_city_officer_cannot_be_bound_to_a_district_or_a_unit(demo, system):
    with pytest.raises(ValidationFailed):
        create_user(
            system,
            username="citybound",
            display_name="市",
            password=STRONG_PASSWORD,
            role=Role.CITY,
            district="440106",
        )
    with pytest.raises(ValidationFailed):
        create_user(
            system,
            username="citybound",
            display_name="市",
            password=STRONG_PASSWORD,
            role=Role.CITY,
            unit_id=demo.units[0].id,
        )

    assert db.session.execute(select(User).where(User.username == "citybound")).first() is None


def test_a_district_officer_is_stored_with_the_district_code(app, system):
    user = create_user(
        system,
        username="haizhu",
        display_name="海珠区",
        password=STRONG_PASSWORD,
        role=Role.DISTRICT,
        district="海珠区",
    )

    assert user.district == "440105"


# --- API tokens -----------------------------------------------------------------------------


def test_an_api_token_made_on_the_account_page_authenticates_the_api(client, demo):
    login(client, "unit1")
    token = _new_token(client)
    assert token.startswith("gzv_")
    anonymous = client.application.test_client()

    response = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    me = response.get_json()
    assert me["username"] == "unit1"
    assert me["role"] == "unit_operator"
    assert me["unit_id"] == demo.units[0].id
    assert me["district"] is None


def test_the_district_officers_token_reports_the_district(client, demo):
    login(client, "tianhe")
    token = _new_token(client)

    me = client.application.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert me.get_json()["role"] == "district_officer"
    assert me.get_json()["district"] == "440106"
    assert me.get_json()["unit_id"] is None


def test_only_a_hash_of_the_token_is_stored(client, demo):
    login(client, "city")
    token = _new_token(client)

    row = db.session.execute(select(ApiToken)).scalar_one()

    assert token not in row.token_hash
    assert row.prefix == token[:12]


def test_a_token_form_without_csrf_creates_no_token(client, demo):
    login(client, "city")

    response = client.post("/account", data={"name": "x"})

    assert response.status_code == 400
    assert db.session.execute(select(func.count(ApiToken.id))).scalar_one() == 0


def test_a_bearer_token_put_needs_no_csrf_token(client, demo):
    login(client, "city")
    token = _new_token(client)
    machine = client.application.test_client()

    response = machine.put(
        f"/api/v1/catalogue/{demo.care}/standards/3",
        json={"amount_fen": 250_000},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"level": "3", "amount_fen": 250_000, "amount_yuan": "2500.00"}


def test_a_cookie_session_put_without_csrf_is_refused(client, demo):
    login(client, "city")

    response = client.put(f"/api/v1/catalogue/{demo.care}/standards/3", json={"amount_fen": 1})

    assert response.status_code == 400
    assert response.get_json()["code"] == "csrf_failed"


def test_a_revoked_token_answers_401_in_the_json_shape(client, demo):
    login(client, "unit1")
    token = _new_token(client)
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    revoked = client.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(client, "/account")},
    )
    assert revoked.status_code == 302

    response = client.application.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["status"] == 401 and body["code"] == "token_invalid"
    assert "令牌" in body["message"]


def test_a_token_in_use_is_refused_at_once_when_revoked_in_this_process(client, demo):
    login(client, "unit1")
    token = _new_token(client)
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200  # now remembered

    client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account")}
    )

    assert api.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_revoked_by_another_process_stops_working_within_the_cache_seconds(
    client, demo, monkeypatch
):
    from voucher.accounts import services

    login(client, "unit1")
    token = _new_token(client)
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    with db.engine.begin() as other_worker:  # as another gunicorn worker would
        other_worker.execute(update(ApiToken).values(revoked_at=func.now()))

    still = api.get("/api/v1/me", headers=headers)
    seconds = client.application.config["API_TOKEN_CACHE_SECONDS"]
    later = services.time.monotonic() + seconds + 0.1
    monkeypatch.setattr(services.time, "monotonic", lambda: later)
    after = api.get("/api/v1/me", headers=headers)

    assert still.status_code == 200 and still.get_json()["username"] == "unit1"
    assert after.status_code == 401


@pytest.mark.parametrize("token", ["gzv_made-up-token", "not-even-ours", ""])
def test_a_made_up_token_answers_401_in_the_json_shape(client, demo, token):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["status"] == 401


def test_a_made_up_token_changes_nothing_even_without_csrf(client, demo):
    response = client.put(
        f"/api/v1/catalogue/{demo.care}/standards/3",
        json={"amount_fen": 250_000},
        headers={"Authorization": "Bearer gzv_made-up-token"},
    )

    assert response.status_code == 401
    assert "3" not in {s.level for s in get_entry(demo.care).standards}


def test_a_user_cannot_revoke_another_users_token(client, demo):
    login(client, "city")
    token = _new_token(client)
    token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    other = client.application.test_client()
    login(other, "unit1")

    response = other.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(other, "/account")}
    )

    assert response.status_code == 404
    assert db.session.get(ApiToken, token_id).revoked_at is None
    me = other.application.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert me.status_code == 200


def test_a_deactivated_users_token_answers_401_and_the_active_users_token_works(client, demo):
    login(client, "unit1")
    token = _new_token(client)
    second = client.application.test_client()
    login(second, "unit2")
    other = _new_token(second)
    db.session.execute(update(User).where(User.username == "unit1").values(active=False))
    db.session.commit()
    api = client.application.test_client(use_cookies=False)

    refused = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    accepted = api.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})

    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert accepted.get_json()["username"] == "unit2"


def test_a_bearer_token_call_gets_no_session_and_sets_no_cookie(client, demo):
    login(client, "unit1")
    token = _new_token(client)
    api = client.application.test_client(use_cookies=False)

    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_bearer_token_api_calls_skip_the_rate_limiter_and_pages_do_not(client, demo, monkeypatch):
    from flask import request

    from voucher.extensions import limiter

    checked: list[str] = []
    monkeypatch.setattr(
        limiter, "_check_request_limit", lambda *a, **k: checked.append(request.path)
    )
    login(client, "unit1")
    token = _new_token(client)
    checked.clear()
    api = client.application.test_client(use_cookies=False)

    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert checked == []
    assert client.get("/api/v1/me").status_code == 200  # the signed-in session: checked
    assert client.get("/account").status_code == 200
    assert checked == ["/api/v1/me", "/account"]
