"""The dashboard cannot be framed (issue 18, item 8): every dashboard route, read from the
app's own url_map (a route added later is covered, or this test names it), and every page
the mock renders for a browser sends a CSP with `frame-ancestors 'none'` and a strict
`default-src 'self'`, `X-Frame-Options: DENY` and `X-Content-Type-Options: nosniff`."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign_mock import create_app

TOKEN = "page-headers-token"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-password").decode()}
#: A value for each path argument of a dashboard route.
ARGUMENTS = {"ident": "1", "seq": "1", "batch": "1", "filename": "dashboard.js"}


def assert_protected(answer: TestResponse, where: str) -> None:
    policy = answer.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], (where, policy)
    assert directives.get("default-src") == ["'self'"], (where, policy)
    assert directives.get("script-src") is None, (where, policy)  # scripts: 'self' alone
    assert all("'unsafe-inline'" not in v for v in directives.values()), (where, policy)
    assert answer.headers.get("X-Frame-Options") == "DENY", where
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", where


def dashboard_requests(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every dashboard route the url_map has, each of its methods."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard."):
            continue
        assert rule.arguments <= set(ARGUMENTS) | set(rule.defaults or {}), rule.rule
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: ARGUMENTS[m[1]], rule.rule)
        found += [(method, path) for method in sorted(rule.methods or ()) if method != "OPTIONS"]
    return found


def prepared(app: Flask) -> FlaskClient:
    """A client of `app` with campaign 1 and a request journal to show."""
    client = app.test_client()
    created = client.post("/campaign", json={"name": "A", "domain": 1, "list": 1}, headers=AUTH)
    assert created.json is not None and created.json["success"], created.json
    return client


@pytest.mark.parametrize("token", [None, TOKEN], ids=["open", "with-token"])
def test_every_dashboard_route_sends_the_headers(token: str | None) -> None:
    app = create_app(control_token=token)
    client = prepared(app)
    routes = dashboard_requests(app)
    assert ("GET", "/") in routes and ("POST", "/_mock/ui/do/flush") in routes
    assert ("GET", "/_mock/ui/static/dashboard.js") in routes
    guard = {"X-Mock-Token": token} if token else {}
    for method, path in routes:
        for headers in ({"Accept": BROWSER, **guard}, {"Accept": BROWSER}, {}):
            answer = client.open(path, method=method, headers=headers)
            answer.close()  # a static file's answer holds it open
            assert_protected(answer, f"{method} {path} {sorted(headers)} -> {answer.status}")
    if token:  # the token page itself
        asked = client.get("/_mock/ui/", headers={"Accept": BROWSER})
        assert asked.status_code == 401 and b"the control token" in asked.data


@pytest.mark.parametrize(
    ("path", "status", "headers"),
    [
        ("/campaign/1", 200, AUTH),  # the API's campaign, as the dashboard's page (V-1)
        ("/campaign/99", 404, AUTH),  # the plain answer page
        ("/no/such/path", 404, {}),
        ("/_mock/ui/", 401, {}),  # the token page
    ],
)
def test_every_page_for_a_browser_sends_the_headers_and_styles_only_by_hash(
    path: str, status: int, headers: dict[str, str]
) -> None:
    client = prepared(create_app(control_token=TOKEN))
    answer = client.get(path, headers={"Accept": BROWSER, **headers})
    assert answer.status_code == status and answer.mimetype == "text/html", answer.data[:200]
    assert_protected(answer, path)
    # An inline <style> renders only if the policy names its hash: the page stays styled.
    policy = answer.headers["Content-Security-Policy"]
    for style in re.findall(r"<style>(.*?)</style>", answer.get_data(as_text=True), re.S):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy, (path, style)
    assert "<script>" not in answer.get_data(as_text=True)
