"""The mock's clock: real, sped up, frozen; moved from Python and over `/_mock/clock`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from campaign_mock import create_app
from campaign_mock.domain.clock import ClockMode, MockClock

from .conftest import START, Mock


def test_untouched_clock_is_time_time_and_follows_freezegun() -> None:
    with freeze_time(datetime.fromtimestamp(START, UTC)) as frozen:
        clock = MockClock()
        assert clock.now() == START
        frozen.tick(90)
        assert clock.now() == START + 90


def test_speed_multiplies_the_passing_of_real_time() -> None:
    with freeze_time(datetime.fromtimestamp(START, UTC)) as frozen:
        clock = MockClock(start=1000.0, speed=60)
        frozen.tick(5)  # five real seconds
        assert clock.now() == pytest.approx(1300.0)  # five mock minutes


def test_frozen_clock_moves_only_by_hand() -> None:
    with freeze_time(datetime.fromtimestamp(START, UTC)) as frozen:
        clock = MockClock(start=1000.0, frozen=True)
        frozen.tick(50)
        assert clock.now() == 1000.0
        assert clock.advance(30) == 1030.0
        clock.set(5000.0)
        assert clock.reading().mode is ClockMode.FROZEN
        clock.resume()
        frozen.tick(2)
        assert clock.now() == pytest.approx(5002.0)
        clock.freeze()
        frozen.tick(2)
        assert clock.now() == pytest.approx(5002.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set_speed(0)


def test_clock_control_api(mock: Mock) -> None:
    assert mock.call("GET", "/_mock/clock")["now"] == START
    assert mock.call("POST", "/_mock/clock/advance", json={"seconds": 60})["now"] == START + 60
    assert mock.call("POST", "/_mock/clock/set", json={"now": "2031-01-01T00:00:00Z"})["now"] == (
        1_924_992_000
    )
    answer = mock.call("PUT", "/_mock/clock", json={"mode": "real", "speed": 60})
    assert answer["mode"] == "real" and answer["speed"] == 60
    assert mock.call("POST", "/_mock/clock/freeze")["mode"] == "frozen"
    assert mock.call("POST", "/_mock/clock/resume")["mode"] == "real"
    # A running clock set and frozen in one PUT stops exactly where it was told, no drift.
    answer = mock.call("PUT", "/_mock/clock", json={"now": START + 7, "mode": "frozen"})
    assert answer["now"] == START + 7 and answer["mode"] == "frozen"
    assert mock.call("GET", "/_mock/clock")["now"] == START + 7
    # One bad field refuses the whole PUT: the clock is neither frozen nor moved.
    mock.call("POST", "/_mock/clock/resume")
    refused = mock.http.put(
        mock.server.url + "/_mock/clock", json={"now": "soon", "mode": "frozen"}, timeout=5
    )
    assert refused.json()["data"]["code"] == "invalid"
    assert mock.call("GET", "/_mock/clock")["mode"] == "real"
    bad = mock.http.post(mock.server.url + "/_mock/clock/advance", json={"seconds": -5}, timeout=5)
    assert bad.json()["data"]["code"] == "invalid"


def test_a_clock_the_control_api_cannot_move_is_refused() -> None:
    class Fixed:
        def now(self) -> float:
            return START

    client = create_app(clock=Fixed()).test_client()
    assert client.get("/_mock/clock").json["data"]["now"] == START  # type: ignore[index]
    answer = client.post("/_mock/clock/advance", json={"seconds": 1})
    assert answer.json["data"]["code"] == "invalid"  # type: ignore[index]
