"""Fixtures for the simulation's tests: a real receiver, and a real mock on a frozen clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from campaign_mock import create_app
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.serving.server import MockServer

#: 2030-03-17T17:46:40Z: where every frozen clock starts.
START = 1_900_000_000.0
AUTH = ("demo", "demo-password")
#: A callback query string with bytes a careless client would re-quote (C-1).
QUERY = "?token=a%2Fb%7e&x=1&x=2&empty=&sp=%20+plus"


@dataclass
class Received:
    """One callback as the receiver saw it on the wire."""

    target: str
    body: bytes
    status: int

    @property
    def fields(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)

    @property
    def event(self) -> str:
        return dict(self.fields)["event"]

    @property
    def when(self) -> int:
        return int(dict(self.fields)["when"])

    @property
    def channel(self) -> str:
        keys = {k.split("[")[0] for k, _ in self.fields if k not in {"event", "when"}}
        (channel,) = keys
        return channel

    @property
    def addresses(self) -> list[str]:
        return [v for k, v in self.fields if k not in {"event", "when"}]


@dataclass
class Receiver:
    """A real HTTP receiver: answers `status` (or runs `answer`), or hangs while `hang` is set."""

    status: int = 200
    hang: bool = False
    answer: Callable[[Received], int] | None = None
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def acknowledged(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    def events(self) -> list[tuple[str, str, str]]:
        """(channel, address, event) in the order acknowledged callbacks arrived."""
        return [(r.channel, a, r.event) for r in self.acknowledged() for a in r.addresses]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if receiver.hang:
                receiver.release.wait(30)
                self.close_connection = True
                return
            seen = Received(self.path, body, receiver.status)
            if receiver.answer is not None:
                seen.status = receiver.answer(seen)
            receiver.received.append(seen)
            self.send_response(seen.status)
            if 300 <= seen.status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings() -> SimulationSettings:
    """Fast-moving outcomes and a short POST timeout, so a whole send takes little real time."""
    return SimulationSettings().updated(
        {"timeout": 0.5, "delays": {"opened": 300, "clicked": 60}, "workers": 4}
    )


@dataclass
class Mock:
    """A real mock server on a frozen clock, driven through its HTTP APIs."""

    server: MockServer
    clock: MockClock
    backend: CampaignBackend
    http: requests.Session

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, self.server.url + path, timeout=30, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True, body
        return body["data"]

    def create(self, **fields: Any) -> dict[str, Any]:
        params = {"name": "Sale", "domain": 1, "list": 1, "state": "READY", "when": int(START)}
        return self.call("POST", "/campaign", auth=AUTH, json={**params, **fields})  # type: ignore[no-any-return]

    def campaign(self, ident: int) -> dict[str, Any]:
        return self.call("GET", f"/campaign/{ident}", auth=AUTH)  # type: ignore[no-any-return]

    def advance(self, seconds: float) -> None:
        """Moves the clock, then waits (a long-poll, not a sleep) until all due is answered."""
        self.call("POST", "/_mock/clock/advance", json={"seconds": seconds})
        assert self.call("POST", "/_mock/deliveries/wait", json={"idle": True, "timeout": 20})[
            "reached"
        ]

    def deliveries(self, campaign: int | None = None) -> dict[str, Any]:
        query = "" if campaign is None else f"?campaign={campaign}"
        return self.call("GET", f"/_mock/deliveries{query}")  # type: ignore[no-any-return]

    def run_until_quiet(self, step: float = 30.0, limit: float = 48 * 3600) -> None:
        """Steps the clock until no send is running and nothing waits to be delivered."""
        moved = 0.0
        while moved < limit:
            self.advance(step)
            moved += step
            state = self.deliveries()
            if state["sending"] == 0 and state["next_due"] is None:
                return
        raise AssertionError("the simulation did not settle")


@pytest.fixture
def mock(settings: SimulationSettings) -> Iterator[Mock]:
    clock = MockClock(start=START, frozen=True)
    backend = CampaignBackend(default_fixtures(), clock, settings)
    server = MockServer(create_app(backend=backend), port=0).start()
    with requests.Session() as session:
        yield Mock(server, clock, backend, session)
    server.stop()
