"""`--isolate accounts`: one world per account, seen through HTTP as CI jobs would see it.

Two accounts share one real mock (waitress on a free port): each sees only its own
campaigns, ids from 1, its own sends, callbacks and journals, and resets only its world.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from tests.serving import running

from campaign_contract.config.model import parse_config
from campaign_contract.config.scaffold import config_from_state, fetch_mock_state
from campaign_contract.engine.layers import load_layers
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_mock import create_app
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures, fixtures_to_document, load_fixtures
from campaign_mock.serving.server import MockServer
from campaign_mock.testing.mock_handle import CampaignMock
from campaign_mock.testing.sink import SinkServer

#: 2030-03-17T17:46:40Z: where the frozen clock starts.
START = 1_900_000_000.0
ALICE = ("alice", "alice-password")
ALICE_KEY = ("alice", "alice-api-key")
BOB = ("bob", "bob-password")
TOKEN = "s3cret"
CAMPAIGN = {"name": "Sale", "domain": 1, "list": 1}


def _team_fixtures(tmp_path: Path) -> Path:
    """The built-in fixtures (only `demo`) plus two accounts, as a team's fixtures file."""
    document = fixtures_to_document(default_fixtures())
    document["accounts"] = [
        *document["accounts"],
        {"username": "alice", "password": "alice-password", "api_keys": ["alice-api-key"]},
        {"username": "bob", "password": "bob-password", "api_keys": []},
    ]
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


class Mock:
    """A live mock on a frozen clock, spoken to over HTTP."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.http = requests.Session()
        if token is not None:  # the control token, on every request
            self.http.headers["X-Mock-Token"] = token

    def call(self, method: str, path: str, auth: Any = None, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.url + path, auth=auth, timeout=30, **kwargs)

    def data(self, method: str, path: str, auth: Any = None, **kwargs: Any) -> Any:
        answer = self.call(method, path, auth, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def create(self, auth: Any, **fields: Any) -> dict[str, Any]:
        found: dict[str, Any] = self.data("POST", "/campaign", auth, json={**CAMPAIGN, **fields})
        return found

    def names(self, auth: Any) -> list[tuple[int, str]]:
        state = self.data("GET", "/_mock/state", auth)
        return [(c["id"], c["name"]) for c in state["campaigns"]]


def _serve(fixtures: Path, sends: str | None = None, **options: Any) -> Iterator[Mock]:
    """`sends`: the control token its client sends on every request."""
    clock = MockClock(start=START, frozen=True)
    settings = SimulationSettings().updated({"timeout": 0.5, "window": 30})
    backend = CampaignBackend(load_fixtures(fixtures), clock, settings)
    server = MockServer(create_app(backend=backend, **options), port=0).start()
    mock = Mock(server.url, sends)
    try:
        yield mock
    finally:
        mock.http.close()
        server.stop()


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[Mock]:
    yield from _serve(_team_fixtures(tmp_path), isolate="accounts")


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Mock]:
    """Isolated, with a control token its client sends: the whole mock is open to it."""
    yield from _serve(_team_fixtures(tmp_path), TOKEN, isolate="accounts", control_token=TOKEN)


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Mock]:
    yield from _serve(_team_fixtures(tmp_path))


def test_each_account_sees_only_its_own_campaigns_with_ids_from_1(mock: Mock) -> None:
    assert mock.create(ALICE, name="alice-1")["id"] == 1
    assert mock.create(ALICE_KEY, name="alice-2")["id"] == 2  # an API key: the same world
    assert mock.create(BOB, name="bob-1")["id"] == 1

    assert mock.data("GET", "/campaign/1", ALICE)["name"] == "alice-1"
    assert mock.data("GET", "/campaign/1", BOB)["name"] == "bob-1"
    missing = mock.call("GET", "/campaign/2", BOB)
    assert missing.status_code == 404 and missing.json()["data"]["code"] == "not_found"
    assert mock.names(ALICE) == [(1, "alice-1"), (2, "alice-2")]
    assert mock.names(BOB) == [(1, "bob-1")]
    assert mock.data("GET", "/_mock/state", BOB)["next_id"] == 2


def test_the_other_worlds_ids_are_404_to_delete_and_put(mock: Mock) -> None:
    mock.create(ALICE, name="alice-1")
    mock.create(ALICE, name="alice-2")
    mock.create(BOB, name="bob-1")

    for method, body in (("PUT", {"name": "stolen"}), ("DELETE", None)):
        answer = mock.call(method, "/campaign/2", BOB, json=body)
        assert answer.status_code == 404, (method, answer.text)
        assert answer.json()["data"]["code"] == "not_found"
    assert mock.data("DELETE", "/campaign/1", BOB)["name"] == "bob-1"
    assert mock.names(ALICE) == [(1, "alice-1"), (2, "alice-2")]
    assert mock.names(BOB) == []
    assert mock.create(BOB)["id"] == 2  # never reused within bob's world (M-5)


def test_reset_with_credentials_resets_that_world_alone(mock: Mock) -> None:
    mock.create(ALICE, name="alice-1")
    mock.create(BOB, name="bob-1")
    mock.create(BOB, name="bob-2")

    assert mock.data("POST", "/_mock/reset", ALICE) == {"reset": True, "account": "alice"}
    assert mock.names(ALICE) == []
    assert mock.create(ALICE, name="alice-again")["id"] == 1
    assert mock.names(BOB) == [(1, "bob-1"), (2, "bob-2")]
    assert mock.create(BOB)["id"] == 3
    alice_paths = [r["path"] for r in mock.data("GET", "/_mock/requests", ALICE)["requests"]]
    assert alice_paths == ["/campaign"]  # the one made since her reset
    assert len(mock.data("GET", "/_mock/requests", BOB)["requests"]) == 3

    wrong = mock.call("POST", "/_mock/reset", ("bob", "alice-password"))
    assert wrong.status_code == 401
    assert mock.names(BOB) != []

    # No credentials would be every world: without a control token set, not over HTTP.
    assert mock.call("POST", "/_mock/reset", json={}).status_code == 401
    assert mock.names(BOB) != []


def test_control_routes_act_on_the_callers_world(mock: Mock) -> None:
    mock.create(ALICE, name="alice-1")
    mock.create(BOB, name="bob-1")

    forced = mock.data("PUT", "/_mock/campaigns/1/state", ALICE, json={"state": "ERROR"})
    assert forced["name"] == "alice-1" and forced["state"] == "ERROR"
    assert mock.data("GET", "/campaign/1", BOB)["state"] == "DRAFT"
    carried = mock.data("PUT", "/_mock/campaigns/1/payloads", BOB, json={"payloads": ["sms"]})
    assert carried["name"] == "bob-1"
    assert mock.data("GET", "/campaign/1", ALICE)["payloads"] == ["email", "sms"]

    nameless = mock.call("PUT", "/_mock/campaigns/1/state", json={"state": "DONE"})
    assert nameless.status_code == 401
    assert "account's credentials" in nameless.json()["data"]["error"]
    assert mock.call("GET", "/_mock/deliveries").status_code == 401

    assert mock.data("GET", "/_mock/requests", ALICE)["requests"][-1]["account"] == "alice"


def test_the_control_token_reaches_every_world(guarded: Mock) -> None:
    guarded.create(ALICE, name="alice-1")
    guarded.create(BOB, name="bob-1")
    everything = guarded.data("GET", "/_mock/state")
    assert "campaigns" not in everything and everything["isolate"] == "accounts"
    worlds = {name: [c["name"] for c in w["campaigns"]] for name, w in everything["worlds"].items()}
    assert worlds == {"alice": ["alice-1"], "bob": ["bob-1"]}
    journal = guarded.data("GET", "/_mock/requests")["requests"]
    assert [(r["account"], r["method"]) for r in journal] == [("alice", "POST"), ("bob", "POST")]
    assert guarded.data("POST", "/_mock/reset") == {"reset": True}  # no credentials: every world
    assert guarded.names(ALICE) == [] and guarded.names(BOB) == []
    assert guarded.data("GET", "/_mock/requests")["requests"] == []


def test_a_session_cookie_chooses_its_world(mock: Mock) -> None:
    mock.create(ALICE, name="alice-1")
    bob = Mock(mock.url)  # a client of its own, holding only bob's session cookie
    login = bob.data("POST", "/login/", json={"username": "bob", "password": "bob-password"})
    assert login["username"] == "bob" and bob.http.cookies.get("sergiosgc_auth")

    assert bob.create(None, name="bob-by-cookie")["id"] == 1
    assert bob.data("GET", "/campaign/1")["name"] == "bob-by-cookie"
    assert bob.names(None) == [(1, "bob-by-cookie")]  # /_mock/state with the cookie: bob's
    assert mock.names(BOB) == [(1, "bob-by-cookie")]
    assert mock.names(ALICE) == [(1, "alice-1")]
    assert bob.data("POST", "/_mock/reset")["account"] == "bob"  # the cookie names bob
    assert mock.names(ALICE) == [(1, "alice-1")] and mock.names(BOB) == []
    bob.http.close()


def test_sends_and_callbacks_stay_in_their_world(guarded: Mock) -> None:
    mock = guarded  # the clock is every world's: moving it needs the control token
    with SinkServer() as sinks:
        sink = sinks.open()
        for auth in (ALICE, BOB):
            made = mock.create(
                auth, state="READY", when=int(START), event_callback=sink.url_for(auth[0])
            )
            assert made["id"] == 1
        for _ in range(40):
            mock.data("POST", "/_mock/clock/advance", json={"seconds": 30})
            for auth in (ALICE, BOB):
                waited = mock.data("POST", "/_mock/deliveries/wait", auth, json={"idle": True})
                assert waited["reached"], auth
            if all(mock.data("GET", "/campaign/1", a)["state"] == "DONE" for a in (ALICE, BOB)):
                break
        assert [mock.data("GET", "/campaign/1", a)["state"] for a in (ALICE, BOB)] == ["DONE"] * 2

        for auth, other in ((ALICE, "bob"), (BOB, "alice")):
            journal = mock.data("GET", "/_mock/deliveries", auth)
            urls = {d["url"] for d in journal["deliveries"]}
            assert urls == {sink.url_for(auth[0])}, (auth, urls)
            assert f"campaign={other}" not in str(journal)
            assert set(journal["acknowledged"]) == {"1"}
            delivered = journal["acknowledged"]["1"]["delivered"]
            assert delivered == len(sink.events(campaign=auth[0], event="delivered")) > 0
        assert {e.campaign for e in sink.events()} == {"alice", "bob"}


def test_without_isolation_every_account_shares_one_world(shared: Mock) -> None:
    assert shared.create(ALICE, name="alice-1")["id"] == 1
    assert shared.data("GET", "/campaign/1", BOB)["name"] == "alice-1"
    assert shared.create(BOB, name="bob-2")["id"] == 2
    state = shared.data("GET", "/_mock/state", BOB)
    assert [c["name"] for c in state["campaigns"]] == ["alice-1", "bob-2"]
    assert "worlds" not in state and "isolate" not in state
    assert "account" not in shared.data("GET", "/_mock/requests")["requests"][0]
    assert shared.data("POST", "/_mock/reset", BOB) == {"reset": True}  # the whole mock
    assert shared.names(ALICE) == []
    assert shared.call("GET", "/_mock/deliveries").status_code == 200


def test_create_app_refuses_isolation_without_auth() -> None:
    with pytest.raises(ValueError, match="needs authentication"):
        create_app(auth=False, isolate="accounts")
    with pytest.raises(ValueError, match="not an isolation"):
        create_app(isolate="campaigns")


COMMAND = [sys.executable, "-m", "campaign_mock"]


def test_serve_refuses_isolation_with_no_auth_in_one_line() -> None:
    done = subprocess.run(
        [*COMMAND, "serve", "--isolate", "accounts", "--no-auth", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "drop --no-auth" in done.stderr


def test_serve_isolate_accounts_gives_each_account_its_world(tmp_path: Path) -> None:
    fixtures = _team_fixtures(tmp_path)
    with running(
        [*COMMAND, "serve", "--port", "0", "--fixtures", str(fixtures), "--isolate", "accounts"],
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stderr is not None
            banner = process.stderr.readline()
            match = re.search(r"serving on (http://\S+)", banner)
            assert match, banner
            lines = [process.stderr.readline() for _ in range(8)]  # the rest of the banner
            assert any("isolated worlds: each account" in line for line in lines), lines
            mock = Mock(match[1])
            assert mock.create(ALICE)["id"] == 1
            assert mock.create(BOB)["id"] == 1
            assert mock.call("GET", "/campaign/1", ("demo", "demo-password")).status_code == 404
        finally:
            process.terminate()
            _, rest = process.communicate(timeout=15)
    assert "Traceback" not in rest


def test_the_contract_suite_passes_against_an_isolated_mock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite logs in as the first account (`demo`) and must see a consistent world while
    another account works beside it in its own. `init --from-mock` reads every world and the
    secrets: with the control token, which it takes from CAMPAIGN_MOCK_CONTROL_TOKEN."""
    load_layers()
    backend = CampaignBackend(load_fixtures(_team_fixtures(tmp_path)), MockClock(speed=30.0))
    app = create_app(backend=backend, isolate="accounts", control_token=TOKEN)
    server = MockServer(app, port=0).start()
    monkeypatch.setenv("CAMPAIGN_MOCK_CONTROL_TOKEN", TOKEN)
    try:
        beside = Mock(server.url, TOKEN)
        for n in range(3):
            beside.create(BOB, name=f"bob-{n}")
        document: dict[str, Any] = config_from_state(fetch_mock_state(server.url), server.url)
        assert document["auth"]["username"] == "demo"
        document["ledger"] = str(tmp_path / "ledger.json")
        document["limits"] = {
            "request_timeout": 5,
            "rate_limit": 0,
            "cleanup_wait": 30,
            "send_wait": 30,
        }
        report = run_selection(
            parse_config(document, environ={}),
            selection=Selection(only=("robustness", "schema", "stateful")),
            seed=5,
            max_examples=4,
        )
        failed = [(v.rule, v.reason) for v in report.verdicts if v.status is Status.FAIL]
        assert report.ok, failed
        assert {"R-3", "M-4", "M-5"} <= {v.rule for v in report.verdicts if v.status is Status.PASS}
        assert beside.names(BOB) == [(n + 1, f"bob-{n}") for n in range(3)]
        assert beside.data("GET", "/_mock/state", BOB)["next_id"] == 4  # the suite's ids: demo's
        assert beside.data("GET", "/_mock/state", ("demo", "demo-password"))["next_id"] > 10
        assert beside.names(ALICE) == []
    finally:
        server.stop()


def test_the_python_handle_shows_each_world(tmp_path: Path) -> None:
    with CampaignMock.serve(_team_fixtures(tmp_path), isolate="accounts") as handle:
        client = Mock(handle.url)
        now = int(handle.clock.now())
        for auth in (ALICE, BOB):
            client.create(auth, name=f"{auth[0]}-1", state="READY", when=now)
        client.create(BOB, name="bob-2")
        alice, bob = handle.world("alice"), handle.world("bob")
        assert [c["name"] for c in alice.campaigns()] == ["alice-1"]
        assert [c["name"] for c in bob.campaigns()] == ["bob-1", "bob-2"]
        assert [r.path for r in bob.requests] == ["/campaign", "/campaign"]
        handle.settle()
        assert alice.campaign(1)["state"] == bob.campaign(1)["state"] == "DONE"
        bob.reset()
        assert bob.campaigns() == [] and [c["name"] for c in alice.campaigns()] == ["alice-1"]
        with pytest.raises(LookupError):
            handle.world("nobody")
        with pytest.raises(ValueError, match="chosen by account"):
            handle.prepare(auth=False)


def test_a_control_token_and_an_account_go_together(tmp_path: Path) -> None:
    """With a control token, the token goes in `X-Mock-Token` and the account in Basic."""
    for mock in _serve(_team_fixtures(tmp_path), isolate="accounts", control_token="s3cret"):
        mock.create(ALICE)
        mock.create(BOB)
        assert mock.call("POST", "/_mock/reset", ALICE).status_code == 401  # no token
        token = {"X-Mock-Token": "s3cret"}
        assert mock.data("POST", "/_mock/reset", ALICE, headers=token)["account"] == "alice"
        bearer = {"Authorization": "Bearer s3cret"}  # the token alone names no account
        worlds = mock.data("GET", "/_mock/state", headers=bearer)["worlds"]
        assert {name: len(w["campaigns"]) for name, w in worlds.items()} == {"alice": 0, "bob": 1}


# -- isolation is a boundary (issue 18, item 9) ------------------------------------------


def test_no_credentials_reach_no_world_of_the_control_api(mock: Mock) -> None:
    """Without a control token set, nothing spans the worlds over HTTP."""
    mock.create(ALICE, name="alice-1")
    mock.create(BOB, name="bob-1")
    for method, path in [
        ("GET", "/_mock/state"),
        ("GET", "/_mock/requests"),
        ("DELETE", "/_mock/requests"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/clock"),
    ]:
        answer = mock.call(method, path)
        assert answer.status_code == 401, (method, path)
        assert answer.json()["data"]["code"] == "unauthorized"
    assert mock.names(ALICE) == [(1, "alice-1")] and mock.names(BOB) == [(1, "bob-1")]
    assert len(mock.data("GET", "/_mock/requests", BOB)["requests"]) == 1  # bob's, kept


def test_an_account_may_not_change_what_every_world_shares(mock: Mock) -> None:
    """The clock, the settings and the fixtures are every world's: the control token's."""
    before = mock.data("GET", "/_mock/clock", ALICE)["now"]
    for method, path, body in [
        ("POST", "/_mock/clock/advance", {"seconds": 60}),
        ("POST", "/_mock/clock/freeze", {}),
        ("PUT", "/_mock/settings", {"send_rate": 7}),
        ("PUT", "/_mock/faults", {"duplicate_rate": 1}),
        ("PUT", "/_mock/fixtures", {"accounts": []}),
    ]:
        answer = mock.call(method, path, ALICE, json=body)
        assert answer.status_code == 401, (method, path)
        assert "control token" in answer.json()["data"]["error"]
    assert mock.data("GET", "/_mock/clock", BOB)["now"] == before
    assert mock.data("GET", "/_mock/settings", BOB)["send_rate"] != 7
    assert mock.create(ALICE)["id"] == 1  # alice's credentials still work: fixtures kept


def test_mixed_credentials_are_refused_on_the_api_and_the_control_api(mock: Mock) -> None:
    """Basic of one account and the session cookie of another name no one: 401, whichever
    would have been read first."""
    mock.create(ALICE, name="alice-1")
    mock.create(BOB, name="bob-1")
    bob = Mock(mock.url)
    bob.data("POST", "/login/", json={"username": "bob", "password": "bob-password"})
    for method, path, body in [
        ("GET", "/campaign/1", None),
        ("DELETE", "/campaign/1", None),
        ("GET", "/_mock/state", None),
        ("POST", "/_mock/reset", {}),
        ("GET", "/_mock/ui/part/campaigns", None),
    ]:
        answer = bob.call(method, path, ALICE, json=body)
        assert answer.status_code == 401, (method, path)
        assert "more than one account" in answer.json()["data"]["error"]
    assert mock.names(ALICE) == [(1, "alice-1")] and mock.names(BOB) == [(1, "bob-1")]
    # The same account twice is one account.
    assert bob.data("GET", "/campaign/1", BOB)["name"] == "bob-1"
    bob.http.close()


def test_the_dashboard_shows_and_presses_the_callers_world_only(mock: Mock) -> None:
    mock.create(ALICE, name="alice-secret-plan")
    mock.create(BOB, name="bob-1")
    html = {"Accept": "text/html"}
    assert mock.call("GET", "/_mock/ui/", headers=html).status_code == 401  # no one: no world
    page = mock.call("GET", "/_mock/ui/", BOB, headers=html)
    assert page.status_code == 200 and "bob-1" in page.text
    assert "alice-secret-plan" not in page.text
    journal = mock.call("GET", "/_mock/ui/requests", BOB, headers=html).text
    assert "alice" not in journal.replace("alice-password", "")
    other = mock.call("GET", "/_mock/ui/campaigns/1?world=alice", BOB, headers=html)
    assert other.status_code == 404
    pressed = mock.call(
        "POST",
        "/_mock/ui/do/abort/1?world=alice",
        BOB,
        headers={"Accept": "application/json"},
    )
    assert pressed.status_code == 404
    assert mock.data("GET", "/campaign/1", ALICE)["state"] == "DRAFT"
    frozen = mock.call("POST", "/_mock/ui/do/clock/freeze", BOB)
    assert frozen.status_code == 401  # the clock is every world's


def test_mixed_credentials_are_refused_without_isolation_too(shared: Mock) -> None:
    """Whose request it is (the journal, the dashboard) is never a guess either."""
    bob = Mock(shared.url)
    bob.data("POST", "/login/", json={"username": "bob", "password": "bob-password"})
    answer = bob.call("POST", "/campaign", ALICE, json=CAMPAIGN)
    assert answer.status_code == 401 and answer.json()["data"]["code"] == "unauthorized"
    assert shared.names(None) == []
    bob.http.close()
