"""The gate between API requests and background work (`campaign_mock.serving.traffic`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from campaign_mock.serving.traffic import ApiTraffic, unread

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


def test_wait_quiet_says_whether_the_api_went_quiet() -> None:
    """The server yields the interpreter after a wait that ended with a request in flight."""
    traffic = ApiTraffic()
    assert traffic.wait_quiet(0.05) is True
    traffic.enter("stuck")
    assert traffic.wait_quiet(0.05) is False
    traffic.leave("stuck")
    assert traffic.wait_quiet(0.05) is True


def test_unread_sees_a_connection_to_accept_and_bytes_to_read() -> None:
    """What the server loop has yet to read is a request not counted as traffic yet."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert unread([listener.fileno()]) is False
        with socket.create_connection(listener.getsockname()) as client:
            assert _eventually(lambda: unread([listener.fileno()]))
            served, _ = listener.accept()
            with served:
                assert _eventually(lambda: not unread([listener.fileno(), served.fileno()]))
                client.sendall(b"GET / HTTP/1.1\r\n")
                assert _eventually(lambda: unread([listener.fileno(), served.fileno()]))
                served.recv(1024)
                assert unread([served.fileno()]) is False


def test_unread_errs_on_the_side_of_yielding() -> None:
    """A descriptor closed under it (the loop closes connections as it goes) or a map past
    what `select` takes: the server yields as it always did."""
    closed = socket.socket()
    fileno = closed.fileno()
    closed.close()
    assert unread([fileno]) is True
    assert unread([100_000]) is True


def _eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + LONG
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)  # the kernel delivering bytes on loopback
    return False
