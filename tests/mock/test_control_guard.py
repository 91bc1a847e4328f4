"""Who may act on the control API (issue 18, item 3): no other site's page, no name the mock
was not bound to (DNS rebinding), over real sockets to a served mock.

- the whole mock answers only to its own `Host` names: loopback names, the bound address
  and `--allowed-host`; bound to 0.0.0.0, any IP address and the machine's names;
- `/_mock/` takes changes only as JSON (or with the control token), and never from a page
  whose `Origin` or `Referer` is another site's.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from tests.serving import served_mock

from campaign_mock import CampaignMock

AUTH = ("demo", "demo-password")
TOKEN = "guard-test-token"


@pytest.fixture(scope="module")
def mock() -> Iterator[CampaignMock]:
    with CampaignMock.serve() as served:
        yield served


def port(mock: CampaignMock) -> str:
    return mock.url.rsplit(":", 1)[1]


def raw(url: str, request: str) -> tuple[int, dict[str, Any] | None]:
    """One request as written, over a socket: the status and the JSON body, if any."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.startswith(b"{") else None


def get(url: str, path: str, host: str) -> tuple[int, dict[str, Any] | None]:
    return raw(url, f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")


def _made(mock: CampaignMock) -> int:
    answer = requests.post(f"{mock.url}/campaign", data={"name": "Kept", "domain": 1, "list": 1},
                           auth=AUTH, timeout=10)  # fmt: skip
    ident: int = answer.json()["data"]["id"]
    return ident


# -- Host ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_mock/fixtures?secrets=1", "/campaign/1", "/_mock/state", "/"])
def test_a_rebinding_name_gets_a_421_envelope_everywhere(mock: CampaignMock, path: str) -> None:
    status, body = get(mock.url, path, f"rebind.attacker.example:{mock.url.rsplit(':', 1)[1]}")
    assert status == 421
    assert body is not None and body["success"] is False
    assert body["data"]["code"] == "wrong_host"
    assert "rebind.attacker.example" in body["data"]["error"]


def test_a_rebinding_name_cannot_reset(mock: CampaignMock) -> None:
    ident = _made(mock)
    request = (
        f"POST /_mock/reset HTTP/1.1\r\nHost: attacker.example:{mock.url.rsplit(':', 1)[1]}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    assert raw(mock.url, request)[0] == 421
    assert mock.campaign(ident)["name"] == "Kept"


def test_every_loopback_spelling_a_client_uses_is_answered_and_no_other_name(
    mock: CampaignMock,
) -> None:
    """Generated clients and the suite call the API by whatever address they were given."""
    own = ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.:{port}", "[::1]:{port}",
           "127.0.0.1", "app.localhost:{port}", "127.0.0.2:{port}"]  # fmt: skip
    for host in own:
        status, body = get(mock.url, "/campaign/1", host.format(port=port(mock)))
        assert status == 401 and body is not None, host  # the API itself: no credentials
    for host in ("10.0.0.1:{port}", "localhost.attacker.example:{port}", "[fe80::1]:{port}"):
        assert get(mock.url, "/campaign/1", host.format(port=port(mock)))[0] == 421, host


@pytest.mark.parametrize("server", [(), ("--workers", "1")], ids=["waitress", "granian"])
def test_allowed_host_adds_a_name_and_only_that_one(server: tuple[str, ...]) -> None:
    names = ("--allowed-host", "mock.internal", "--allowed-host", "Other.Test")
    with served_mock(*names, *server) as url:
        for host in ("mock.internal:80", "other.test", "127.0.0.1"):
            assert get(url, "/_mock/clock", host)[0] == 200, host
        assert get(url, "/_mock/clock", "mock.internal.evil.example")[0] == 421


def test_bound_to_every_interface_any_address_and_the_machines_names_are_the_mocks() -> None:
    with served_mock("--host", "0.0.0.0", "--insecure-control") as url:
        for host in ("10.1.2.3:8080", "192.168.0.7", socket.gethostname(), "[fe80::1]:80"):
            assert get(url, "/_mock/clock", host)[0] == 200, host
        assert get(url, "/_mock/clock", "attacker.example")[0] == 421


# -- changes through /_mock/ --------------------------------------------------------------


def _post(url: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.post(url + path, timeout=10, **kwargs)


REFUSED_BODIES = [
    ({"Content-Type": "text/plain"}, "{}"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, "a=b"),
    ({"Content-Type": "multipart/form-data; boundary=x"}, "--x--\r\n"),
    ({}, "{}"),  # a body with no Content-Type
]


def test_a_change_that_is_not_json_is_refused_and_changes_nothing(mock: CampaignMock) -> None:
    ident = _made(mock)
    for headers, body in REFUSED_BODIES:
        answer = _post(mock.url, "/_mock/reset", headers=headers, data=body)
        assert answer.status_code == 415, headers
        assert answer.json()["data"]["code"] == "unsupported_media_type"
        assert _post(mock.url, "/_mock/clock/freeze", headers=headers, data=body).status_code == 415
    assert mock.campaign(ident)["name"] == "Kept" and not mock.clock.frozen
    # JSON, or no body at all (curl -X POST: a browser would send its Origin), still goes.
    assert _post(mock.url, "/_mock/reset", json={}).json()["data"] == {"reset": True}
    _made(mock)
    assert _post(mock.url, "/_mock/reset").json()["data"] == {"reset": True}
    assert mock.campaigns() == []


def test_with_the_control_token_any_body_may_go() -> None:
    with CampaignMock.serve(control_token=TOKEN) as guarded:
        _made(guarded)
        token = {"X-Mock-Token": TOKEN}
        for headers, body in REFUSED_BODIES:
            answer = _post(guarded.url, "/_mock/reset", headers={**headers, **token}, data=body)
            assert answer.status_code == 200, headers
        assert guarded.campaigns() == []
        foreign = {"Origin": "http://attacker.example", **token}  # the token does not vouch
        assert _post(guarded.url, "/_mock/reset", headers=foreign, json={}).status_code == 403


def test_a_change_from_another_sites_page_is_refused_even_as_json(mock: CampaignMock) -> None:
    ident = _made(mock)
    for headers in [
        {"Origin": "http://attacker.example"},
        {"Origin": "null"},  # a sandboxed frame
        {"Origin": "http://127.0.0.1:1"},  # another port: another origin
        {"Referer": "http://attacker.example/page.html"},
    ]:
        answer = _post(mock.url, "/_mock/reset", headers=headers, json={})
        assert answer.status_code == 403, headers
        assert answer.json()["data"]["code"] == "foreign_origin"
    assert mock.campaign(ident)["name"] == "Kept"
    own = {"Origin": mock.url, "Referer": f"{mock.url}/_mock/ui/"}
    assert _post(mock.url, "/_mock/reset", headers=own, json={}).status_code == 200
    assert mock.campaigns() == []
