"""The gate between API requests and background work (`campaign_mock.serving.traffic`)."""

from __future__ import annotations

import threading
import time

from campaign_mock.serving.traffic import ApiTraffic

#: Far longer than any of these waits should take: the tests prove who waits for whom.
LONG = 5.0


def _waits(traffic: ApiTraffic) -> float:
    started = time.monotonic()
    traffic.wait_quiet(LONG)
    return time.monotonic() - started


def test_background_waits_for_a_request_until_it_is_answered() -> None:
    traffic = ApiTraffic()
    traffic.enter("connection")  # bytes read, not yet answered
    threading.Timer(0.2, traffic.leave, args=("connection",)).start()
    waited = _waits(traffic)
    assert 0.1 < waited < LONG / 2


def test_a_long_poll_is_not_traffic_while_it_waits() -> None:
    """Else `deliveries/wait` would hold back the very work it waits for."""
    traffic = ApiTraffic()
    inside = threading.Event()
    release = threading.Event()

    def long_poll() -> None:
        with traffic.serving("poll"), traffic.waiting():
            inside.set()
            release.wait(LONG)

    poller = threading.Thread(target=long_poll)
    poller.start()
    assert inside.wait(LONG)
    assert _waits(traffic) < LONG / 2
    release.set()
    poller.join()


def test_a_request_doing_background_work_does_not_wait_for_itself() -> None:
    traffic = ApiTraffic()
    with traffic.serving("me"):
        assert _waits(traffic) < LONG / 2
        traffic.enter("another")
        threading.Timer(0.2, traffic.leave, args=("another",)).start()
        assert 0.1 < _waits(traffic) < LONG / 2


def test_wait_quiet_gives_up_after_its_limit() -> None:
    """A client that never stops sending slows the simulation; it never stops it."""
    traffic = ApiTraffic()
    traffic.enter("stuck")
    started = time.monotonic()
    traffic.wait_quiet(0.05)
    assert time.monotonic() - started < LONG / 2
