"""Clock jumps cost what the events cost, and every number the control API reads is checked.

A jump to the year 9999 with a campaign sending used to walk billions of empty windows under
the backend's lock, freezing the mock; `{"now": 1e20}` and NaN timeouts passed validation.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from .conftest import AUTH, Mock, Receiver

#: 9999-12-31T00:00:00Z.
YEAR_9999 = 253_402_214_400


def raw(mock: Mock, method: str, path: str, body: str) -> Any:
    """A JSON body sent as text (NaN and Infinity are not JSON, but Python's reader takes them)."""
    response = mock.http.request(
        method,
        mock.server.url + path,
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    return response.status_code, response.json()


def assert_refused(status: int, answer: Any, field: str, body: str) -> None:
    """A V-3 `invalid` naming `field`; a literal JSON does not have (NaN, Infinity, 1e400)
    may instead be refused as not JSON at all (400 `malformed`, naming the literal)."""
    assert answer["success"] is False, answer
    data = answer["data"]
    literal = next((w for w in ("NaN", "Infinity", "1e400") if w in body), None)
    if literal is not None and data["code"] == "malformed":
        assert status == 400 and literal in data["error"], answer
        return
    assert status == 200 and data["code"] == "invalid", answer
    assert any(name.startswith(field) for name in data["errors"]), answer
    assert field in data["error"], answer


#: Fixtures with a list of 5000 generated contacts: 5 s of sending at the default rate.
FIXTURES = {
    "accounts": [{"username": AUTH[0], "password": AUTH[1], "api_keys": []}],
    "domains": [{"id": 1, "name": "mail.example.com", "is_sending": True, "is_bouncing": True}],
    "lists": [
        {
            "id": 1,
            "name": "Many",
            "generate": {"count": 5000, "first_id": 1, "email": "user{n}@example.com"},
            "segments": [],
        }
    ],
}


def sending_campaign(mock: Mock, receiver: Receiver) -> int:
    """A campaign 2 s into its 5 s send, its events windows apart."""
    mock.call("PUT", "/_mock/fixtures", json=FIXTURES)
    ident = int(mock.create(event_callback=receiver.url)["id"])
    mock.advance(2)
    assert mock.campaign(ident)["state"] == "SENDING"
    return ident


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_mock/clock/set", {"now": "9999-12-31T00:00:00Z"}),
        ("/_mock/clock/advance", {"seconds": 1e9}),
        ("/_mock/clock", {"now": YEAR_9999}),
    ],
)
def test_a_jump_of_centuries_with_a_campaign_sending_answers_within_a_second(
    mock: Mock, receiver: Receiver, path: str, body: dict[str, Any]
) -> None:
    ident = sending_campaign(mock, receiver)
    method = "PUT" if path == "/_mock/clock" else "POST"
    started = time.monotonic()
    moved = mock.http.request(method, mock.server.url + path, json=body, timeout=30)
    took = time.monotonic() - started
    assert moved.status_code == 200 and moved.json()["success"] is True, moved.text
    assert took < 1.0, f"the jump took {took:.2f} s"
    started = time.monotonic()
    campaign = mock.campaign(ident)
    assert time.monotonic() - started < 1.0
    assert campaign["state"] == "DONE"
    # Every event still goes out: the windows that held events were released, not skipped.
    assert mock.call("POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 20})[
        "reached"
    ]
    acknowledged = mock.deliveries(ident)["acknowledged"][str(ident)]
    assert acknowledged["delivered"] + acknowledged["bounced"] == 5000  # E-1: one final each
    assert acknowledged["submitted"] == 5000
    assert acknowledged["opened"] > 0  # opens come windows after, across the jumped gap


BAD_CLOCK_BODIES = [
    ("POST", "/_mock/clock/set", '{"now": 1e20}', "now"),
    ("POST", "/_mock/clock/set", '{"now": NaN}', "now"),
    ("POST", "/_mock/clock/set", '{"now": Infinity}', "now"),
    ("POST", "/_mock/clock/set", '{"now": 1e308}', "now"),
    ("POST", "/_mock/clock/set", '{"now": -1.5}', "now"),
    ("POST", "/_mock/clock/advance", '{"seconds": NaN}', "seconds"),
    ("POST", "/_mock/clock/advance", '{"seconds": Infinity}', "seconds"),
    ("POST", "/_mock/clock/advance", '{"seconds": -Infinity}', "seconds"),
    ("POST", "/_mock/clock/advance", '{"seconds": 1e308}', "seconds"),
    ("POST", "/_mock/clock/advance", '{"seconds": -5}', "seconds"),
    ("POST", "/_mock/clock/advance", '{"seconds": 252000000000}', "seconds"),
    ("PUT", "/_mock/clock", '{"mode": "frozen", "now": 1e20}', "now"),
    ("PUT", "/_mock/clock", '{"mode": "real", "speed": NaN}', "speed"),
    ("PUT", "/_mock/clock", '{"mode": "real", "speed": Infinity}', "speed"),
    ("PUT", "/_mock/clock", '{"mode": "real", "speed": 1e308}', "speed"),
    ("PUT", "/_mock/clock", '{"mode": "real", "speed": -2}', "speed"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_CLOCK_BODIES)
def test_a_bad_number_for_the_clock_is_invalid_naming_it_and_moves_nothing(
    mock: Mock, method: str, path: str, body: str, field: str
) -> None:
    before = mock.call("GET", "/_mock/clock")
    assert_refused(*raw(mock, method, path, body), field, body)
    after = mock.call("GET", "/_mock/clock")
    assert (after["now"], after["mode"], after["speed"]) == (
        before["now"],
        before["mode"],
        before["speed"],
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"campaign": 1, "event": "delivered", "count": 1, "timeout": NaN}', "timeout"),
        ('{"idle": true, "timeout": NaN}', "timeout"),
        ('{"idle": true, "timeout": Infinity}', "timeout"),
        ('{"idle": true, "timeout": 1e308}', "timeout"),
        ('{"idle": true, "timeout": -1}', "timeout"),
        ('{"idle": true, "timeout": 121}', "timeout"),
        ('{"campaign": 1, "event": "delivered", "count": 5.0, "timeout": 1}', "count"),
        ('{"campaign": 1.5, "event": "delivered", "count": 5, "timeout": 1}', "campaign"),
        ('{"campaign": 1, "event": "delivered", "count": -1, "timeout": 1}', "count"),
        ('{"campaign": 1, "event": "delivered", "count": 1e400, "timeout": 1}', "count"),
    ],
)
def test_a_bad_number_for_a_wait_is_refused_at_once(mock: Mock, body: str, field: str) -> None:
    started = time.monotonic()
    assert_refused(*raw(mock, "POST", "/_mock/deliveries/wait", body), field, body)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/_mock/settings", '{"send_rate": Infinity}', "send_rate"),
        ("/_mock/settings", '{"delays": {"opened": NaN}}', "delays.opened"),
        ("/_mock/settings", '{"retry_window": 1e308}', "retry_window"),
        ("/_mock/settings", '{"seed": 1.5}', "seed"),
        ("/_mock/settings", '{"workers": 4.0}', "workers"),
        ("/_mock/faults", '{"extra_delay": Infinity}', "extra_delay"),
    ],
)
def test_a_bad_number_in_the_settings_is_invalid_and_changes_nothing(
    mock: Mock, path: str, body: str, field: str
) -> None:
    before = mock.call("GET", "/_mock/settings")
    assert_refused(*raw(mock, "PUT", path, body), field, body)
    assert mock.call("GET", "/_mock/settings") == before


def test_the_api_answers_while_a_campaign_is_jumped_past(mock: Mock, receiver: Receiver) -> None:
    """After the jump the mock is usable: a new campaign sends on the new clock."""
    sending_campaign(mock, receiver)
    mock.call("POST", "/_mock/clock/set", json={"now": YEAR_9999})
    fresh = mock.create(event_callback=receiver.url, when=YEAR_9999)
    mock.advance(600)
    ident = int(fresh["id"])
    assert mock.campaign(ident)["state"] == "DONE"
    assert mock.deliveries(ident)["acknowledged"][str(ident)]["submitted"] == 5000


@pytest.mark.parametrize("moment", [float("nan"), float("inf"), 1e20, -1.0])
def test_the_python_clock_refuses_what_the_control_api_refuses(
    campaign_mock: Any, moment: float
) -> None:
    before = campaign_mock.clock.now()
    with pytest.raises(ValueError):
        campaign_mock.clock.set(moment)
    with pytest.raises(ValueError):
        campaign_mock.clock.advance(moment if moment != -1.0 else float("-inf"))
    assert campaign_mock.clock.now() == pytest.approx(before, abs=5)
