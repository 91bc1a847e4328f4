"""Requests the server loop answers itself (serving/connection.py), seen from raw sockets.

In memory, waitress's loop thread answers an API request as soon as it has read it, and
hands a control request (which may wait) to its pool. What must hold whichever thread
answers: pipelined answers come back whole and in order, a client that does not read its
answers holds up nobody else, and the answers it did not read are all there once it does.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer

from .conftest import FixedClock

BASIC = "Basic " + base64.b64encode(b"demo:demo-password").decode()
AUTH = ("demo", "demo-password")
CHUNK = 1024 * 1024


@pytest.fixture
def server() -> Iterator[MockServer]:
    served = MockServer(create_app(clock=FixedClock()), port=0).start()
    yield served
    served.stop()


def create(server: MockServer, name: str) -> int:
    answer = requests.post(
        server.url + "/campaign", auth=AUTH, json={"name": name, "domain": 1, "list": 1}, timeout=30
    )
    ident: int = answer.json()["data"]["id"]
    return ident


def request(method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {BASIC}\r\n"
    if body is None:
        return (head + "\r\n").encode()
    data = json.dumps(body).encode()
    head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


def read_answer(stream: Any) -> tuple[int, dict[str, Any]]:
    """One HTTP/1.1 answer framed by Content-Length: its status and JSON body."""
    status = int(stream.readline().split()[1])
    length = 0
    while (line := stream.readline()) not in {b"\r\n", b""}:
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    body = stream.read(length)
    assert len(body) == length, f"an answer cut short: {len(body)} of {length} bytes"
    return status, json.loads(body)


def test_pipelined_requests_for_the_loop_and_the_pool_are_answered_in_order(
    server: MockServer,
) -> None:
    first, second = create(server, "first"), create(server, "second")
    pipeline = [
        request("GET", f"/campaign/{first}"),
        request("GET", "/_mock/clock"),  # the pool's, between two of the loop's
        request("GET", f"/campaign/{second}"),
        request("POST", "/campaign", {"name": "third", "domain": 1, "list": 1}),
        request("GET", "/campaign/999"),
        request("GET", f"/campaign/{first}"),
    ]
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(b"".join(pipeline))  # one write: the loop reads them all at once
        stream = sock.makefile("rb")
        answers = [read_answer(stream) for _ in pipeline]
    assert [status for status, _ in answers] == [200, 200, 200, 200, 404, 200]
    names = [body["data"].get("name") for _, body in answers]
    assert names[0] == "first" and names[2] == "second" and names[3] == "third"
    assert names[5] == "first"
    assert "now" in answers[1][1]["data"], answers[1][1]
    assert answers[4][1]["data"]["code"] == "not_found"


def test_a_client_that_does_not_read_holds_up_nobody_and_gets_every_answer_later(
    server: MockServer,
) -> None:
    """3,000 GETs pipelined and not read: their answers fill both sockets' buffers and the
    loop stops reading that connection, while it answers other clients at once."""
    mine, other = create(server, "mine"), create(server, "other")
    count = 3000
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sender = threading.Thread(
            target=sock.sendall, args=(request("GET", f"/campaign/{mine}") * count,)
        )
        sender.start()
        time.sleep(0.5)  # the loop answers until nothing more fits
        took = []
        for _ in range(5):
            started = time.monotonic()
            answer = requests.get(f"{server.url}/campaign/{other}", auth=AUTH, timeout=10)
            took.append(time.monotonic() - started)
            assert answer.json()["data"]["name"] == "other"
        assert max(took) < 1.0, f"another client waited {max(took):.2f} s"
        stream = sock.makefile("rb")
        answers = [read_answer(stream) for _ in range(count)]
        sender.join(30)
    assert all(status == 200 and body["data"]["name"] == "mine" for status, body in answers)


def test_an_answer_past_the_high_watermark_reaches_a_slow_reader_whole() -> None:
    """An answer past waitress's 16 MiB high watermark, where a pool thread waits for the
    loop to send: the loop, answering itself, would wait for ever. No API answer is that
    large (the dashboard's table is capped), so a plain app served alike shows it."""
    app = Flask(__name__)
    size = 20 * CHUNK

    @app.get("/big")
    def big() -> Iterator[bytes]:
        for _ in range(size // CHUNK):  # one write each: the 17th finds 16 MiB unsent
            yield b"x" * CHUNK

    served = MockServer(app, port=0).start()  # no mock: every request is the loop's
    try:
        with socket.create_connection((served.host, served.port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(b"GET /big HTTP/1.0\r\n\r\n")  # 1.0: the body unchunked, to EOF
            time.sleep(0.5)  # the answer is made while the client reads nothing
            took = time.monotonic()
            ok = requests.get(served.url + "/missing", timeout=5)
            assert ok.status_code == 404 and time.monotonic() - took < 1.0
            stream = sock.makefile("rb")
            assert stream.readline().startswith(b"HTTP/1.0 200")
            while stream.readline() not in {b"\r\n", b""}:
                pass
            received = 0
            while chunk := stream.read1(1 << 20):
                received += len(chunk)
        assert received == size
    finally:
        served.stop()


def test_a_long_poll_pipelined_before_an_api_request_holds_up_only_its_own_connection(
    server: MockServer,
) -> None:
    """The long-poll goes to the pool; the GET behind it on the same connection waits its
    turn (answers stay in order), while other connections are answered at once."""
    ident = create(server, "polled")
    wait = request(
        "POST",
        "/_mock/deliveries/wait",
        {"campaign": ident, "event": "delivered", "count": 1, "timeout": 2},
    )
    answers: list[tuple[int, dict[str, Any]]] = []

    def pipelined() -> None:
        with socket.create_connection((server.host, server.port), timeout=30) as sock:
            sock.sendall(wait + request("GET", f"/campaign/{ident}"))
            stream = sock.makefile("rb")
            answers.extend(read_answer(stream) for _ in range(2))

    started = time.monotonic()
    thread = threading.Thread(target=pipelined)
    thread.start()
    time.sleep(0.3)
    other = requests.get(f"{server.url}/campaign/{ident}", auth=AUTH, timeout=10)
    assert other.status_code == 200 and time.monotonic() - started < 1.5
    thread.join(30)
    assert time.monotonic() - started >= 2.0  # the connection's GET came after the wait
    assert answers[0][1]["data"] == {"reached": False, "acknowledged": 0}
    assert answers[1][1]["data"]["name"] == "polled"
