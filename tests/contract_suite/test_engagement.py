"""Known opens and clicks (config `engages`): reported after DONE too (C-1), accepted when they
come after DONE (M-4), never passed without a contact known to engage; the config key, and
`init --from-mock` marking the mock's magic contacts."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, Response, request

from campaign_contract.config.model import ConfigError, parse_config
from campaign_contract.config.scaffold import config_from_state
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

from .apps import envelope, serve
from .conftest import config_document

CHECK = "callbacks.known_opens_and_clicks_are_reported"
#: The scripted server's clock runs this many times real time (so is the config's clock_speed).
SPEED = 100.0
ENGAGED = "a@example.com"


def _callback(url: str, event: str, when: int, *emails: str) -> None:
    fields = [("event", event), ("when", str(when))]
    fields += [(f"email[{i}]", e) for i, e in enumerate(emails)]
    posted = urllib.request.Request(url, urlencode(fields).encode(), method="POST")
    posted.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(posted, timeout=5) as answer:
        answer.read()


def scripted_server(mode: str) -> Flask:
    """A server whose sends to list 1 (a@, b@) go as `mode` says, on a clock SPEED times fast:
    "after": DONE at once, a@'s open and click 60 and 90 server seconds later;
    "before": a@'s open and click first, DONE only after them;
    "drop": DONE at once, and no open or click is ever reported."""
    app = Flask(__name__)
    campaigns: dict[int, dict[str, Any]] = {}

    def report(campaign: dict[str, Any]) -> None:
        url, start = campaign["event_callback"], campaign["when"]
        _callback(url, "submitted", start, ENGAGED, "b@example.com")
        _callback(url, "delivered", start + 1, ENGAGED, "b@example.com")
        if mode != "drop":
            lead = 0.0 if mode == "before" else 60.0
            time.sleep(lead / SPEED)
            _callback(url, "opened", start + 2 + int(lead), ENGAGED)
            _callback(url, "clicked", start + 3 + int(lead * 1.5), ENGAGED)
        if mode == "before":
            # DONE after the click in server time too (the click is stamped start + 3), not
            # only in real time: a fast run used to show DONE "before" the click's `when`.
            time.sleep(4 / SPEED)
        campaign["state"] = "DONE"

    @app.post("/campaign")
    def create() -> Response:
        form = request.form
        ident = len(campaigns) + 1
        campaign = {
            "id": ident,
            "name": form["name"],
            "domain": int(form["domain"]),
            "list": int(form["list"]),
            "segments": [],
            "state": "SENDING" if mode == "before" else "DONE",
            "when": int(form["when"]),
            "event_callback": form.get("event_callback") or None,
        }
        campaigns[ident] = campaign
        if campaign["event_callback"]:
            threading.Thread(target=report, args=(campaign,), daemon=True).start()
        return envelope(True, dict(campaign))

    @app.route("/campaign/<int:ident>", methods=["GET", "DELETE"])
    def one(ident: int) -> Response:
        campaign = campaigns.get(ident)
        if campaign is None:
            return envelope(False, {"error": "no such campaign", "code": "not_found"}, 404)
        if request.method == "DELETE":
            del campaigns[ident]
        return envelope(True, dict(campaign))

    @app.errorhandler(404)
    def missing(_error: Exception) -> Response:
        return envelope(False, {"error": "not found", "code": "not_found"}, 404)

    return app


@pytest.fixture
def scripted(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve(scripted_server(request.param)) as url:
        yield url


def _config(url: str, tmp_path: Path, engages: bool = True) -> Any:
    contact: dict[str, Any] = {"email": ENGAGED}
    if engages:
        contact["engages"] = ["opened", "clicked"]
    document = config_document(
        base_url=url,
        auth={"method": "none"},
        lists=[{"id": 1, "contacts": [contact, {"email": "b@example.com"}]}],
        payloads=["email"],
        callbacks={"listen": {"host": "127.0.0.1", "port": 0}},
        ledger=str(tmp_path / "ledger.json"),
        limits={"request_timeout": 2, "rate_limit": 0, "cleanup_wait": 1, "callback_wait": 3,
                "clock_speed": SPEED, "clock_skew": 0, "callback_outage": 0},
    )  # fmt: skip
    return parse_config(document, environ={})


def _judged(url: str, tmp_path: Path, engages: bool = True) -> dict[str, Any]:
    report = run_selection(
        _config(url, tmp_path, engages),
        selection=Selection(only=("C-1", "M-4"), skip=("robustness", "schema", "stateful")),
        seed=1,
    )
    return {r.rule: r for v in report.verdicts for r in v.results if r.check == CHECK}


@pytest.mark.parametrize("scripted", ["after"], indirect=True)
def test_opens_and_clicks_after_done_are_accepted(scripted: str, tmp_path: Path) -> None:
    results = _judged(scripted, tmp_path)
    assert {r: results[r].status for r in ("C-1", "M-4")} == {
        "C-1": Status.PASS,
        "M-4": Status.PASS,
    }, {r: results[r].message for r in results}


@pytest.mark.parametrize("scripted", ["before"], indirect=True)
def test_opens_and_clicks_before_done_pass_c1_and_leave_m4_unjudged(
    scripted: str, tmp_path: Path
) -> None:
    results = _judged(scripted, tmp_path)
    assert results["C-1"].status is Status.PASS, results["C-1"].message
    assert results["M-4"].status is Status.NOT_EXERCISED
    assert "provably after DONE" in results["M-4"].message


@pytest.mark.parametrize("scripted", ["drop"], indirect=True)
def test_a_known_open_never_reported_fails_c1(scripted: str, tmp_path: Path) -> None:
    began = time.monotonic()
    results = _judged(scripted, tmp_path)
    assert results["C-1"].status is Status.FAIL
    messages = [f.message for f in results["C-1"].findings]
    assert any("no `opened`" in m and ENGAGED in m for m in messages), messages
    assert any("no `clicked`" in m for m in messages), messages
    assert results["M-4"].status is Status.NOT_EXERCISED  # an absence is C-1's, never M-4's
    assert time.monotonic() - began < 20  # the wait: callback_wait (3 s) after DONE


@pytest.mark.parametrize("scripted", ["after"], indirect=True)
def test_without_a_contact_known_to_engage_the_check_is_not_exercised(
    scripted: str, tmp_path: Path
) -> None:
    results = _judged(scripted, tmp_path, engages=False)
    assert {r.status for r in results.values()} == {Status.NOT_EXERCISED}
    assert all("engages" in r.message for r in results.values())


# -- the config key --------------------------------------------------------------------


def _contact(**contact: Any) -> dict[str, Any]:
    return config_document(lists=[{"id": 1, "contacts": [contact]}])


def test_engages_names_opened_and_clicked_of_an_email_contact() -> None:
    config = parse_config(_contact(email="x@example.com", engages=["opened", "clicked"]))
    assert config.lists[0].contacts[0].engages == ("opened", "clicked")
    assert parse_config(_contact(email="x@example.com")).lists[0].contacts[0].engages == ()


@pytest.mark.parametrize(
    ("contact", "key"),
    [
        ({"email": "x@example.com", "engages": ["bounced"]}, "lists[0].contacts[0].engages[0]"),
        ({"email": "x@example.com", "engages": "opened"}, "lists[0].contacts[0].engages"),
        ({"telephone": "+351910000001", "engages": ["opened"]}, "lists[0].contacts[0].engages"),
    ],
)
def test_a_bad_engages_is_one_line_naming_the_key(contact: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(_contact(**contact), environ={})
    assert raised.value.key == key and "\n" not in str(raised.value)


# -- init --from-mock ------------------------------------------------------------------


def _state(speed: float, settings: dict[str, Any] | None) -> dict[str, Any]:
    contacts = [
        {"id": 1, "email": "ana@example.com"},
        {"id": 2, "email": "Clicked+x@simulator.campaign-mock.dev"},
        {"id": 3, "email": "opened@simulator.campaign-mock.dev"},
        {"id": 4, "email": "noopen@simulator.campaign-mock.dev"},
    ]
    fixtures = {
        "accounts": [],
        "domains": [{"id": 1, "is_bouncing": True}],
        "lists": [{"id": 1, "name": "l", "contacts": contacts, "segments": []}],
    }
    state: dict[str, Any] = {"fixtures": fixtures, "clock": {"speed": speed}}
    if settings is not None:
        state["settings"] = settings
    return state


MOCK_SETTINGS = {"magic_addresses": True, "window": 60, "delays": {"opened": 1800, "clicked": 120}}


def _engages(speed: float, settings: dict[str, Any] | None) -> list[Any]:
    document = config_from_state(_state(speed, settings), "http://mock")
    parse_config(document, environ={})  # what init writes is a valid config
    return [c.get("engages") for c in document["lists"][0]["contacts"]]


def test_init_from_mock_marks_magic_contacts_whose_events_fit_the_wait() -> None:
    assert _engages(600, MOCK_SETTINGS) == [None, ["opened", "clicked"], ["opened"], None]


@pytest.mark.parametrize(
    ("speed", "settings"),
    [
        (1, MOCK_SETTINGS),  # an open 1800 s after delivery on average: past a 330 s wait
        (600, {**MOCK_SETTINGS, "magic_addresses": False}),
        (600, None),  # settings unknown: nothing is promised
    ],
)
def test_init_from_mock_promises_no_event_it_cannot_count_on(
    speed: float, settings: dict[str, Any] | None
) -> None:
    assert _engages(speed, settings) == [None, None, None, None]
