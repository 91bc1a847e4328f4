"""One mock from `serve`'s options: the clock, the backend (in memory or on a shared store)
and the app. The CLI builds it once for waitress; each granian worker (`workers.py`) builds
its own from the same options, so every process of `--workers N` is the same mock."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.models import Fixtures
from campaign_mock.domain.sessions import Sessions
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures, load_fixtures
from campaign_mock.http import create_app
from campaign_mock.store import MEMORY, open_store
from campaign_mock.store.shared import SharedClock, StoredBackend


@dataclass(slots=True, frozen=True)
class ServeOptions:
    """What `campaign-mock serve` was told, checked; JSON, to reach worker processes."""

    fixtures_path: str | None = None
    auth: bool = True
    journal_size: int = 1000
    seed: int = 0
    speed: float = 1.0
    frozen: bool = False
    start: float | None = None
    window: float = 60.0
    send_rate: float = 1000.0
    delivery_workers: int = 4
    control_token: str | None = None
    callback_allow: tuple[str, ...] = ()
    session_ttl: float = 86_400.0
    isolate: str | None = None
    state: str = MEMORY

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        found = json.loads(text)
        found["callback_allow"] = tuple(found["callback_allow"])
        return cls(**found)

    def fixtures(self) -> Fixtures:
        return (
            default_fixtures() if self.fixtures_path is None else load_fixtures(self.fixtures_path)
        )

    def settings(self) -> SimulationSettings:
        return SimulationSettings().updated(
            {
                "seed": self.seed,
                "window": self.window,
                "send_rate": self.send_rate,
                "workers": self.delivery_workers,
            }
        )


def build_app(options: ServeOptions, fixtures: Fixtures | None = None) -> Flask:
    """The mock's app. Raises StoreUrlError for a store it cannot open, and FixturesError,
    TimestampError or InvalidError for options the CLI should have refused."""
    loaded = fixtures if fixtures is not None else options.fixtures()
    sessions = Sessions(ttl=options.session_ttl)
    store = open_store(options.state)
    held: CampaignBackend
    if store is None:
        clock = MockClock(start=options.start, frozen=options.frozen, speed=options.speed)
        held = CampaignBackend(loaded, clock, options.settings(), sessions)
    else:
        shared = SharedClock(start=options.start, frozen=options.frozen, speed=options.speed)
        held = StoredBackend(store, loaded, shared, options.settings(), sessions)
    app = create_app(
        backend=held,
        auth=options.auth,
        journal_size=options.journal_size,
        control_token=options.control_token,
        callback_allow=options.callback_allow,
        isolate=options.isolate,
    )
    if store is not None:
        app.extensions["campaign_mock"].journal.share(store)
    return app
