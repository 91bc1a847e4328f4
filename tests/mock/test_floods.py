"""Idle floods and slowloris: cheap connections cannot lock new clients out (raw sockets).

Waitress alone held 100 connections: 98 idle sockets stopped new clients for 120 s, and 100
sockets trickling a byte a second stopped them for ever. `bench/flood.py` measures the same
from outside the process.
"""

from __future__ import annotations

import base64
import resource
import select
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from campaign_mock import create_app
from campaign_mock.serving.connection import ConnectionLimits
from campaign_mock.serving.server import MockServer

from .conftest import FixedClock

BASIC = "Basic " + base64.b64encode(b"demo:demo-password").decode()
HEAD = b"GET /campaign/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture(autouse=True)
def enough_descriptors() -> None:
    """The flood, plus the server's end of each of its sockets, in this one process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 2000:
        if hard != resource.RLIM_INFINITY and hard < 2000:
            pytest.fail(f"the flood needs 2000 file descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (2000, hard))


def serve(limits: ConnectionLimits | None = None) -> MockServer:
    return MockServer(create_app(clock=FixedClock()), port=0, connections=limits).start()


@pytest.fixture
def server() -> Iterator[MockServer]:
    served = serve()
    yield served
    served.stop()


def fresh_get(server: MockServer, timeout: float = 10.0) -> float:
    """Seconds until a new connection's GET is answered; `timeout` if it never is."""
    started = time.monotonic()
    request = (
        f"GET /campaign/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {BASIC}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
    except (TimeoutError, ConnectionError):
        return timeout
    assert answer.startswith(b"HTTP/1.1 404"), answer[:100]  # the envelope: no campaign 1 yet
    return time.monotonic() - started


def median_get(server: MockServer) -> float:
    return statistics.median(fresh_get(server) for _ in range(3))


def connect(server: MockServer, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((server.host, server.port), timeout=5)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def trickle(sockets: list[socket.socket], seconds: float, every: float = 1.0) -> list[bool]:
    """Sends each socket one more byte of a request head every `every` s, for `seconds`;
    returns, per socket, whether the server closed it meanwhile."""
    closed = [False] * len(sockets)
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        byte = HEAD[sent : sent + 1] or b"a"
        sent += 1
        for index, sock in enumerate(sockets):
            if not closed[index]:
                closed[index] = not _send(sock, byte)
        time.sleep(every)  # the trickle's own pace, in real time: it is the attack
    return [c or _closed(s) for c, s in zip(closed, sockets, strict=True)]


def _send(sock: socket.socket, byte: bytes) -> bool:
    try:
        sock.send(byte)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return not _closed(sock)


def _closed(sock: socket.socket) -> bool:
    """The server closed it: readable, and reading gives the end of the stream (or a reset)."""
    poller = select.poll()  # select() stops at descriptor 1024; the flood goes past it
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return False
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


def test_a_fresh_get_answers_within_a_second_beside_500_idle_and_100_slowloris(
    server: MockServer,
) -> None:
    idle = connect(server, 500)
    slow = connect(server, 100)
    try:
        quiet_before = median_get(server)
        assert trickle(slow, 2.0) == [False] * 100  # every head has begun, none is closed yet
        under = median_get(server)
        assert under < 1.0, f"median GET {under:.2f} s under the flood ({quiet_before:.3f} s idle)"
        # The flood is still there: the GETs were answered beside it, not after it.
        assert not any(_closed(s) for s in idle)
    finally:
        close_all(idle + slow)


def test_a_slowloris_head_is_closed_at_its_deadline_however_steadily_it_trickles() -> None:
    limits = ConnectionLimits(head=2.0, request=4.0, idle=30.0)
    server = serve(limits)
    slow = connect(server, 20)
    try:
        closed = trickle(slow, 2.0 + 3.0, every=0.25)  # the deadline, plus two sweeps of slack
        assert closed == [True] * 20
        assert fresh_get(server) < 1.0
    finally:
        close_all(slow)
        server.stop()


def test_a_trickled_body_is_closed_at_the_request_deadline() -> None:
    server = serve(ConnectionLimits(head=2.0, request=3.0, idle=30.0))
    slow = connect(server, 5)
    try:
        head = (
            b"POST /campaign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        )
        for sock in slow:
            sock.send(head)  # the head is whole at once; the body then trickles
        closed = trickle(slow, 3.0 + 3.0, every=0.25)
        assert closed == [True] * 5
    finally:
        close_all(slow)
        server.stop()


def test_idle_connections_are_closed_and_a_flood_past_the_limit_is_evicted() -> None:
    server = serve(ConnectionLimits(limit=64, idle=30.0, crowded_idle=1.0))
    idle = connect(server, 200)  # more than the limit: the rest wait in the listen backlog
    try:
        took = fresh_get(server)
        # The crowd's idle timeout (1 s) and a sweep or two (1 s each), with margin.
        assert took < 5.0, f"a fresh GET took {took:.2f} s past a flood over the limit"
    finally:
        close_all(idle)
        server.stop()


def test_a_connection_answering_a_long_request_is_not_cut_as_idle() -> None:
    """A long-poll is a request in progress: no idle or head deadline applies to it."""
    server = serve(ConnectionLimits(idle=1.0, crowded_idle=1.0, head=1.0, request=2.0))
    answers: list[bytes] = []

    def wait() -> None:
        body = b'{"idle": true, "timeout": 4}'
        with socket.create_connection((server.host, server.port), timeout=20) as sock:
            sock.sendall(
                b"POST /_mock/deliveries/wait HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            answers.append(answer)

    try:
        thread = threading.Thread(target=wait)
        thread.start()
        thread.join(20)
        assert len(answers) == 1 and answers[0].startswith(b"HTTP/1.1 200"), answers
    finally:
        server.stop()
