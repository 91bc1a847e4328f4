"""Every control operation through every door, in every mode that changes where state lives.

Doors: the HTTP control API, the dashboard's buttons, the Python handle (`CampaignMock`) and
`intercept()` (requests in-process). Modes: memory, `--isolate accounts` (the operations act
on an account's world, not the root), SQLite and Redis. Each cell sets the mock up through
the API, runs the operation through its door, and checks one observable result, the same
for every door, through the API and a real receiver. In memory the mock has no background
ticker (conftest.py), so a door that forgets a world leaves its sends undrawn and fails here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from campaign_mock.fixtures.document import default_fixtures, fixtures_to_document

from .conftest import AUTH, START, Served

#: Where `intercept()` routes requests in-process.
BASE = "http://doors.campaign-mock.test"
#: List 1's Email messages, each reported `submitted` (an SMS reports its outcome alone).
MESSAGES = 5

Door = Callable[[Served, dict[str, Any]], Any]


# -- the doors -------------------------------------------------------------------------


def _http(served: Served, method: str, path: str, document: object = None) -> dict[str, object]:
    return served.api(method, path, json=document)


def _button(served: Served, path: str, **form: str) -> None:
    params = {"world": served.account} if served.account else {}
    answer = requests.post(
        served.url + path,
        data=form,
        params=params,
        headers={"Accept": "application/json", **served.mock.control_headers},
        auth=AUTH if served.account else None,
        timeout=30,
    )
    assert answer.json()["ok"], (path, answer.status_code, answer.text)


def _intercepted(served: Served, method: str, path: str, document: object = None) -> object:
    with served.mock.intercept(BASE):
        answer = requests.request(
            method,
            BASE + path,
            json=document,
            auth=AUTH,
            headers=served.mock.control_headers,
            timeout=30,
        )
    body = answer.json()
    assert body["success"], (method, path, answer.status_code, body)
    return body["data"]


def _world(served: Served) -> Any:
    """What the handle acts on for one world: the account's, or the mock itself."""
    return served.mock.world(served.account) if served.account else served.mock


Body = Callable[[dict[str, Any]], object]


def _control(method: str, path: str, document: Body) -> dict[str, Door]:
    """The same control route reached over HTTP and through `intercept()`."""
    return {
        "http": lambda s, c: _http(s, method, path.format(**c), document(c)),
        "intercept": lambda s, c: _intercepted(s, method, path.format(**c), document(c)),
    }


def _none(_context: dict[str, Any]) -> None:
    return None


OPERATIONS: dict[str, dict[str, Door]] = {
    "advance": {
        **_control("POST", "/_mock/clock/advance", lambda c: {"seconds": 3540}),
        "dashboard": lambda s, c: _button(s, "/_mock/ui/do/clock/advance", seconds="3540"),
        "handle": lambda s, c: s.mock.clock.advance(3540),
    },
    "set": {
        **_control("POST", "/_mock/clock/set", lambda c: {"now": "2030-01-01T01:00:00Z"}),
        "handle": lambda s, c: s.mock.clock.set("2030-01-01T01:00:00Z"),
    },
    "resume": {
        **_control("POST", "/_mock/clock/resume", _none),
        "dashboard": lambda s, c: _button(s, "/_mock/ui/do/clock/resume"),
        "handle": lambda s, c: s.mock.clock.resume(),
    },
    "freeze": {
        **_control("POST", "/_mock/clock/freeze", _none),
        "dashboard": lambda s, c: _button(s, "/_mock/ui/do/clock/freeze"),
        "handle": lambda s, c: s.mock.clock.freeze(),
    },
    "flush": {
        **_control("POST", "/_mock/deliveries/flush", _none),
        "dashboard": lambda s, c: _button(s, "/_mock/ui/do/flush"),
        "handle": lambda s, c: _world(s).flush(),
    },
    "redeliver": {
        **_control("POST", "/_mock/deliveries/{batch}/redeliver", _none),
        "dashboard": lambda s, c: _button(s, f"/_mock/ui/do/redeliver/{c['batch']}"),
        "handle": lambda s, c: _world(s).redeliver(c["batch"]),
    },
    "abort": {
        **_control("POST", "/_mock/campaigns/{ident}/abort", lambda c: {"error": "stopped"}),
        "dashboard": lambda s, c: _button(s, f"/_mock/ui/do/abort/{c['ident']}", error="stopped"),
        "handle": lambda s, c: _world(s).abort(c["ident"], "stopped"),
    },
    "force_state": {
        **_control("PUT", "/_mock/campaigns/{ident}/state", lambda c: {"state": "ERROR"}),
        "handle": lambda s, c: _world(s).force_state(c["ident"], "ERROR"),
    },
    "payloads": {
        **_control("PUT", "/_mock/campaigns/{ident}/payloads", lambda c: {"payloads": ["sms"]}),
        "handle": lambda s, c: _world(s).set_payloads(c["ident"], ["sms"]),
    },
    "reset": {
        **_control("POST", "/_mock/reset", _none),
        "handle": lambda s, c: _world(s).reset(),
    },
    "configure": {
        **_control("PUT", "/_mock/settings", lambda c: {"send_rate": 7}),
        "handle": lambda s, c: s.mock.configure(send_rate=7),
    },
    "fixtures": {
        **_control("PUT", "/_mock/fixtures", lambda c: c["fixtures"]),
        "handle": lambda s, c: s.mock.load_fixtures(c["fixtures"]),
    },
    "wait": {
        "http": lambda s, c: _http(
            s,
            "POST",
            "/_mock/deliveries/wait",
            {"campaign": c["ident"], "event": "submitted", "count": MESSAGES, "timeout": 10},
        )["acknowledged"],
        "intercept": lambda s, c: _intercepted(
            s,
            "POST",
            "/_mock/deliveries/wait",
            {"campaign": c["ident"], "event": "submitted", "count": MESSAGES, "timeout": 10},
        )["acknowledged"],  # type: ignore[index]
        "handle": lambda s, c: _world(s).wait_for_deliveries(
            c["ident"], "submitted", MESSAGES, timeout=10
        ),
    },
}


# -- setting up, through the API ---------------------------------------------------------


def _campaign(served: Served, state: str = "READY") -> int:
    fields: dict[str, object] = {
        "name": "doors",
        "domain": 1,
        "list": 1,
        "state": state,
        "event_callback": served.sink.url_for("doors"),
    }
    if state == "READY":
        fields["when"] = START + 60
    ident = served.api("POST", "/campaign", json=fields)["id"]
    assert isinstance(ident, int)
    return ident


def _advance(served: Served, seconds: float) -> None:
    """The setup's own move of the clock, always over HTTP."""
    served.api("POST", "/_mock/clock/advance", json={"seconds": seconds})


def _state(served: Served, ident: int) -> object:
    return served.api("GET", f"/campaign/{ident}")["state"]


def _until(done: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.02)  # a real receiver, answered by the mock's delivery workers


def _posts_of(served: Served, body: bytes) -> int:
    """How many times the receiver got this very callback."""
    return sum(1 for callback in served.sink.callbacks if callback.body == body)


def _submitted(served: Served) -> int:
    return len(served.sink.events(event="submitted"))


# -- each operation: its setup, then what every door must show ----------------------------


def _setup(operation: str, served: Served) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if operation in {"advance", "set", "flush", "redeliver", "wait"}:
        context["ident"] = _campaign(served)
        _advance(served, 60)  # the send starts at its `when`
        assert _state(served, context["ident"]) == "SENDING"
    if operation == "flush":
        _advance(served, 40)  # every message sent and submitted; their window is still open
        assert _submitted(served) == 0
    if operation in {"redeliver", "wait"}:
        _advance(served, 3540)
        _until(lambda: _submitted(served) >= MESSAGES, "the send's callbacks")
    if operation == "redeliver":
        # Every callback made due has gone (the journal records an attempt once answered).
        idle = served.api("POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 30})
        assert idle["reached"], idle
        journal = served.api("GET", "/_mock/deliveries")["deliveries"]
        assert isinstance(journal, list) and journal
        context["batch"] = journal[0]["batch"]
        context["body"] = journal[0]["body"].encode()
        assert _posts_of(served, context["body"]) == 1
    if operation == "abort":
        served.api("PUT", "/_mock/settings", json={"send_rate": 0.01})
        context["ident"] = _campaign(served)
        _advance(served, 60)
        assert _state(served, context["ident"]) == "SENDING"
    if operation in {"force_state", "payloads", "reset"}:
        context["ident"] = _campaign(served, "DRAFT")
    if operation == "reset":  # the mock's, not a world's: an account's reset leaves them
        served.api("PUT", "/_mock/faults", json={"duplicate_rate": 1})
        served.api("PUT", "/_mock/settings", json={"seed": 9})
        _advance(served, 600)
    if operation == "freeze":
        served.api("POST", "/_mock/clock/resume")
    if operation == "fixtures":
        document = fixtures_to_document(default_fixtures())
        document["lists"].append({"id": 99, "name": "Added", "contacts": [], "segments": []})
        context["fixtures"] = document
    return context


def _observe(operation: str, served: Served, context: dict[str, Any], returned: Any) -> None:
    if operation in {"advance", "set", "flush"}:
        # In memory, at once, before any wait: the door itself took the world's events out
        # (released, in flight or acknowledged); nothing else in this mock would (no ticker).
        # On a store the sends' lease holder releases them; when a loaded machine starved the
        # ticker past the lease (3 s), the door found no holder and the next tick does it.
        def taken() -> bool:
            found = served.api("GET", "/_mock/deliveries?summary=1")
            return bool(found["busy"] or found["next_due"] is not None or found["acknowledged"])

        if served.mode in {"sqlite", "redis"}:
            _until(taken, f"{operation} released an event of the world")
        else:
            assert taken(), f"{operation} released no event of the world"
        _until(lambda: _submitted(served) >= MESSAGES, f"{MESSAGES} submitted events")
    if operation in {"advance", "set"}:
        assert served.api("GET", "/_mock/clock")["now"] == START + 3600
    elif operation == "resume":
        assert served.api("GET", "/_mock/clock")["mode"] == "real"
    elif operation == "freeze":
        assert served.api("GET", "/_mock/clock")["mode"] == "frozen"
    elif operation == "flush":
        assert served.api("GET", "/_mock/clock")["now"] == START + 100  # time did not move
    elif operation == "redeliver":
        _until(lambda: _posts_of(served, context["body"]) == 2, "the batch POSTed once more")
    elif operation in {"abort", "force_state"}:
        assert _state(served, context["ident"]) == "ERROR"
    elif operation == "payloads":
        assert served.api("GET", f"/campaign/{context['ident']}")["payloads"] == ["sms"]
    elif operation == "reset":
        assert served.status(f"/campaign/{context['ident']}") == 404
        settings = served.api("GET", "/_mock/settings")
        seen = (settings["seed"], settings["faults"]["duplicate_rate"])  # type: ignore[index]
        clock = served.api("GET", "/_mock/clock")
        if served.account:  # that world alone
            assert (seen, clock["now"]) == ((9, 1), START + 600)
        else:  # the mock as it started
            assert (seen, clock["now"], clock["mode"]) == ((0, 0), START, "frozen")
        assert _campaign(served, "DRAFT") == 1
    elif operation == "configure":
        assert served.api("GET", "/_mock/settings")["send_rate"] == 7
    elif operation == "fixtures":
        listed = served.api("GET", "/_mock/fixtures")["lists"]
        assert isinstance(listed, list) and 99 in {entry["id"] for entry in listed}
    elif operation == "wait":
        assert returned >= MESSAGES
    else:  # pragma: no cover - a new operation needs its observation
        raise AssertionError(f"no observation for {operation}")


CELLS = [(op, door) for op, doors in OPERATIONS.items() for door in doors]


@pytest.mark.parametrize(("operation", "door"), CELLS, ids=[f"{o}-{d}" for o, d in CELLS])
def test_every_door_does_the_same(served: Served, operation: str, door: str) -> None:
    context = _setup(operation, served)
    returned = OPERATIONS[operation][door](served, context)
    _observe(operation, served, context, returned)


def test_the_table_has_every_door_of_every_operation() -> None:
    """The HTTP control API, the handle and intercept() reach every operation; the dashboard
    the ones it has buttons for."""
    for operation, doors in OPERATIONS.items():
        assert {"http", "handle", "intercept"} <= set(doors), operation
    buttons = {op for op, doors in OPERATIONS.items() if "dashboard" in doors}
    assert buttons == {"advance", "resume", "freeze", "flush", "redeliver", "abort"}
