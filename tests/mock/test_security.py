"""Issue 12, item 1: nobody wipes or reads the mock by sending it a campaign, a control call
or a login. Callbacks never reach the mock itself nor metadata addresses; `/_mock/` takes a
token; no answer or journal shows a password or an API key; sessions end and are bounded.
Everything through the mock's public faces: HTTP on a real socket, the CLI, `create_app`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.serving import free_port, served_mock, user_env
from tests.simulation.conftest import Receiver, _handler

from campaign_mock import create_app
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.models import State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.sessions import Sessions
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.http.context import mock_of
from campaign_mock.serving.server import MockServer

START = 1_900_000_000.0
AUTH = ("demo", "demo-password")
API_KEY = "demo-api-key-0123456789abcdef"
TOKEN = "control-t0ken-for-tests"
COMMAND = [sys.executable, "-m", "campaign_mock"]


@dataclass
class Live:
    """A real mock on a frozen clock, driven over HTTP."""

    url: str
    http: requests.Session
    headers: dict[str, str]
    server: MockServer | None = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def app(self) -> Any:
        assert self.server is not None
        return self.server.app

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method, f"{self.url}/_mock/{path}", headers=self.headers, timeout=30, **kwargs
        )
        assert response.status_code == 200 and response.json()["success"], response.text
        return response.json()["data"]

    def post_campaign(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "n", "domain": 1, "list": 1, "state": "READY", "when": int(START)}
        response = self.http.post(
            f"{self.url}/campaign", auth=AUTH, json={**body, **fields}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def attempts_for(self, callback: str) -> list[dict[str, Any]]:
        """Sends a campaign whose callback is `callback`; its delivery journal."""
        created = self.post_campaign(event_callback=callback)
        assert created["success"], created
        ident = created["data"]["id"]
        self.control("POST", "clock/advance", json={"seconds": 120})
        self.control("POST", "deliveries/flush")
        assert self.control("POST", "deliveries/wait", json={"idle": True, "timeout": 20})[
            "reached"
        ]
        entries = self.control("GET", f"deliveries?campaign={ident}")["deliveries"]
        assert entries, "no callback was attempted"
        return entries  # type: ignore[no-any-return]


def _live(**options: Any) -> Iterator[Live]:
    clock = MockClock(start=START, frozen=True)
    settings = SimulationSettings().updated({"timeout": 2.0})
    backend = CampaignBackend(default_fixtures(), clock, settings, options.pop("sessions", None))
    server = MockServer(create_app(backend=backend, **options), port=0).start()
    token = options.get("control_token")
    with requests.Session() as http:
        yield Live(server.url, http, {"X-Mock-Token": token} if token else {}, server)
    server.stop()


@pytest.fixture
def live() -> Iterator[Live]:
    yield from _live()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    import threading
    from http.server import ThreadingHTTPServer

    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield found
    server.shutdown()
    server.server_close()


# -- callbacks to the mock itself ------------------------------------------------------


def _spellings(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/_mock/reset",
        f"http://localhost:{port}/_mock/reset",
        f"http://LocalHost.:{port}/_mock/fixtures",
        f"http://[::1]:{port}/_mock/reset",
        f"http://0.0.0.0:{port}/_mock/reset",
        f"http://127.1:{port}/_mock/reset",
        f"http://2130706433:{port}/_mock/reset",
        f"http://0x7f000001:{port}/campaign",
        f"http://[::ffff:127.0.0.1]:{port}/_mock/reset",
        f"https://127.0.0.1:{port}/anything?x=1",
    ]


def test_a_callback_to_the_mock_itself_is_invalid_at_post_and_put(live: Live) -> None:
    """V-3 `invalid` naming `event_callback`, whatever the spelling; nothing is stored."""
    kept = live.post_campaign(state="DRAFT", when=None)["data"]
    for url in _spellings(live.port):
        answer = live.post_campaign(event_callback=url)
        assert answer["success"] is False, url
        assert answer["data"]["code"] == "invalid", url
        assert "event_callback" in answer["data"]["errors"], url
        put = live.http.put(
            f"{live.url}/campaign/{kept['id']}", auth=AUTH, json={"event_callback": url}, timeout=10
        ).json()
        assert put["success"] is False and "event_callback" in put["data"]["errors"], url
    state = live.control("GET", "state")
    assert [c["id"] for c in state["campaigns"]] == [kept["id"]]
    assert state["campaigns"][0]["event_callback"] is None
    assert state["next_id"] == kept["id"] + 1  # refused POSTs spent no id
    other = f"http://127.0.0.1:{free_port()}/hook"  # loopback on another port is a receiver
    assert live.post_campaign(event_callback=other)["success"] is True


@pytest.mark.parametrize("allow", [(), ("127.0.0.0/8", "::1", "0.0.0.0/0")])
def test_a_name_that_resolves_to_the_mock_is_refused_when_it_sends(allow: tuple[str]) -> None:
    """A DNS name passes the POST, but the delivery never connects: no campaign is made
    by the callback, even when the allow-list takes every address. (A `/_mock/` path is
    refused at the POST whatever the host: `test_the_control_api_...` in tests/store.)"""
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"this machine's name {name!r} does not resolve")
    for live in _live(callback_allow=allow):
        for _ in range(3):
            live.post_campaign(state="DRAFT", when=None)
        entries = live.attempts_for(f"http://{name}:{live.port}/campaign")
        assert all(e["status"] is None for e in entries)
        assert all(e["error"].startswith("refused by policy: ") for e in entries), entries
        assert "this mock itself" in entries[0]["error"]
        state = live.control("GET", "state")
        assert len(state["campaigns"]) == 4 and state["next_id"] == 5  # none made by it


def test_a_control_api_on_any_host_is_refused_when_it_sends(live: Live, receiver: Receiver) -> None:
    """A campaign made past the POST's check (here on the core, as the Python handle and
    fixtures do) whose callback is a `/_mock/` path of a plain receiver: the delivery never
    connects (issue 18: it may be another mock, or this one by another name)."""
    base = receiver.url.rsplit("/", 1)[0]
    core = mock_of(live.app)
    for path in ("/_mock/reset", "/%5Fmock/fixtures", "//_mock/ui/do/flush"):
        fields = CampaignFields(
            frozenset({"name", "domain", "list", "state", "when", "event_callback"}),
            name="n",
            domain=1,
            list_id=1,
            state=State.READY,
            when=int(START),
            event_callback=base + path,
        )
        ident = core.create_campaign(None, fields).id
        live.control("POST", "clock/advance", json={"seconds": 120})
        live.control("POST", "deliveries/flush")
        assert live.control("POST", "deliveries/wait", json={"idle": True, "timeout": 20})[
            "reached"
        ]
        entries = live.control("GET", f"deliveries?campaign={ident}")["deliveries"]
        assert entries and all(e["status"] is None for e in entries), entries
        assert all("refused by policy" in e["error"] for e in entries), entries
        assert "control API" in entries[0]["error"], entries
    assert receiver.received == []
    # The same receiver on another path is called (the refusal is the path's).
    assert live.attempts_for(receiver.url)[0]["status"] == 200


# -- link-local, metadata and the allow-list -------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "link-local or metadata"),
        ("http://[fe80::1]:8080/x", "link-local or metadata"),
        ("http://100.100.100.200/latest/meta-data", "link-local or metadata"),
        ("http://[fd00:ec2::254]/latest", "link-local or metadata"),
        ("http://[::ffff:169.254.169.254]/latest", "link-local or metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata service"),
    ],
)
def test_link_local_and_metadata_addresses_are_refused_by_default(
    live: Live, url: str, why: str
) -> None:
    entries = live.attempts_for(url)
    assert entries[0]["status"] is None
    assert entries[0]["error"].startswith("refused by policy: "), entries[0]
    assert why in entries[0]["error"]


def test_the_journal_does_not_tell_open_from_closed_ports() -> None:
    """With an allow-list, other destinations are refused alike, open port or closed, and no
    connection is ever made to them."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        listening.setblocking(False)
        open_port, closed_port = listening.getsockname()[1], free_port()
        for live in _live(callback_allow=("hooks.example", "192.0.2.0/24")):
            errors = []
            for port in (open_port, closed_port):
                (entry,) = live.attempts_for(f"http://127.0.0.1:{port}/hook")[:1]
                assert entry["status"] is None
                errors.append(entry["error"].replace(str(port), "PORT"))
            assert errors[0] == errors[1]
            assert (
                errors[0] == "refused by policy: 127.0.0.1:PORT is not in the callback allow-list"
            )
        with pytest.raises(BlockingIOError):
            listening.accept()  # nothing ever connected to the open port


def test_without_an_allow_list_a_closed_loopback_port_is_tried(live: Live) -> None:
    """The policy refuses only what it must: a loopback receiver is a normal target."""
    entries = live.attempts_for(f"http://127.0.0.1:{free_port()}/hook")
    assert entries[0]["error"] == "connection refused"


def test_callback_allow_on_the_command_line_and_in_the_environment(
    receiver: Receiver, tmp_path: Path
) -> None:
    """`--callback-allow` (repeatable) or CAMPAIGN_MOCK_CALLBACK_ALLOW: only those are called."""
    allowed_port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    other = f"http://127.0.0.1:{free_port()}/hook"
    frozen = ("--frozen", "--start-time", str(int(START)))
    runs: list[tuple[tuple[str, ...], dict[str, str]]] = [
        ((*frozen, "--callback-allow", f"127.0.0.1:{allowed_port}",
          "--callback-allow", "10.0.0.0/8"), user_env()),
        (frozen, {**user_env(), "CAMPAIGN_MOCK_CALLBACK_ALLOW":
                  f"10.1.2.3 127.0.0.1:{allowed_port}"}),
    ]  # fmt: skip
    for options, env in runs:
        receiver.received.clear()
        log = tmp_path / "serve.log"
        with served_mock(*options, env=env, log=log) as url, requests.Session() as http:
            live = Live(url, http, {})
            sent = live.attempts_for(receiver.url)
            assert sent[0]["status"] == 200, sent
            refused = live.attempts_for(other)
            assert refused[0]["error"].startswith("refused by policy: "), refused
        assert receiver.received, options
        assert f"127.0.0.1:{allowed_port}" in log.read_text().split("callbacks: only to", 1)[1]


def test_a_bad_allow_entry_is_refused_with_one_line() -> None:
    result = _run("serve", "--port", "0", "--callback-allow", "not a host!")
    assert result.returncode == 2
    assert "--callback-allow" in result.stderr and "Traceback" not in result.stderr


# -- the control token -----------------------------------------------------------------


def _control_routes(app: Any) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/_mock/"):
            continue
        path = re.sub(r"<[^>]+>", "1", rule.rule)
        routes.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def test_every_control_route_needs_the_token() -> None:
    for live in _live(control_token=TOKEN):
        live.post_campaign(state="DRAFT", when=None)
        routes = _control_routes(live.app)
        assert len(routes) >= 15
        for method, path in routes:
            for headers in ({}, {"X-Mock-Token": "wrong"}, {"Authorization": "Bearer wrong"},
                            {"Authorization": f"Basic {TOKEN}"}):  # fmt: skip
                answer = requests.request(
                    method, live.url + path, headers=headers, json={}, timeout=10
                )
                assert answer.status_code == 401, (method, path, headers, answer.text)
                body = answer.json()
                assert body["success"] is False and body["data"]["code"] == "unauthorized"
                assert body["data"]["errors"] == {}
        assert len(live.control("GET", "state")["campaigns"]) == 1  # no reset went through
        for headers in ({"X-Mock-Token": TOKEN}, {"Authorization": f"Bearer {TOKEN}"}):
            answer = requests.get(f"{live.url}/_mock/state", headers=headers, timeout=10)
            assert answer.status_code == 200 and answer.json()["success"]
        # The API itself still takes its own credentials, not the token.
        assert requests.get(f"{live.url}/campaign/1", auth=AUTH, timeout=10).status_code == 200


def test_serve_beyond_loopback_needs_a_token_or_an_explicit_opt_out(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _run("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert time.monotonic() - started < 30
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--control-token" in lines[0] and "--insecure-control" in lines[0]
    log = tmp_path / "serve.log"
    env = {**user_env(), "CAMPAIGN_MOCK_CONTROL_TOKEN": TOKEN}
    with served_mock("--host", "0.0.0.0", env=env, log=log) as url:
        assert requests.get(f"{url}/_mock/state", timeout=10).status_code == 401
        answer = requests.get(f"{url}/_mock/state", headers={"X-Mock-Token": TOKEN}, timeout=10)
        assert answer.status_code == 200
    assert "warning: 0.0.0.0 can be reached from other machines" in log.read_text()
    with served_mock("--host", "0.0.0.0", "--insecure-control", log=log) as url:
        assert requests.get(f"{url}/_mock/state", timeout=10).status_code == 200
    assert "--insecure-control: anyone who can reach it" in log.read_text()


def test_the_handle_refuses_to_expose_an_open_control_api() -> None:
    from campaign_mock import CampaignMock

    with pytest.raises(ValueError, match="control-token"):
        CampaignMock.serve(host="0.0.0.0")
    with CampaignMock.serve(host="0.0.0.0", control_token=TOKEN) as mock:
        assert requests.get(f"{mock.url}/_mock/state", timeout=10).status_code == 401
        answer = requests.get(f"{mock.url}/_mock/state", headers=mock.control_headers, timeout=10)
        assert answer.status_code == 200
        mock.reset()  # its own calls need no token
        assert mock.campaigns() == []


# -- secrets -------------------------------------------------------------------------------


def _login_every_way(live: Live, password: str, username: str = "demo") -> None:
    url = f"{live.url}/login/"
    for kwargs in (
        {"data": {"username": username, "password": password}},
        {"json": {"username": username, "password": password}},
        {"files": {"username": (None, username), "password": (None, password)}},
    ):
        answer = requests.post(url, timeout=10, **kwargs)  # type: ignore[arg-type]
        assert answer.json()["success"] is True, kwargs
    wrong = requests.post(f"{url}?password={password}x", data={"password": password + "x"},
                          timeout=10)  # fmt: skip
    assert wrong.status_code in {200, 401}


def test_a_password_the_fixtures_drop_stops_working_at_once(live: Live) -> None:
    """Verified credentials are remembered (http/auth.py, domain/backend.py), but only for
    the fixtures that verified them: a changed password or a removed API key is refused on
    the very next request, and a guessed pair is never remembered as good."""
    url = f"{live.url}/campaign/1"
    for _ in range(3):  # verified, then remembered
        assert requests.get(url, auth=AUTH, timeout=10).status_code != 401
        assert requests.get(url, auth=("demo", API_KEY), timeout=10).status_code != 401
        assert requests.get(url, auth=("demo", "guess"), timeout=10).status_code == 401
    fixtures = live.control("GET", "fixtures")
    fixtures["accounts"][0].update(password="changed-pw", api_keys=[])
    assert live.http.put(f"{live.url}/_mock/fixtures", json=fixtures, timeout=10).ok
    assert requests.get(url, auth=AUTH, timeout=10).status_code == 401
    assert requests.get(url, auth=("demo", API_KEY), timeout=10).status_code == 401
    assert requests.get(url, auth=("demo", "changed-pw"), timeout=10).status_code != 401


def test_no_control_answer_shows_a_password_or_an_api_key(live: Live) -> None:
    secret, key = "n3w-Secret-pw", "n3w-api-key-abcdef"
    fixtures = live.control("GET", "fixtures")
    fixtures["accounts"].append({"username": "ops", "password": secret, "api_keys": [key]})
    put = live.http.put(f"{live.url}/_mock/fixtures", json=fixtures, timeout=10)
    assert put.ok and secret not in put.text and key not in put.text
    # The PUT took the new secrets, and kept those it got back as "***".
    assert requests.get(f"{live.url}/campaign/1", auth=("ops", key), timeout=10).status_code != 401
    assert requests.get(f"{live.url}/campaign/1", auth=AUTH, timeout=10).status_code != 401
    shown = requests.get(f"{live.url}/campaign/1", auth=("demo", API_KEY), timeout=10)
    assert shown.status_code != 401
    _login_every_way(live, secret, "ops")
    _login_every_way(live, AUTH[1])
    live.post_campaign(event_callback="https://hooks.example/cb")
    everything = ""
    for method, path in _control_routes(live.app):
        if method == "GET":
            answer = live.http.get(live.url + path, timeout=10)
            everything += answer.text
    for found in (secret, key, AUTH[1], API_KEY):
        assert found not in everything, found
    accounts = live.control("GET", "state")["fixtures"]["accounts"]
    assert accounts[0] == {"username": "demo", "password": "***", "api_keys": ["***"]}
    # Only an explicit ask with the mock's token (what `campaign-contract init --from-mock`
    # does) shows them; the ask alone is refused, naming `secrets`, and shows nothing.
    asked = live.http.get(f"{live.url}/_mock/state?secrets=1", timeout=10)
    assert asked.status_code == 401 and asked.json()["data"]["error"].startswith("secrets:")
    assert AUTH[1] not in asked.text and key not in asked.text
    token = {"X-Mock-Token": mock_of(live.app).secrets_token}
    revealed = live.http.get(f"{live.url}/_mock/state?secrets=1", headers=token, timeout=10)
    accounts = revealed.json()["data"]["fixtures"]["accounts"]
    assert accounts[0]["password"] == AUTH[1] and accounts[1]["api_keys"] == [key]


def test_login_bodies_are_journalled_without_the_password(live: Live) -> None:
    _login_every_way(live, AUTH[1])
    logins = [r for r in live.control("GET", "requests")["requests"] if r["path"] == "/login/"]
    assert len(logins) == 4
    for entry in logins:
        assert AUTH[1] not in entry["body"] + entry["query"], entry
        assert "***" in entry["body"], entry
    assert "demo" in logins[0]["body"] and "password=***" in logins[0]["body"]
    assert '"password": "***"' in logins[1]["body"]
    assert 'name="password"' in logins[2]["body"]
    assert logins[3]["query"] == "password=***"


def test_a_login_body_with_a_lone_surrogate_is_journalled_without_harm(live: Live) -> None:
    """JSON may escape a lone surrogate, which no UTF-8 text can hold: redacting such a login
    body once poisoned the journal, and every later `/_mock/requests` answered 500."""
    body = b'{"username": "\\ud83e", "password": "' + AUTH[1].encode() + b'"}'
    answer = live.http.post(
        f"{live.url}/login/", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert answer.status_code < 500, answer.text
    logins = [r for r in live.control("GET", "requests")["requests"] if r["path"] == "/login/"]
    assert logins[-1]["body"] == '{"username": "\\ud83e", "password": "***"}', logins[-1]
    assert live.http.get(f"{live.url}/_mock/ui/requests", timeout=10).status_code < 500


def test_login_bodies_the_journal_cannot_take_apart_are_withheld(live: Live) -> None:
    part = b'Content-Disposition: form-data; name="password"\r\n\r\n' + AUTH[1].encode()
    odd = [
        ("multipart/form-data; boundary=elsewhere", b"--XX\r\n" + part + b"\r\n--XX--\r\n"),
        ("multipart/form-data", b"--XX\r\n" + part + b"\r\n--XX--\r\n"),
        ("application/json", b'{"username": "demo", "password": "' + AUTH[1].encode() + b'"'),
        ("text/plain", b"password=" + AUTH[1].encode()),
    ]
    for content_type, body in odd:
        headers = {"Content-Type": content_type}
        requests.post(f"{live.url}/login/", data=body, headers=headers, timeout=10)
    journal = live.http.get(f"{live.url}/_mock/requests", timeout=10).text
    assert journal.count('"/login/"') == len(odd)
    assert AUTH[1] not in journal


# -- sessions ------------------------------------------------------------------------------


def _login(url: str) -> str:
    fields = {"username": AUTH[0], "password": AUTH[1]}
    answer = requests.post(f"{url}/login/", data=fields, timeout=10)
    return str(answer.json()["data"]["token"])


def _with_session(url: str, token: str) -> int:
    cookies = {"sergiosgc_auth": token}
    return requests.get(f"{url}/campaign/1", cookies=cookies, timeout=10).status_code


def test_sessions_are_bounded_in_number() -> None:
    """Past the cap the oldest session ends (10,000 by default; 3 here)."""
    for live in _live(sessions=Sessions(capacity=3)):
        live.post_campaign(state="DRAFT", when=None)
        tokens = [_login(live.url) for _ in range(5)]
        assert [_with_session(live.url, t) for t in tokens] == [401, 401, 200, 200, 200]


def test_sessions_end_after_their_ttl(tmp_path: Path) -> None:
    """`--session-ttl` real seconds after login (a day by default), the cookie is refused."""
    with served_mock("--session-ttl", "1.5", log=tmp_path / "serve.log") as url:
        requests.post(f"{url}/campaign", auth=AUTH, data={"name": "a", "domain": 1, "list": 1},
                      timeout=10)  # fmt: skip
        token = _login(url)
        assert _with_session(url, token) == 200
        time.sleep(2.0)  # real time is what a session lives in
        assert _with_session(url, token) == 401
        assert _with_session(url, _login(url)) == 200


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_MOCK_")}
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=60, env=env)
