"""A sped-up clock never outruns the mock's work (domain/clock.py's brake): C-3 in its own time.

At `--speed 600`, C-3's 300 s are half a real second: a starved ticker or a callback worker
held by a slow receiver once let the clock run on, and a callback came 336 s after its `when`
by the mock's own clock. Now time passes more slowly while due work waits, and is lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from freezegun import freeze_time

from campaign_mock import create_app
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.serving.server import MockServer

from .conftest import AUTH, START

SPEED = 600
#: C-3: a callback is made at most this long after each event it reports (server time).
C3 = 300
#: Real seconds the slow receiver takes to answer: 180 s of the mock's time at SPEED, under
#: the 0.5 real s a POST may take on a clock sped up so (dispatcher.MIN_TIMEOUT), so every
#: callback is acknowledged and what waits behind it in its lane waits for the workers only.
SLOW = 0.3


@dataclass
class Arrival:
    when: int
    clock: float  # GET /_mock/clock read as the callback arrived: the server's time, or later


@dataclass
class SlowReceiver:
    """Reads the mock's clock as each callback arrives, then takes `delay` to answer 200."""

    clock_url: str
    delay: float
    arrivals: list[Arrival] = field(default_factory=list)
    enough: threading.Event = field(default_factory=threading.Event)
    count: int = 6
    url: str = ""

    def arrived(self, body: bytes) -> None:
        when = int(dict(parse_qsl(body.decode("ascii")))["when"])
        now = requests.get(self.clock_url, timeout=10).json()["data"]["now"]
        self.arrivals.append(Arrival(when, now))
        if len(self.arrivals) >= self.count:
            self.enough.set()


def _handler(receiver: SlowReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            receiver.arrived(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            time.sleep(receiver.delay)  # the slow receiver under test, not a wait
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Served:
    server: MockServer
    http: requests.Session

    def clock(self) -> float:
        answer = self.http.get(f"{self.server.url}/_mock/clock", timeout=10).json()
        return float(answer["data"]["now"])

    @contextmanager
    def receiver(self, delay: float) -> Iterator[SlowReceiver]:
        found = SlowReceiver(f"{self.server.url}/_mock/clock", delay)
        listener = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
        listener.daemon_threads = True
        found.url = f"http://127.0.0.1:{listener.server_address[1]}/hook"
        threading.Thread(target=listener.serve_forever, daemon=True).start()
        try:
            yield found
        finally:
            listener.shutdown()
            listener.server_close()

    def send_now(self, callback: str) -> None:
        campaign = {"name": "Sale", "domain": 1, "list": 1, "state": "READY"}
        campaign |= {"when": int(self.clock()), "event_callback": callback}
        answer = self.http.post(f"{self.server.url}/campaign", auth=AUTH, json=campaign, timeout=10)
        assert answer.json()["success"] is True, answer.text


@pytest.fixture
def served() -> Iterator[Served]:
    """A served mock (ticker and callback workers) on a clock running SPEED times real time,
    with `--window 5` as in the README and test_full_run.py."""
    clock = MockClock(start=START, speed=SPEED)
    settings = SimulationSettings().updated({"window": 5, "workers": 4})
    backend = CampaignBackend(default_fixtures(), clock, settings)
    server = MockServer(create_app(backend=backend), port=0).start()
    with requests.Session() as session:
        yield Served(server, session)
    server.stop()


@pytest.fixture
def slow(served: Served) -> Iterator[SlowReceiver]:
    with served.receiver(SLOW) as found:
        yield found


def test_callbacks_behind_a_slow_receiver_keep_c3_in_the_mocks_time(
    served: Served, slow: SlowReceiver
) -> None:
    began, start = time.monotonic(), served.clock()
    served.send_now(slow.url)
    assert slow.enough.wait(30), f"only {len(slow.arrivals)} callbacks came"
    elapsed, moved = time.monotonic() - began, served.clock() - start
    late = [a.clock - a.when for a in slow.arrivals]
    # Each answer takes 180 s of a free-running clock: on main the third callback of a lane
    # already came 350 s after its `when`.
    assert max(late) <= C3, late
    # The clock lost the time the workers were held: well under SPEED times real time.
    assert moved < SPEED * elapsed / 2, (moved, elapsed)


def test_a_clock_with_nothing_lagging_runs_at_full_speed(served: Served) -> None:
    with served.receiver(0.0) as fast:
        served.send_now(fast.url)  # callbacks flowing to a receiver that answers at once
        assert fast.enough.wait(30), f"only {len(fast.arrivals)} callbacks came"
        began, start = time.monotonic(), served.clock()
        time.sleep(1.0)  # a rate is measured over real time: nothing to wait for
        ratio = (served.clock() - start) / (time.monotonic() - began)
    assert ratio >= SPEED * 2 / 3, ratio


def test_the_brake_holds_time_loses_it_and_never_jumps() -> None:
    with freeze_time(datetime.fromtimestamp(START, UTC)) as frozen:
        clock = MockClock(start=1000.0, speed=SPEED)
        move, _moved_to = clock.last_move()
        clock.hold(1000.0, move)
        frozen.tick(10)  # 6000 s of a free clock
        assert clock.now() == pytest.approx(1120.0)  # the watermark + BRAKE_SLACK
        frozen.tick(10)
        assert clock.reading().now == pytest.approx(1120.0)
        clock.hold(5000.0, move)  # the work caught up: on from where it was, no jump
        assert clock.now() == pytest.approx(1120.0)
        frozen.tick(0.1)
        assert clock.now() == pytest.approx(1180.0)
        # An explicit move is not braked, and a watermark worked out before it is stale.
        assert clock.advance(3600) == pytest.approx(4780.0)
        clock.hold(1000.0, move)
        frozen.tick(1)
        assert clock.now() == pytest.approx(5380.0)


def test_frozen_and_real_time_clocks_are_never_braked() -> None:
    with freeze_time(datetime.fromtimestamp(START, UTC)) as frozen:
        real = MockClock()
        frozen_clock = MockClock(start=1000.0, frozen=True, speed=SPEED)
        for clock in (real, frozen_clock):
            clock.hold(0.0, clock.last_move()[0])
        frozen.tick(500)
        assert real.now() == START + 500  # speed 1: still exactly time.time()
        assert frozen_clock.now() == 1000.0
        assert frozen_clock.advance(60) == 1060.0
