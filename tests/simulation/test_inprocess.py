"""In-process, no threads: freezegun drives the clock and `deliver_due()` sends (M-4, C-1..C-3)."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from flask import Flask
from freezegun import freeze_time

from campaign_mock import create_app
from campaign_mock.delivery import CallableTransport, Dispatcher
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.http.context import mock_of

from .conftest import START

BASIC = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-password").decode()}
CALLBACK = "https://receiver.example/cb?k=v%7e&k=w"


class Recorder:
    """A receiver in the same process: records each POST with the mock's time."""

    def __init__(self, clock: MockClock) -> None:
        self.clock = clock
        self.posts: list[tuple[str, float, list[tuple[str, str]]]] = []

    def __call__(self, url: str, body: bytes) -> int:
        self.posts.append((url, self.clock.now(), parse_qsl(body.decode("ascii"))))
        return 200

    def events(self) -> Counter[tuple[str, str]]:
        return Counter(
            (dict(fields)["event"], value)
            for _, _, fields in self.posts
            for key, value in fields
            if key not in {"event", "when"}
        )


def _create(app: Flask, when: int) -> int:
    answer = app.test_client().post(
        "/campaign",
        headers=BASIC,
        json={"name": "x", "domain": 1, "list": 1, "state": "READY", "when": when,
              "event_callback": CALLBACK},
    )  # fmt: skip
    assert answer.json and answer.json["success"], answer.json
    return int(answer.json["data"]["id"])


def _state(app: Flask, ident: int) -> str:
    answer = app.test_client().get(f"/campaign/{ident}", headers=BASIC)
    assert answer.json
    return str(answer.json["data"]["state"])


def test_M4_C1_C3_freezegun_drives_scheduling_and_callbacks() -> None:
    """freeze_time + tick()/move_to(): the default clock follows freezegun, nothing else needed."""
    start = datetime.fromtimestamp(START, UTC)
    with freeze_time(start) as frozen:
        app = create_app()
        recorder = Recorder(mock_of(app).root.clock)
        dispatcher = mock_of(app).dispatcher
        dispatcher.transport = CallableTransport(recorder)
        ident = _create(app, int(START) + 600)
        frozen.tick(599)
        assert _state(app, ident) == "READY"
        frozen.tick(1)
        assert _state(app, ident) == "SENDING"  # M-4, at once when `when` comes
        for _ in range(4 * 60):  # four hours in 60-second ticks
            frozen.tick(60)
            dispatcher.deliver_due()
        assert _state(app, ident) == "DONE"
        frozen.move_to(datetime.fromtimestamp(START + 10 * 86_400, UTC))
        dispatcher.deliver_due()
    assert recorder.posts
    assert {url for url, _, _ in recorder.posts} == {CALLBACK}
    for _, at, fields in recorder.posts:
        when = int(dict(fields)["when"])
        assert when <= at
    # Up to the jump, callbacks went out on time (C-3).
    on_time = [(at, int(dict(f)["when"])) for _, at, f in recorder.posts if at < START + 86_400]
    assert all(at - when <= 300 for at, when in on_time)
    events = recorder.events()
    assert all(count == 1 for count in events.values())
    assert {a for e, a in events if e == "submitted"} == {
        "ana@example.com", "bruno@example.com", "carla@example.com",
        "duarte@example.com", "eva@example.com",
    }  # fmt: skip


def _journal(seed: int) -> list[dict[str, object]]:
    clock = MockClock(start=START, frozen=True)
    settings = SimulationSettings().updated({"seed": seed, "email": {"bounce": 0.3}})
    backend = CampaignBackend(default_fixtures(), clock, settings)
    app = create_app(backend=backend)
    dispatcher = Dispatcher(backend, CallableTransport(lambda url, body: 200))
    for segments in ([], [1], [2]):
        app.test_client().post(
            "/campaign",
            headers=BASIC,
            json={"name": "x", "domain": 1, "list": 1, "segments": segments, "state": "READY",
                  "when": int(START), "event_callback": CALLBACK},
        )  # fmt: skip
    for _ in range(24 * 60):
        clock.advance(60)
        dispatcher.deliver_due()
    entries = backend.simulation.outbox.entries()
    batches = backend.simulation.outbox.batches
    return [{**e.to_wire(batches[e.batch].body()), "latency_ms": None} for e in entries]


def test_same_seed_gives_identical_journals() -> None:
    first, second = _journal(seed=7), _journal(seed=7)
    assert first and first == second
    assert _journal(seed=8) != first
