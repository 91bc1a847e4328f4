"""`CampaignMock`: what a test holds on one mock (URL, credentials, clock, journals, reset).

A door like the control API: each method calls the core's operation (`core.Mock`) that the
matching `/_mock/` route calls, never the mock over HTTP, then waits for what it made due
(tests/doors/ drives every operation through every door and compares).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign_mock.assembly import ServeOptions, build_app
from campaign_mock.core import Mock
from campaign_mock.core.journal import JournalEntry
from campaign_mock.delivery import Dispatcher
from campaign_mock.domain.aggregation import Event
from campaign_mock.domain.deliveries import Attempt
from campaign_mock.domain.errors import CampaignError
from campaign_mock.domain.models import Channel, Fixtures, State
from campaign_mock.domain.world import World
from campaign_mock.domain.worlds import Worlds
from campaign_mock.fixtures.document import fixtures_from_document, load_fixtures
from campaign_mock.http.context import mock_of
from campaign_mock.testing.clock_control import ClockControl, Moment

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication as WsgiApp
    from flask import Flask

    from campaign_mock.serving.server import MockServer
    from campaign_mock.testing.inprocess import Interception
    from campaign_mock.testing.sink import CallbackSink

#: Fixtures: a YAML/JSON file, a document (the file's shape) or a `Fixtures` value.
FixturesSource = str | os.PathLike[str] | Mapping[str, Any] | Fixtures
#: Real seconds for timeouts, out of freezegun's reach (see sink.py).
_REAL = (time.monotonic,)
_POLL = 0.02


class CampaignMock:
    """One mock: live on a port (`serve`) or in-process (`campaign_mock.intercept`)."""

    #: Real seconds a live mock may take to answer what a clock move made due.
    idle_timeout = 15.0

    def __init__(self, app: Flask, url: str, *, server: MockServer | None = None) -> None:
        self.app = app
        self.url = url.rstrip("/")
        self.clock = ClockControl(self)
        self._server = server
        #: The core every method calls.
        self.core: Mock = mock_of(app)
        self.dispatcher: Dispatcher = self.core.dispatcher
        self.intercepting = 0
        self._transport = self.dispatcher.transport

    # -- making one ------------------------------------------------------------

    @classmethod
    def serve(
        cls,
        fixtures: FixturesSource | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_token: str | None = None,
        insecure_control: bool = False,
        isolate: str | None = None,
    ) -> CampaignMock:
        """A live mock on `host:port` (0: a free port), served by background threads.

        Beyond loopback, `/_mock/` over HTTP needs `control_token` (send `control_headers`)
        unless `insecure_control=True`; this handle's own calls never need it.
        `isolate="accounts"`: one world per account (`world(username)`).
        """
        from campaign_mock.serving.exposure import exposure_refusal
        from campaign_mock.serving.server import MockServer

        refusal = exposure_refusal(host, control_token, insecure_control)
        if refusal is not None:
            raise ValueError(refusal)
        options = ServeOptions(control_token=control_token, isolate=isolate)
        server = MockServer(build_app(options, _fixtures(fixtures)), host, port).start()
        return cls(server.app, server.url, server=server)

    @classmethod
    def in_process(
        cls, fixtures: FixturesSource | None = None, *, url: str = "http://campaign-mock.test"
    ) -> CampaignMock:
        """A mock with no server and no thread, for `intercept()` and Flask test clients."""
        return cls(build_app(ServeOptions(), _fixtures(fixtures)), url)

    def close(self) -> None:
        """Stops a live mock's server; nothing to do in-process."""
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> CampaignMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what it holds -----------------------------------------------------------

    @property
    def live(self) -> bool:
        """True when served over HTTP by background threads."""
        return self._server is not None

    @property
    def backend(self) -> World:
        """The mock's root world (its only one when not isolated)."""
        return self.core.root

    @property
    def worlds(self) -> Worlds:
        """The mock's worlds: the backend alone, or one per account (`isolate="accounts"`)."""
        return self.core.worlds

    def world(self, account: str) -> CampaignWorld:
        """What `account` sees with `isolate="accounts"`: its campaigns, journals, reset."""
        if account not in {a.username for a in self.fixtures.accounts}:
            raise LookupError(f"the fixtures have no account {account!r}")
        return CampaignWorld(self, account)

    @property
    def fixtures(self) -> Fixtures:
        """Accounts, domains, lists and segments loaded now."""
        return self.backend.fixtures

    @property
    def auth(self) -> tuple[str, str]:
        """(username, password) of the first account: `requests.get(..., auth=mock.auth)`."""
        accounts = self.fixtures.accounts
        if not accounts:
            raise LookupError("the fixtures have no account")
        return accounts[0].username, accounts[0].password

    @property
    def control_headers(self) -> dict[str, str]:
        """What an HTTP call to `/_mock/` sends: the control token's header; without one, the
        token `?secrets=1` needs (the rest of `/_mock/` ignores it)."""
        return {"X-Mock-Token": self.core.secrets_token}

    @property
    def requests(self) -> list[JournalEntry]:
        """API requests received, oldest first (`GET /_mock/requests`)."""
        return self.core.journal.entries()

    @property
    def deliveries(self) -> list[Attempt]:
        """Callback attempts, by (batch, attempt) (`GET /_mock/deliveries`)."""
        return self.backend.simulation.outbox.entries()

    def acknowledged(self, campaign: int, event: str) -> int:
        """Addresses of `event` acknowledged by the receiver of `campaign`."""
        return self.backend.simulation.outbox.count_acknowledged(campaign, Event(event))

    def campaign(self, ident: int) -> dict[str, object]:
        """A campaign as the API shows it (R-2), without a request in the journal."""
        return self.backend.get_campaign(ident).to_wire()

    def campaigns(self) -> list[dict[str, object]]:
        return [c.to_wire() for c in self.backend.campaigns()]

    # -- changing it -------------------------------------------------------------

    def reset(self, keep: Collection[str] = ()) -> None:
        """As started (`POST /_mock/reset`): fixtures, campaigns and ids, sessions, settings
        (seed, rates, faults), auth, clock, journals, and the callback transport;
        `keep=["fixtures", "clock"]` leaves those as they are now (`KEEPABLE`)."""
        try:
            self.core.reset(keep=keep)
        except CampaignError as exc:
            raise ValueError(exc.message) from None
        if not self.intercepting:
            self.dispatcher.transport = self._transport

    def prepare(
        self,
        *,
        fixtures: FixturesSource | None = None,
        seed: int | None = None,
        rates: Mapping[str, Mapping[str, float]] | None = None,
        settings: Mapping[str, Any] | None = None,
        frozen_at: Moment | None = None,
        auth: bool | None = None,
    ) -> CampaignMock:
        """`reset()`, then the options of a `@pytest.mark.campaign_mock(...)` marker."""
        self.reset()
        if fixtures is not None:
            self.load_fixtures(fixtures)
        if seed is not None or rates is not None or settings:
            self.configure(seed=seed, rates=rates, **dict(settings or {}))
        if frozen_at is not None:
            self.clock.freeze(frozen_at)
        if auth is not None:
            self.core.set_auth(auth)
        return self

    def load_fixtures(self, source: FixturesSource) -> Fixtures:
        """Replaces the fixtures and resets campaigns (`PUT /_mock/fixtures`)."""
        return self.core.load_fixtures(_fixtures(source) or self.fixtures)

    def configure(
        self,
        *,
        seed: int | None = None,
        rates: Mapping[str, Mapping[str, float]] | None = None,
        **settings: Any,
    ) -> dict[str, object]:
        """Simulation settings, partially (`PUT /_mock/settings`): `seed=7`,
        `rates={"email": {"bounce": 0.5}}`, `window=30`, `faults={"duplicate_rate": 1}`..."""
        document: dict[str, Any] = dict(settings)
        for channel, values in (rates or {}).items():
            if channel not in {c.value for c in Channel}:
                raise ValueError(f"rates: {channel!r} is not a channel (email, sms)")
            document[channel] = dict(values)
        if seed is not None:
            document["seed"] = seed
        try:
            return self.core.configure(document).to_wire()
        except CampaignError as exc:
            raise ValueError(exc.message) from None

    def force_state(self, ident: int, state: str) -> dict[str, object]:
        """Any state, bypassing M-2 (`PUT /_mock/campaigns/<id>/state`)."""
        return self.core.force_state(self._one_world(), ident, State(state)).to_wire()

    def set_payloads(self, ident: int, payloads: list[str]) -> dict[str, object]:
        """Which payloads a campaign carries, A-2 (`PUT /_mock/campaigns/<id>/payloads`)."""
        chosen = tuple(Channel(p) for p in dict.fromkeys(payloads))
        return self.core.set_payloads(self._one_world(), ident, chosen).to_wire()

    def abort(self, ident: int, error: str = "send aborted") -> dict[str, object]:
        """A SENDING campaign fails: it ends in ERROR, M-4 (`POST /_mock/campaigns/<id>/abort`)."""
        return self.core.abort(self._one_world(), ident, error).to_wire()

    # -- delivering callbacks ------------------------------------------------------

    def deliver_due(self) -> int:
        """Sends every callback due now, in this thread; the number of attempts made."""
        return self.core.deliver_due()

    def flush(self) -> None:
        """Reports every event so far now, whatever its window (`POST /_mock/deliveries/flush`)."""
        for account, _world in self.core.worlds_of(None):  # every world of an isolated mock
            self.core.flush(account)
        self.settle_deliveries()

    def redeliver(self, batch: int) -> int:
        """Callback batch `batch` goes once more, whatever its state; its campaign
        (`POST /_mock/deliveries/<batch>/redeliver`)."""
        found = self.core.redeliver(self._one_world(), batch)
        self.settle_deliveries()
        return found.campaign

    def settle_deliveries(self) -> None:
        """What became due is answered: sent here in-process, awaited from a live mock."""
        if self.intercepting or not self.live:
            self.deliver_due()
        if self.live:
            self._wait(lambda: self.core.busy() == 0, self.idle_timeout)

    def wait_for_deliveries(
        self, campaign: int, event: str, count: int = 1, *, timeout: float = 10.0
    ) -> int:
        """Until `count` addresses of `event` are acknowledged for `campaign`
        (`POST /_mock/deliveries/wait`); fails with the delivery journal if they are not."""
        __tracebackhide__ = True
        return self.wait_in(self._one_world(), campaign, event, count, timeout)

    def wait_in(
        self, account: str | None, campaign: int, event: str, count: int, timeout: float
    ) -> int:
        """`wait_for_deliveries` in `account`'s world (None: the mock's only one)."""
        __tracebackhide__ = True
        found = self.core.wait_acknowledged(
            account, campaign, Event(event), count, timeout if self.live else 0.0
        )
        if found < count:
            rows = [
                f"  batch {a.batch} #{a.attempt} {a.event} x{a.count} -> {a.status or a.error}"
                f" ({a.outcome})"
                for a in self.core.world(account).simulation.outbox.entries(campaign)
            ]
            raise AssertionError(
                f"campaign {campaign}: {found} of {count} {event} acknowledged"
                f" (mock time {self.clock.datetime():%Y-%m-%dT%H:%M:%SZ})\n"
                + ("\n".join(rows) or "  no callback attempted yet: move the clock")
            )
        return found

    def settle(self, *, step: float = 60.0, limit: float = 7 * 86_400.0) -> float:
        """Steps the clock until every READY campaign (of every world) has sent and every
        callback is answered (or given up); returns the mock seconds it moved. Fails after
        `limit` seconds."""
        moved = 0.0
        while True:
            self.settle_deliveries()
            held = self.worlds.backends()
            sending = sum(w.simulation.sending() for w in held)
            if sending == 0 and self.worlds.next_due() is None:
                waiting = [
                    c.when
                    for w in held
                    for c in w.campaigns()
                    if c.state is State.READY and c.when is not None
                ]
                if not waiting:
                    return moved
                target = max(min(waiting), self.clock.now())
                moved += target - self.clock.now()
                self.clock.set(target)
                continue
            if moved >= limit:
                raise AssertionError(f"the simulation did not settle within {limit:g} s")
            self.clock.advance(step)
            moved += step

    # -- in-process mode ---------------------------------------------------------

    def intercept(
        self,
        base_url: str,
        *,
        apps: Mapping[str, WsgiApp] | None = None,
        sink: CallbackSink | None = None,
    ) -> Interception:
        """`requests` calls to `base_url` go to this mock without a socket (see inprocess.py)."""
        from campaign_mock.testing.inprocess import Interception

        return Interception(lambda: self, base_url, apps=apps, sink=sink)

    # -- internals -----------------------------------------------------------------

    def _one_world(self) -> str | None:
        """An isolated mock's campaigns are its worlds': `world(account)` acts on one."""
        if self.core.isolated:
            raise LookupError("isolate='accounts': act on a campaign through mock.world(account)")
        return None

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        outbox = self.backend.simulation.outbox
        deadline = _REAL[0]() + timeout
        while not done():
            left = deadline - _REAL[0]()
            if left <= 0:
                return False
            with outbox.lock:
                outbox.lock.wait(min(left, _POLL))
        return True


class CampaignWorld:
    """One account's world of an isolated mock (`CampaignMock.world(username)`), as that
    account's credentials see it over `/_mock/`."""

    def __init__(self, mock: CampaignMock, account: str) -> None:
        self.mock = mock
        self.account = account

    @property
    def backend(self) -> World:
        return self.mock.core.world(self.account)

    def campaign(self, ident: int) -> dict[str, object]:
        return self.mock.core.get_campaign(self.account, ident).to_wire()

    def campaigns(self) -> list[dict[str, object]]:
        return [c.to_wire() for c in self.mock.core.campaigns(self.account)]

    @property
    def deliveries(self) -> list[Attempt]:
        return self.backend.simulation.outbox.entries()

    @property
    def requests(self) -> list[JournalEntry]:
        return [entry for entry, _name in self.mock.core.requests(self.account)]

    def acknowledged(self, campaign: int, event: str) -> int:
        return self.backend.simulation.outbox.count_acknowledged(campaign, Event(event))

    def wait_for_deliveries(
        self, campaign: int, event: str, count: int = 1, *, timeout: float = 10.0
    ) -> int:
        """`CampaignMock.wait_for_deliveries` in this world."""
        __tracebackhide__ = True
        return self.mock.wait_in(self.account, campaign, event, count, timeout)

    def reset(self) -> None:
        """This world afresh, ids from 1 (`POST /_mock/reset` with this account's credentials)."""
        self.mock.core.reset(self.account)

    def force_state(self, ident: int, state: str) -> dict[str, object]:
        return self.mock.core.force_state(self.account, ident, State(state)).to_wire()

    def set_payloads(self, ident: int, payloads: list[str]) -> dict[str, object]:
        chosen = tuple(Channel(p) for p in dict.fromkeys(payloads))
        return self.mock.core.set_payloads(self.account, ident, chosen).to_wire()

    def abort(self, ident: int, error: str = "send aborted") -> dict[str, object]:
        return self.mock.core.abort(self.account, ident, error).to_wire()

    def flush(self) -> None:
        self.mock.core.flush(self.account)
        self.mock.settle_deliveries()

    def redeliver(self, batch: int) -> int:
        """Callback batch `batch` goes once more; its campaign."""
        found = self.mock.core.redeliver(self.account, batch)
        self.mock.settle_deliveries()
        return found.campaign


def _fixtures(source: FixturesSource | None) -> Fixtures | None:
    if source is None or isinstance(source, Fixtures):
        return source
    if isinstance(source, str | os.PathLike):
        return load_fixtures(Path(source))
    return fixtures_from_document(source)
