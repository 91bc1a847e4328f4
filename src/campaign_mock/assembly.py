"""The one builder: a mock from `serve`'s options: the clock, the backend (in memory or on a
shared store), the core (`core.Mock`) and its HTTP door. The CLI builds it once for
waitress; each granian worker (`serving/workers.py`) builds its own from the same options,
so every process of `--workers N` is the same mock; the test kit builds one per handle."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from flask import Flask

from campaign_mock.core import Mock
from campaign_mock.delivery import HttpTransport
from campaign_mock.delivery.policy import DestinationPolicy
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import Clock, MockClock
from campaign_mock.domain.models import Fixtures
from campaign_mock.domain.sessions import Sessions
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.world import World
from campaign_mock.domain.worlds import ACCOUNTS
from campaign_mock.fixtures.document import default_fixtures, load_fixtures
from campaign_mock.http import flask_app
from campaign_mock.store import MEMORY, STORE_TIMEOUT, StoreUrlError, open_store, store_errors

if TYPE_CHECKING:
    from campaign_mock.store.shared import StoredWorld


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
    #: What `?secrets=1` needs when no control token is set (the CLI makes one per start).
    secrets_token: str | None = None
    callback_allow: tuple[str, ...] = ()
    session_ttl: float = 86_400.0
    isolate: str | None = None
    state: str = MEMORY
    store_timeout: float = STORE_TIMEOUT
    state_reset: bool = False
    #: `Host` names beyond the bound address and loopback the served mock answers to.
    allowed_hosts: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        found = json.loads(text)
        found["callback_allow"] = tuple(found["callback_allow"])
        found["allowed_hosts"] = tuple(found["allowed_hosts"])
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


def build_mock(
    options: ServeOptions,
    fixtures: Fixtures | None = None,
    *,
    backend: CampaignBackend | None = None,
    clock: Clock | None = None,
) -> Mock:
    """The one builder: the mock's core from `serve`'s options. `serve`, `--workers`, the
    pytest plugin, `intercept()`, `CampaignMock` and `create_app` all come through here.

    `fixtures` replaces the options' file; `backend` (state shared with the caller) or
    `clock` (a clock of the caller's) are for tests that hold the mock's insides. Raises
    StoreUrlError for a store it cannot open, and FixturesError, TimestampError or
    InvalidError for options the CLI should have refused.
    """
    if options.isolate not in (None, ACCOUNTS):
        raise ValueError(f"isolate: {options.isolate!r} is not an isolation; use {ACCOUNTS!r}")
    store = (
        open_store(options.state, options.store_timeout, fresh=options.state_reset)
        if backend is None
        else None
    )
    held: World
    stored: StoredWorld | None = None
    if backend is not None:
        held = backend
    else:
        loaded = fixtures if fixtures is not None else options.fixtures()
        sessions = Sessions(ttl=options.session_ttl)
        if store is not None:
            # Only a shared store needs its records and clients (msgpack, redis): imported
            # here, the in-memory mock of every test starts without them.
            from campaign_mock.store.shared import StoredWorld

            shared = MockClock(start=options.start, frozen=options.frozen, speed=options.speed)
            try:
                held = stored = StoredWorld(store, loaded, shared, options.settings(), sessions)
            except store_errors() as exc:  # joining: unreachable since opened, or lost
                store.close()
                found = str(exc)
                raise StoreUrlError(
                    found if found.startswith(store.label) else f"{store.label}: {found}"
                ) from None
        else:
            made = clock or MockClock(
                start=options.start, frozen=options.frozen, speed=options.speed
            )
            held = CampaignBackend(loaded, made, options.settings(), sessions)
    core = Mock(
        held,
        keeper=stored,
        isolated=options.isolate == ACCOUNTS,
        auth=options.auth,
        journal_size=options.journal_size,
        control_token=options.control_token,
        secrets_token=options.secrets_token,
        transport=HttpTransport(
            policy=DestinationPolicy(
                options.callback_allow, None if stored is None else stored.listeners
            )
        ),
        unavailable=store_errors() if store is not None else (),
    )
    if store is not None:
        core.journal.share(store)
    return core


def build_app(options: ServeOptions, fixtures: Fixtures | None = None) -> Flask:
    """The mock's HTTP door, on a core from `build_mock`."""
    return flask_app(build_mock(options, fixtures))


def create_app(
    fixtures: Fixtures | None = None,
    *,
    backend: CampaignBackend | None = None,
    clock: Clock | None = None,
    auth: bool = True,
    journal_size: int = 1000,
    control_token: str | None = None,
    callback_allow: tuple[str, ...] = (),
    isolate: str | None = None,
) -> Flask:
    """A mock as a Flask app (WSGI): pass a backend to share state, or fixtures and a clock.

    `control_token`: required on every `/_mock/` route. `callback_allow`: the only callback
    destinations (`HOST`, `HOST:PORT`, `CIDR`; delivery/policy.py); empty, any but
    link-local and metadata addresses. No callback ever goes to a mock itself.
    `isolate="accounts"`: a world of its own per account; needs `auth`.
    """
    options = ServeOptions(
        auth=auth,
        journal_size=journal_size,
        control_token=control_token,
        callback_allow=callback_allow,
        isolate=isolate,
    )
    return flask_app(build_mock(options, fixtures, backend=backend, clock=clock))
