"""`CampaignMock`'s Python calls do what the `/_mock/` control API does (no HTTP to itself)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from freezegun import freeze_time

from campaign_mock import CampaignMock
from campaign_mock.delivery import CallableTransport

START = 1_900_000_000.0
AUTH = {"Authorization": "Basic ZGVtbzpkZW1vLXBhc3N3b3Jk"}  # demo:demo-password
CALLBACK = "https://receiver.example/cb?k=v%7e"


def _mock() -> CampaignMock:
    mock = CampaignMock.in_process()
    mock.dispatcher.transport = CallableTransport(lambda url, body: 200)
    return mock


def _control(client: FlaskClient, method: str, path: str, body: Any = None) -> Any:
    answer = client.open(f"/_mock/{path}", method=method, json=body)
    assert answer.status_code == 200 and answer.json and answer.json["success"], answer.json
    return answer.json["data"]


def _snapshot(mock: CampaignMock) -> dict[str, Any]:
    client = mock.app.test_client()
    state = _control(client, "GET", "state")
    deliveries = _control(client, "GET", "deliveries")
    for entry in deliveries["deliveries"]:
        entry["latency_ms"] = None
    return {
        "state": state,
        "deliveries": deliveries,
        "settings": _control(client, "GET", "settings"),
    }


def _create(mock: CampaignMock, **fields: Any) -> int:
    answer = mock.app.test_client().post("/campaign", headers=AUTH, json={
        "name": "n", "domain": 1, "list": 1, "state": "SCHEDULED", "when": int(START) + 60,
        "event_callback": CALLBACK, **fields})  # fmt: skip
    assert answer.json and answer.json["success"], answer.json
    return int(answer.json["data"]["id"])


def _ready(mock: CampaignMock, ident: int) -> None:
    answer = mock.app.test_client().put(f"/campaign/{ident}", headers=AUTH, json={"state": "READY"})
    assert answer.json and answer.json["success"], answer.json


def _same(
    by_handle: Callable[[CampaignMock], None], by_http: Callable[[CampaignMock], None]
) -> None:
    one, other = _mock(), _mock()
    by_handle(one)
    by_http(other)
    assert _snapshot(one) == _snapshot(other)


def test_M4_C3_a_whole_send_by_handle_equals_one_by_control_api() -> None:
    def by_handle(mock: CampaignMock) -> None:
        mock.configure(seed=7, rates={"email": {"bounce": 0.3}}, window=30)
        mock.clock.freeze(START)
        _ready(mock, _create(mock))
        mock.set_payloads(_create(mock, segments=[1]), ["sms"])
        for _ in range(3 * 60):
            mock.clock.advance(60)
        mock.flush()

    def by_http(mock: CampaignMock) -> None:
        client = mock.app.test_client()
        _control(client, "PUT", "settings", {"seed": 7, "email": {"bounce": 0.3}, "window": 30})
        _control(client, "POST", "clock/freeze")
        _control(client, "POST", "clock/set", {"now": START})
        _ready(mock, _create(mock))
        _control(client, "PUT", f"campaigns/{_create(mock, segments=[1])}/payloads",
                 {"payloads": ["sms"]})  # fmt: skip
        for _ in range(3 * 60):
            _control(client, "POST", "clock/advance", {"seconds": 60})
            mock.dispatcher.deliver_due()
        _control(client, "POST", "deliveries/flush")
        mock.dispatcher.deliver_due()

    _same(by_handle, by_http)


def test_fixtures_force_state_and_abort_equal_the_control_api() -> None:
    document = {
        "accounts": [{"username": "demo", "password": "demo-password"}],
        "domains": [{"id": 1, "name": "d.example"}],
        "lists": [{"id": 1, "name": "L", "contacts": [{"id": 1, "email": "a@example.com"}],
                   "segments": [{"id": 1, "name": "S", "contacts": [1]}]}],
    }  # fmt: skip

    def by_handle(mock: CampaignMock) -> None:
        mock.load_fixtures(document)
        mock.clock.freeze(START)
        mock.force_state(_create(mock), "ERROR")
        ident = _create(mock)
        _ready(mock, ident)
        mock.clock.advance(60)
        mock.abort(ident, "provider outage")

    def by_http(mock: CampaignMock) -> None:
        client = mock.app.test_client()
        _control(client, "PUT", "fixtures", document)
        _control(client, "PUT", "clock", {"mode": "frozen"})
        _control(client, "PUT", "clock", {"now": START})
        _control(client, "PUT", f"campaigns/{_create(mock)}/state", {"state": "ERROR"})
        ident = _create(mock)
        _ready(mock, ident)
        _control(client, "POST", "clock/advance", {"seconds": 60})
        _control(client, "POST", f"campaigns/{ident}/abort", {"error": "provider outage"})

    _same(by_handle, by_http)


@pytest.mark.parametrize("door", ["handle", "http"])
def test_reset_restores_as_much_through_either_door(door: str) -> None:
    mock = _mock()
    mock.load_fixtures({"accounts": [{"username": "x", "password": "y"}],
                        "domains": [{"id": 1, "name": "d"}], "lists": []})  # fmt: skip
    mock.configure(seed=3)
    mock.clock.freeze(START)
    if door == "http":
        _control(mock.app.test_client(), "POST", "reset")
    else:
        mock.reset()
    assert (mock.auth, mock.configure()["seed"], mock.clock.frozen) == (
        ("demo", "demo-password"), 0, False)  # fmt: skip
    assert abs(mock.clock.now() - time.time()) < 1


def test_configure_names_a_bad_setting() -> None:
    with pytest.raises(ValueError, match=r"window: must be in \(0, 300\]"):
        _mock().configure(window=900)
    with pytest.raises(ValueError, match="'push' is not a channel"):
        _mock().configure(rates={"push": {"bounce": 1}})


def test_clock_moves_freezegun_when_it_follows_it_and_itself_when_frozen() -> None:
    mock = _mock()
    with freeze_time(datetime.fromtimestamp(START, UTC)):
        assert mock.clock.now() == START
        mock.clock.advance(90)
        assert time.time() == mock.clock.now() == START + 90
        mock.clock.set("2030-06-01T00:00:00Z")
        assert time.time() == mock.clock.now() == 1_906_502_400
        mock.clock.freeze()
        mock.clock.advance(10)
        assert (time.time(), mock.clock.now()) == (1_906_502_400, 1_906_502_410)
    with pytest.raises(ValueError, match="only advances"):
        mock.clock.advance(-1)


def test_wait_for_deliveries_fails_with_the_journal() -> None:
    mock = _mock()
    mock.clock.freeze(START)
    ident = _create(mock, when=int(START))
    _ready(mock, ident)
    with pytest.raises(AssertionError, match=r"campaign 1: 0 of 5 delivered acknowledged"):
        mock.wait_for_deliveries(ident, "delivered", 5)
    mock.clock.advance(120)
    assert mock.wait_for_deliveries(ident, "submitted", 5) == 5
