"""Fixtures for the mock's tests: an app on a fixed clock, and a client that speaks the API."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer

#: 2026-11-27T00:00:00Z: "now" for every test app.
NOW = 1_795_737_600
FUTURE = NOW + 86_400
PAST = NOW - 86_400
BASIC = "Basic " + base64.b64encode(b"demo:demo-password").decode()


class FixedClock:
    """Time stands still at `NOW` unless a test moves it."""

    def __init__(self, now: float = NOW) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


@dataclass
class Answer:
    """One HTTP exchange, reduced to what the contract speaks about."""

    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.body["success"] is True

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def code(self) -> str:
        return str(self.body["data"]["code"])


class Api:
    """The Flask test client with Basic credentials, returning parsed envelopes."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> Answer:
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers.setdefault("Authorization", BASIC)
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        body = response.get_json(silent=True) if response.data else None
        return Answer(response.status_code, body, dict(response.headers))

    def create(self, **fields: Any) -> Answer:
        params = {"name": "Test", "domain": 1, "list": 1, **fields}
        return self.call("POST", "/campaign", json=params)

    def update(self, ident: int, **fields: Any) -> Answer:
        return self.call("PUT", f"/campaign/{ident}", json=fields)

    def get(self, ident: int) -> Answer:
        return self.call("GET", f"/campaign/{ident}")

    def force(self, ident: int, state: str) -> None:
        answer = self.call("PUT", f"/_mock/campaigns/{ident}/state", json={"state": state})
        assert answer.ok, answer.body


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def app(clock: FixedClock) -> Flask:
    return create_app(clock=clock)


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture(scope="module")
def live_server() -> Iterator[MockServer]:
    """A real waitress server on a free port, for what only a socket shows."""
    server = MockServer(create_app(clock=FixedClock()), port=0).start()
    yield server
    server.stop()
