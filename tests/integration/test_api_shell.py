"""The web and API shell: OpenAPI spec, local docs page, one JSON error shape, headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.factories import csrf_token, login

ERROR_KEYS = {"code", "status", "message", "errors"}


def _bearer(client: FlaskClient, username: str) -> dict[str, str]:
    login(client, username)
    page = client.post(
        "/account", data={"csrf_token": csrf_token(client, "/account"), "name": "机器"}
    ).get_data(as_text=True)
    token = re.search(r'data-testid="new-token"><code>([^<]+)</code>', page).group(1)
    return {"Authorization": f"Bearer {token}"}


def _assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == status
    assert isinstance(body["code"], str) and body["code"]
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), "the message is in Chinese"
    assert isinstance(body["errors"], dict)
    return body


class _Assets(HTMLParser):
    """Collect the script and stylesheet URLs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.urls.append(values["src"] or "")
            else:
                self.inline_scripts += 1
        if tag == "link" and values.get("rel") == "stylesheet":
            self.urls.append(values.get("href") or "")


# --- OpenAPI and docs -----------------------------------------------------------------------


def test_the_openapi_spec_is_json_at_a_stable_url_with_the_api_paths(client, app):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "广州职业培训券系统 API"
    paths = set(spec["paths"])
    assert {
        "/api/v1/me",
        "/api/v1/catalogue",
        "/api/v1/catalogue/{entry_id}",
        "/api/v1/catalogue/{entry_id}/standards/{level}",
    } <= paths
    assert "bearer" in spec["components"]["securitySchemes"]


def test_every_registered_api_route_is_in_the_spec(client, app):
    spec_paths = set(client.get("/api/openapi.json").get_json()["paths"])
    routes = {
        re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }

    assert routes, "the API has routes"
    assert routes <= spec_paths


def test_the_docs_page_serves_its_assets_locally(client, app):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    parser = _Assets()
    parser.feed(response.get_data(as_text=True))
    assert len(parser.urls) >= 3  # swagger css, swagger bundle, our starter script
    assert parser.inline_scripts == 0  # the CSP forbids inline scripts
    for url in parser.urls:
        assert url.startswith("/static/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.data) > 0
    assert "/api/openapi.json" in response.get_data(as_text=True)


def test_the_docs_page_names_no_external_host(client, app):
    html = client.get("/api/docs").get_data(as_text=True)

    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)


# --- one JSON error shape -------------------------------------------------------------------


def test_an_unknown_api_path_answers_404_json(client, app):
    body = _assert_error_shape(client.get("/api/v1/no-such-thing"), 404)

    assert body["code"] == "not_found"


def test_an_unknown_api_path_answers_404_json_for_a_signed_in_caller_too(client, demo):
    headers = _bearer(client, "city")

    _assert_error_shape(client.get("/api/v1/no-such-thing", headers=headers), 404)


def test_the_api_without_credentials_answers_401_json(client, app):
    body = _assert_error_shape(client.get("/api/v1/me"), 401)

    assert body["code"] == "unauthenticated"


def test_the_catalogue_api_without_credentials_answers_401_json_not_a_redirect(client, app):
    response = client.get("/api/v1/catalogue")

    _assert_error_shape(response, 401)
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "query",
    [{"per_page": "abc"}, {"page": "x"}, {"page": "0"}, {"per_page": "1000"}],
)
def test_a_query_argument_of_the_wrong_type_answers_422_json_with_errors(client, demo, query):
    headers = _bearer(client, "unit1")

    response = client.get("/api/v1/catalogue", query_string=query, headers=headers)

    body = _assert_error_shape(response, 422)
    assert body["code"] == "validation_failed"
    (name,) = query
    assert name in str(body["errors"])


def test_a_body_that_is_not_json_answers_an_error_in_the_json_shape(client, demo):
    headers = _bearer(client, "city")

    response = client.put(
        f"/api/v1/catalogue/{demo.care}/standards/5",
        data="amount_fen=1",
        headers=headers | {"Content-Type": "text/plain"},
    )

    assert response.status_code in {400, 415, 422}
    _assert_error_shape(response, response.status_code)


def test_a_wrong_method_on_the_api_answers_405_json(client, demo):
    headers = _bearer(client, "city")

    response = client.delete(f"/api/v1/catalogue/{demo.care}", headers=headers)

    _assert_error_shape(response, 405)


# --- pages ----------------------------------------------------------------------------------


def test_an_unknown_page_answers_a_chinese_html_404(client, app):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "未找到该页面或记录" in html
    assert "返回首页" in html


def test_an_unknown_page_for_a_signed_in_user_is_a_chinese_html_404(client, demo):
    login(client, "unit1")

    response = client.get("/catalogue/999999")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "目录中没有该职业" in response.get_data(as_text=True)


def test_a_wrong_method_on_a_page_answers_a_chinese_html_405(client, app):
    response = client.get("/logout")

    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "不支持该请求方法" in response.get_data(as_text=True)


def test_a_page_needing_sign_in_redirects_to_the_login_page(client, app):
    response = client.get("/city")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_health_probe_answers(client, app):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


# --- security headers -----------------------------------------------------------------------


def _csp(response: Any) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/login", "/api/docs", "/api/openapi.json", "/no-such-page"])
def test_security_headers_are_on_every_answer(client, app, path):
    response = client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = _csp(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    for directive, sources in csp.items():
        for source in sources:
            assert source in {"'self'", "'none'", "'unsafe-inline'", "data:", "blob:"}, (
                f"{directive} allows {source}"
            )


def test_security_headers_are_on_api_errors(client, app):
    response = client.get("/api/v1/me")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _csp(response)["frame-ancestors"] == ["'none'"]


def test_pages_other_than_the_docs_allow_no_inline_style(client, app):
    assert _csp(client.get("/login"))["style-src"] == ["'self'"]
