"""One live mock per test in each mode that changes where state lives. In memory (isolated or
not) no background ticker runs: only the operation under test moves the simulation, so a door
that skips a world shows it (a ticker would bring that world along a moment later and hide
it); a store's instance keeps its ticker, which holds its lease on the sends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from campaign_mock.assembly import ServeOptions, build_app
from campaign_mock.serving.server import MockServer
from campaign_mock.testing.mock_handle import CampaignMock
from campaign_mock.testing.sink import CallbackSink, SinkServer

AUTH = ("demo", "demo-password")
#: 2030-01-01T00:00:00Z: the mock's frozen start.
START = 1_893_456_000
MODES = ("memory", "isolated", "sqlite", "redis")


@dataclass
class Served:
    """A mock under test and how a caller names its world."""

    mode: str
    mock: CampaignMock
    sink: CallbackSink
    #: The account whose world the operations act on (isolated), else None.
    account: str | None

    @property
    def url(self) -> str:
        return self.mock.url

    def api(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        """An API or control request with the account's credentials (and the control token,
        if the mock has one); the envelope's data."""
        headers = self.mock.control_headers
        answer = requests.request(  # type: ignore[misc]
            method, self.url + path, auth=AUTH, timeout=30, headers=headers, **kwargs
        )
        body = answer.json()
        assert body["success"], (method, path, answer.status_code, body)
        data: dict[str, object] = body["data"]
        return data

    def status(self, path: str) -> int:
        return requests.get(self.url + path, auth=AUTH, timeout=30).status_code


@pytest.fixture(params=MODES)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    mode: str = request.param
    state = "memory"
    if mode == "sqlite":
        state = f"sqlite:///{tmp_path / 'mock.db'}"
    elif mode == "redis":
        state = request.getfixturevalue("redis_url")
    options = ServeOptions(
        frozen=True,
        start=START,
        state=state,
        isolate="accounts" if mode == "isolated" else None,
        # Isolated, the clock and settings are every world's: changed with the token only.
        control_token="doors-token" if mode == "isolated" else None,
        window=60.0,
    )
    app = build_app(options)
    # In memory no ticker runs: only the operation under test moves the simulation. A store
    # keeps its ticker, which renews the instance's lease on the sends (3 s).
    quiet = {"on_tick": lambda: None} if state == "memory" else {}
    server = MockServer(app, port=0, **quiet).start()
    mock = CampaignMock(app, server.url, server=server)
    with SinkServer() as sinks:
        sink = sinks.open()
        try:
            yield Served(mode, mock, sink, "demo" if mode == "isolated" else None)
        finally:
            server.stop()
