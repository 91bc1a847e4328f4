"""The envelope, status codes, the order of checks, and authentication (V-1..V-5)."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from tests.serving import raw_exchange

from campaign_mock.serving.server import MockServer

from .conftest import BASIC, Api

MIB = 1024 * 1024


def _failure_shape(answer_body: object) -> None:
    assert isinstance(answer_body, dict)
    assert answer_body["success"] is False
    data = answer_body["data"]
    assert isinstance(data["error"], str) and data["error"]
    assert isinstance(data["code"], str)
    assert isinstance(data["errors"], dict)


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/json, */*"])
def test_V1_json_when_accept_asks_or_is_absent(api: Api, accept: str | None) -> None:
    """V-1: JSON for application/json; [profile] also for no Accept and */*."""
    headers = {"Accept": accept} if accept else {}
    answer = api.call(
        "POST", "/campaign", json={"name": "a", "domain": 1, "list": 1}, headers=headers
    )
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.ok


def test_V1_browser_gets_a_page(api: Api) -> None:
    """V-1: a request preferring text/html may get a page for people."""
    api.create()
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = api.client.get("/campaign/1", headers={"Accept": browser, "Authorization": BASIC})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"<html" in response.data and b"&quot;success&quot;: true" in response.data


def test_V2_every_response_is_the_envelope(api: Api) -> None:
    """V-2: success and failure alike are {"success": bool, "data": object}."""
    answers = [
        api.create(),
        api.get(1),
        api.get(99),
        api.call("GET", "/nowhere"),
        api.call("PATCH", "/campaign/1"),
        api.call("GET", "/campaign/1", auth=False),
        api.call("OPTIONS", "/campaign/1", auth=False),
    ]
    for answer in answers:
        assert set(answer.body) == {"success", "data"}, answer.body
        assert isinstance(answer.body["success"], bool)
        assert isinstance(answer.body["data"], dict)


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"name": ""}, "invalid", "name"),
        ({"domain": "x"}, "invalid", "domain"),
        ({"domain": 2}, "reference", "domain"),
        ({"list": 99}, "reference", "list"),
        ({"segments": [3]}, "reference", "segments"),
        ({"state": "SENDING"}, "conflict", "state"),
    ],
)
def test_V3_application_failures_are_http_200(
    api: Api, fields: dict[str, object], code: str, field: str
) -> None:
    """V-3: application failures are HTTP 200, success false, data.error; [profile] code, errors."""
    answer = api.create(**fields)
    assert answer.status == 200
    _failure_shape(answer.body)
    assert answer.code == code
    assert field in answer.data["errors"]
    assert field in answer.data["error"]  # the message names the field


def test_V4_routing_404_for_unknown_paths_and_bad_ids(api: Api) -> None:
    """V-4 step 1: 404 for unknown paths and ids that are not positive integers, before 401."""
    for path in ["/nowhere", "/campaign/abc", "/campaign/-1", "/campaign/0", "/campaign/1.5"]:
        for method in ["GET", "PUT", "DELETE", "POST"]:
            answer = api.call(method, path, auth=False)
            assert answer.status == 404, (method, path)
            assert answer.code == "not_found"


def test_V4_method_not_allowed_comes_before_401(api: Api) -> None:
    """V-4 step 1: 405 with Allow for a method the path lacks, even without credentials."""
    for method, path in [("PATCH", "/campaign/1"), ("GET", "/campaign"), ("DELETE", "/campaign")]:
        answer = api.call(method, path, auth=False)
        assert answer.status == 405, (method, path)
        assert answer.code == "method_not_allowed"
        assert "Allow" in answer.headers


def test_V4_head_and_options_wherever_get_is(api: Api) -> None:
    """V-4: HEAD and OPTIONS are answered wherever GET is."""
    api.create()
    head = api.client.head("/campaign/1", headers={"Authorization": BASIC})
    assert head.status_code == 200 and head.data == b""
    options = api.call("OPTIONS", "/campaign/1", auth=False)
    assert options.status == 200
    assert {"GET", "PUT", "DELETE"} <= set(options.headers["Allow"].split(", "))
    for method, path in [("OPTIONS", "/campaign"), ("HEAD", "/campaign"), ("OPTIONS", "/login/")]:
        answer = api.call(method, path, auth=False)
        assert answer.status == 405, (method, path)  # no GET there


def test_V4_401_comes_before_body_checks(api: Api) -> None:
    """V-4 step 2 before 3: no credentials beats a broken, oversized or unsupported body."""
    for kwargs in [
        {"data": "{broken", "content_type": "application/json"},
        {"data": "x", "content_type": "text/plain"},
        {"data": "x" * (MIB + 1), "content_type": "application/json"},
    ]:
        answer = api.call("POST", "/campaign", auth=False, **kwargs)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("x" * (MIB + 1), "application/x-www-form-urlencoded", 413, "too_large"),
        ("name=a", "text/plain", 415, "unsupported_media_type"),
        ("<campaign/>", "application/xml", 415, "unsupported_media_type"),
        ("{broken", "application/json", 400, "malformed"),
        ("[1, 2]", "application/json", 400, "malformed"),
        ('"name"', "application/json", 400, "malformed"),
        ('{"name": NaN}', "application/json", 400, "malformed"),
        (b"\xff\xfe{}", "application/json", 400, "malformed"),
        ("[" * 100_000, "application/json", 400, "malformed"),
        # Whitespace alone is no JSON text (RFC 8259: a value is required); only a body of
        # no bytes is no parameters. A full loaded run's schemathesis sent a lone CR.
        ("\r", "application/json", 400, "malformed"),
        (" \n\t", "application/json", 400, "malformed"),
        (
            "--b\r\nContent-Disposition: form-data\r\n",
            "multipart/form-data; boundary=b",
            400,
            "malformed",
        ),
        ("garbage", "multipart/form-data", 400, "malformed"),
        # The close delimiter inside a part's text, not on a line of its own: no closing one.
        ("--b\r\n[]--b--\r\n", "multipart/form-data; boundary=b", 400, "malformed"),
        (
            '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx--b--',
            "multipart/form-data; boundary=b",
            400,
            "malformed",
        ),
    ],
)
def test_V4_body_failures(
    api: Api, body: str | bytes, content_type: str, status: int, code: str
) -> None:
    """V-4 step 3: 413 over 1 MiB, 415 another content type, 400 a body that cannot be parsed."""
    for path in ["/campaign", "/campaign/1"]:
        if path == "/campaign/1":
            api.create()
        method = "POST" if path == "/campaign" else "PUT"
        answer = api.call(method, path, data=body, content_type=content_type)
        assert answer.status == status, (path, answer.body)
        _failure_shape(answer.body)
        assert answer.code == code


def test_a_multipart_body_with_no_part_is_an_empty_form(api: Api) -> None:
    """What client libraries send for an empty form (`{}`): the close delimiter alone. RFC
    2046 wants a part, but the mock reads no parameters (docs/internals.md, CONTRACT.md's
    "Where servers may differ"): a PUT of it changes nothing, a POST misses its fields."""
    made = api.create(name="Kept").body["data"]
    for body in ("--b--\r\n", "preamble\r\n--b--"):
        put = api.call(
            "PUT", "/campaign/1", data=body, content_type="multipart/form-data; boundary=b"
        )
        assert put.status == 200 and put.body["success"] is True, put.body
        assert put.body["data"] == made
        post = api.call(
            "POST", "/campaign", data=body, content_type="multipart/form-data; boundary=b"
        )
        assert post.status == 200 and post.code == "invalid", post.body
        assert {"name", "domain", "list"} <= set(post.body["data"]["errors"])


@pytest.mark.parametrize("encoding", ["form", "multipart", "JSON"])
def test_V4_a_body_of_exactly_one_mib_is_not_413(api: Api, encoding: str) -> None:
    """V-4: 413 is for bodies *over* 1 MiB; one of exactly 1 MiB goes on, in every encoding,
    even as a single multipart field (werkzeug alone keeps 500 kB of a field)."""
    if encoding == "JSON":
        head, tail, content_type = b'{"name": "', b'"}', "application/json"
    elif encoding == "multipart":
        head = b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        tail, content_type = b"\r\n--b--\r\n", "multipart/form-data; boundary=b"
    else:
        head, tail, content_type = b"name=", b"", "application/x-www-form-urlencoded"
    body = head + b"n" * (MIB - len(head) - len(tail)) + tail
    assert len(body) == MIB
    answer = api.call("PUT", "/campaign/77", data=body, content_type=content_type)
    assert answer.status == 404 and answer.code == "not_found", answer.body


def test_V4_body_check_comes_before_missing_id(api: Api) -> None:
    """V-4 step 3 before 4: a broken body on a missing id is 400, a good body on it is 404."""
    broken = api.call("PUT", "/campaign/77", data="{", content_type="application/json")
    assert broken.status == 400
    good = api.call("PUT", "/campaign/77", json={"name": "x"})
    assert good.status == 404 and good.code == "not_found"


def test_V4_missing_id_comes_before_field_errors(api: Api) -> None:
    """V-4 step 4 before 5: a PUT with bad fields on a deleted campaign is a 404."""
    api.create()
    api.call("DELETE", "/campaign/1")
    for path in ["/campaign/1", "/campaign/99999999999999999999"]:
        answer = api.call("PUT", path, json={"name": "", "state": "NOPE"})
        assert answer.status == 404
        assert answer.code == "not_found"


def test_V4_nothing_changes_after_a_rejected_request(api: Api) -> None:
    """V-4: a rejected request changes no state."""
    api.create(name="keep")
    before = api.get(1).data
    api.call(
        "PUT", "/campaign/1", data="name=x&name=y", content_type="application/x-www-form-urlencoded"
    )
    api.call("PUT", "/campaign/1", data="{", content_type="application/json")
    api.call("PUT", "/campaign/1", json={"name": "changed", "domain": 2})
    assert api.get(1).data == before
    assert api.create(name="next").data["id"] == 2  # no id was spent on failures


def test_V4_no_5xx_and_no_dropped_connection_on_the_wire(live_server: MockServer) -> None:
    """V-4: over a real socket, an oversized body gets its 413 envelope, not a reset."""
    url = f"{live_server.url}/campaign"
    response = requests.post(
        url,
        data=b"a" * (2 * MIB),
        headers={"Authorization": BASIC, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.json()["data"]["code"] == "too_large"
    # A request line of garbage is answered, not dropped, and the server stays up.
    with socket.create_connection((live_server.host, live_server.port), timeout=5) as conn:
        conn.sendall(b"\x00\x01garbage\r\n\r\n")
        assert conn.recv(100)
    assert requests.get(f"{live_server.url}/_mock/state", timeout=5).status_code == 200


def _raw_exchange(server: MockServer, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """The status line, headers and body the server answers `request` with."""
    received = raw_exchange(server.host, server.port, request)
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return status, headers, body


@pytest.mark.parametrize(
    ("request_bytes", "message"),
    [
        (b"Transfer-Encoding: gzip\r\n", "Transfer-Encoding"),
        (b"Transfer-Encoding: chunked, identity\r\n", "Transfer-Encoding"),
        (b"Content-Length: -5\r\n", "Content-Length"),
        (b"A header line without a colon\r\n", "header"),
    ],
    ids=["unknown-transfer-coding", "chunked-not-last", "negative-length", "no-colon"],
)
def test_V4_framing_the_server_refuses_still_gets_the_envelope(
    live_server: MockServer, request_bytes: bytes, message: str
) -> None:
    """V-4: what waitress refuses before the app runs is a 400 envelope, never text or 5xx."""
    request = b"GET /campaign/1 HTTP/1.1\r\nHost: mock\r\n" + request_bytes + b"\r\n"
    status, headers, body = _raw_exchange(live_server, request)
    assert status.split(" ")[1] == "400", status
    assert headers["Content-Type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["success"] is False
    assert envelope["data"]["code"] == "malformed"
    assert message in envelope["data"]["error"]
    assert requests.get(f"{live_server.url}/_mock/state", timeout=5).status_code == 200


def test_V5_basic_with_password_or_api_key(api: Api) -> None:
    """V-5: HTTP Basic with the account password or an API key; wrong ones are 401."""
    import base64

    def basic(user: str, password: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    key = "demo-api-key-0123456789abcdef"
    assert api.call(
        "POST",
        "/campaign",
        auth=False,
        headers=basic("demo", key),
        json={"name": "k", "domain": 1, "list": 1},
    ).ok
    for user, password in [("demo", "nope"), ("nobody", "demo-password"), ("", "")]:
        answer = api.call("GET", "/campaign/1", auth=False, headers=basic(user, password))
        assert answer.status == 401
        assert answer.code == "unauthorized"
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
    bearer = api.call("GET", "/campaign/1", auth=False, headers={"Authorization": "Bearer x"})
    assert bearer.status == 401


def test_V5_session_login_cookie_and_logout(api: Api) -> None:
    """V-5: POST /login/ gives a token (data.token and Set-Cookie); /logout/ ends it."""
    client = api.client
    login = client.post("/login/", data={"username": "demo", "password": "demo-password"})
    body = login.get_json()
    assert login.status_code == 200 and body["success"] is True
    token = body["data"]["token"]
    assert f"sergiosgc_auth={token}" in login.headers["Set-Cookie"]
    created = client.post("/campaign", json={"name": "s", "domain": 1, "list": 1})
    assert created.get_json()["success"] is True
    assert client.post("/logout/").get_json()["success"] is True
    client.set_cookie("sergiosgc_auth", token)  # replaying the ended token
    after = client.get("/campaign/1")
    assert after.status_code == 401


def test_V5_login_failures(api: Api) -> None:
    """V-5: wrong credentials at /login/ are 401; missing fields are V-3 invalid."""
    wrong = api.call("POST", "/login/", auth=False, json={"username": "demo", "password": "x"})
    assert wrong.status == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
    missing = api.call("POST", "/login/", auth=False, json={"username": "demo"})
    assert missing.status == 200 and missing.code == "invalid"
    assert "password" in missing.data["errors"]
    assert api.call("POST", "/logout/", auth=False).status == 401


def test_V5_no_auth_mode() -> None:
    """V-5: `--no-auth` (auth=False) accepts requests without credentials."""
    from campaign_mock import create_app

    client = create_app(auth=False).test_client()
    body = json.loads(client.post("/campaign", data={"name": "a", "domain": 1, "list": 1}).data)
    assert body["success"] is True
