"""C-4 over real HTTP: retries on the mock's clock, give-up, and a dead receiver stalls nothing."""

from __future__ import annotations

import socket
import time
from collections import Counter

import pytest

from campaign_mock.domain.settings import SimulationSettings

from .conftest import AUTH, Mock, Receiver


@pytest.fixture
def settings() -> SimulationSettings:
    """No opens, so each lane holds few batches and a give-up takes few attempts."""
    return SimulationSettings().updated(
        {"timeout": 0.3, "email": {"open": 0.0}, "workers": 4, "retry_initial": 60}
    )


def test_C4_receiver_down_then_back_gets_every_event_exactly_once(
    mock: Mock, receiver: Receiver
) -> None:
    receiver.status = 503
    created = mock.create(event_callback=receiver.url)
    for _ in range(20):  # 10 minutes of mock time: every batch fails a few times
        mock.advance(30)
    assert receiver.received and not receiver.acknowledged()
    receiver.status = 204  # any 2xx acknowledges
    mock.run_until_quiet()

    counts = Counter(receiver.events())
    assert counts and set(counts.values()) == {1}  # nothing lost, nothing twice
    assert {a for c, a, e in counts if e == "submitted"} == {
        "ana@example.com", "bruno@example.com", "carla@example.com",
        "duarte@example.com", "eva@example.com",
    }  # fmt: skip
    journal = mock.deliveries(created["id"])["deliveries"]
    assert {e["outcome"] for e in journal} == {"failed", "acknowledged"}
    failed = [e for e in journal if e["outcome"] == "failed"]
    assert all(e["status"] == 503 and e["retry_at"] > e["at"] for e in failed)
    retries = [e for e in journal if e["kind"] == "retry"]
    assert retries and all(e["attempt"] > 1 for e in retries)


def test_C4_receiver_that_never_answers_is_given_up_and_the_api_stays_fast(
    mock: Mock, receiver: Receiver
) -> None:
    receiver.hang = True
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.advance(60)
    started = time.perf_counter()
    for _ in range(5):
        assert mock.campaign(created["id"])["state"] in {"SENDING", "DONE"}
    assert (time.perf_counter() - started) / 5 < 0.25  # the API never waits for a POST
    for _ in range(14):  # past the one-hour retry window, in 5-minute steps
        mock.advance(300)
    mock.run_until_quiet()
    journal = mock.deliveries(created["id"])["deliveries"]
    assert journal and all(e["error"] == "no answer within the timeout" for e in journal)
    finals = [e for e in journal if e["outcome"] == "given_up"]
    assert finals
    first = min(e["at"] for e in journal)
    assert max(e["at"] for e in journal) - first >= 3600  # C-4: retried for at least an hour
    assert receiver.acknowledged() == []


def test_C4_redirect_is_not_an_acknowledgement(mock: Mock, receiver: Receiver) -> None:
    receiver.status = 302
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.advance(120)
    journal = mock.deliveries(created["id"])["deliveries"]
    assert journal and all(e["status"] == 302 and e["outcome"] == "failed" for e in journal)


def test_C4_unreachable_callback_stalls_no_other_campaign(mock: Mock, receiver: Receiver) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/cb"
    broken = mock.create(event_callback=dead)
    healthy = mock.create(event_callback=receiver.url)
    mock.run_until_quiet()
    assert mock.campaign(healthy["id"])["state"] == "DONE"
    assert mock.campaign(broken["id"])["state"] == "DONE"
    assert receiver.acknowledged()
    assert {e["outcome"] for e in mock.deliveries(healthy["id"])["deliveries"]} == {"acknowledged"}
    dead_journal = mock.deliveries(broken["id"])["deliveries"]
    assert {e["error"] for e in dead_journal} == {"connection refused"}
    assert "given_up" in {e["outcome"] for e in dead_journal}


def test_wait_long_poll_returns_once_events_are_acknowledged(
    mock: Mock, receiver: Receiver
) -> None:
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.call("POST", "/_mock/clock/advance", json={"seconds": 120})
    answer = mock.call(
        "POST",
        "/_mock/deliveries/wait",
        json={"campaign": created["id"], "event": "submitted", "count": 2, "timeout": 10},
    )
    assert answer == {"reached": True, "acknowledged": 2}
    answer = mock.call(
        "POST",
        "/_mock/deliveries/wait",
        json={"campaign": created["id"], "event": "clicked", "count": 99, "timeout": 0.1},
    )
    assert answer["reached"] is False


def test_flush_delivers_pending_events_ignoring_the_window(mock: Mock, receiver: Receiver) -> None:
    mock.call("PUT", "/_mock/settings", json={"window": 300})
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.advance(100)  # every submitted event has happened, the window is still open
    assert receiver.received == []
    mock.call("POST", "/_mock/deliveries/flush")
    mock.call("POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 10})
    assert {r.event for r in receiver.received} >= {"submitted"}
    assert mock.campaign(created["id"])["id"] == created["id"]


def test_redeliver_sends_a_batch_again_and_journals_it(mock: Mock, receiver: Receiver) -> None:
    created = mock.create(segments=[1], event_callback=receiver.url)
    mock.advance(120)
    first = mock.deliveries(created["id"])["deliveries"][0]
    mock.call("POST", f"/_mock/deliveries/{first['batch']}/redeliver")
    mock.call("POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 10})
    again = [e for e in mock.deliveries(created["id"])["deliveries"] if e["kind"] == "redelivery"]
    assert len(again) == 1 and again[0]["batch"] == first["batch"]
    assert again[0]["body"] == first["body"]
    answer = mock.http.post(mock.server.url + "/_mock/deliveries/999/redeliver", timeout=5)
    assert answer.json()["data"]["code"] == "not_found"


def test_reset_drops_the_simulation_and_the_journal(mock: Mock, receiver: Receiver) -> None:
    mock.create(event_callback=receiver.url)
    mock.advance(120)
    assert mock.deliveries()["deliveries"]
    mock.call("POST", "/_mock/reset")
    assert mock.deliveries() == {
        "deliveries": [], "acknowledged": {}, "busy": 0, "next_due": None, "sending": 0,
    }  # fmt: skip
    answer = mock.http.get(mock.server.url + "/campaign/1", auth=AUTH, timeout=5)
    assert answer.status_code == 404
