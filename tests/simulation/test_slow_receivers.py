"""Receivers that trickle their answer cannot hold the callback workers (C-3, C-4).

A receiver answering one header byte every 0.3 s used to hold a worker for as long as it
trickled (the timeout was per socket read); two of them held all four workers and a healthy
campaign's callbacks went out an hour of mock time late. Now `timeout` bounds the whole
attempt, and a receiver with an attempt in flight never takes the last free worker.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from .conftest import Mock, Receiver

#: C-3: a callback is made at most this long after each event it reports.
C3 = 300


class Trickler:
    """Accepts, reads a request, then answers one header byte every 0.3 s, never finishing."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.stop = threading.Event()
        self.connections = 0
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._trickle, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _trickle(self, conn: socket.socket) -> None:
        answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000
        with conn:
            conn.settimeout(1)
            try:
                conn.recv(65536)
                for byte in answer:  # at most 300 s of trickling
                    if self.stop.wait(0.3):
                        return
                    conn.send(bytes([byte]))
            except OSError:
                return  # the mock gave up on it: what it should do

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(5)
        self.listener.close()


@pytest.fixture
def tricklers() -> Iterator[list[Trickler]]:
    made = [Trickler(), Trickler()]
    yield made
    for trickler in made:
        trickler.close()


def slow_and_healthy(mock: Mock, tricklers: list[Trickler], receiver: Receiver) -> int:
    """Two campaigns to tricklers (Email and SMS lanes each: four attempts at once, as many
    as there are workers), then a healthy one; returns the healthy one's id."""
    for trickler in tricklers:
        mock.create(event_callback=trickler.url)
    return int(mock.create(event_callback=receiver.url)["id"])


def test_a_healthy_campaigns_callbacks_are_on_time_beside_two_trickling_receivers(
    mock: Mock, tricklers: list[Trickler], receiver: Receiver
) -> None:
    healthy = slow_and_healthy(mock, tricklers, receiver)
    for _ in range(20):  # ten minutes of mock time, 30 s a step; each step waits for idle
        mock.advance(30)
    journal = mock.deliveries(healthy)["deliveries"]
    firsts = [d for d in journal if d["kind"] == "first"]
    assert firsts and all(d["outcome"] == "acknowledged" for d in firsts)
    late = [d for d in firsts if d["at"] - d["when"] > C3]
    assert not late, f"{len(late)} callbacks later than C-3's 300 s: {late[:2]}"
    assert {r.event for r in receiver.acknowledged()} >= {"submitted", "delivered"}
    # The tricklers were tried, and each attempt ended at the timeout (0.5 s), not when the
    # trickle did.
    slow = [d for d in mock.deliveries()["deliveries"] if d["campaign"] != healthy]
    assert slow and all(d["error"] == "no answer within the timeout" for d in slow)
    assert max(d["latency_ms"] for d in slow) < 5_000


def test_a_slow_receiver_never_takes_the_last_free_worker(
    mock: Mock, tricklers: list[Trickler], receiver: Receiver
) -> None:
    # The longest timeout C-4 allows: a trickling receiver holds a worker 10 s an attempt.
    assert mock.call("PUT", "/_mock/settings", json={"timeout": 10})["timeout"] == 10
    healthy = slow_and_healthy(mock, tricklers, receiver)
    mock.call("POST", "/_mock/clock/advance", json={"seconds": 120})
    started = time.monotonic()
    reached = mock.call(
        "POST",
        "/_mock/deliveries/wait",
        json={"campaign": healthy, "event": "submitted", "count": 1, "timeout": 30},
    )
    took = time.monotonic() - started
    assert reached["reached"], reached
    # Four trickling attempts of 10 s each would hold every worker for 10 s.
    assert took < 5.0, f"the healthy campaign waited {took:.1f} s for a worker"
    busy = mock.deliveries()
    assert busy["busy"] > 0  # the tricklers were still being tried meanwhile
