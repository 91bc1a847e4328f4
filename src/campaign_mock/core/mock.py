"""`Mock`: one mock's state and every operation on it, whatever door the request came through.

The HTTP API, the control API, the dashboard, the Python handle and `intercept()` parse what
they are given, call one method here and render what it returns; none of them touches the
worlds, the clock or the dispatcher on its own (moto's one backend behind every door).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from secrets import token_urlsafe
from typing import Any

from campaign_mock.core.counts import Measures, RequestCounts
from campaign_mock.core.errors import BusyError, WorldRequiredError
from campaign_mock.core.journal import JournalEntry, JournalRow, RequestJournal
from campaign_mock.core.settling import NOT_KNOWN, ClockMove, Settled, settle_timeout
from campaign_mock.delivery import Dispatcher, Transport
from campaign_mock.delivery.dispatcher import MAX_LONG_POLLS
from campaign_mock.delivery.policy import Address, here, is_a_mock
from campaign_mock.domain.aggregation import Event
from campaign_mock.domain.clock import ClockMode, ClockReading, MockClock
from campaign_mock.domain.deliveries import Batch
from campaign_mock.domain.errors import InvalidError, NotFoundError
from campaign_mock.domain.models import Campaign, Channel, Fixtures, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.timestamp import MAX_TIMESTAMP
from campaign_mock.domain.world import InMemory, Keeper, World
from campaign_mock.domain.worlds import Worlds

#: Real seconds for session lifetimes, out of freezegun's reach (it patches module attributes
#: that are the real functions, not one inside a tuple).
_REAL = (time.monotonic,)
#: Real wall-clock time, for the clock's offset from it (`/_mock/metrics`), freezegun or not.
_REAL_TIME = (time.time,)
#: The fastest a running clock may go (mock seconds per real second: 11.6 days a second).
MAX_SPEED = 1_000_000.0
#: The longest a long-poll may wait, in real seconds.
MAX_WAIT = 120.0
#: What a reset may keep as it is now (`Mock.reset(keep=...)`, `POST /_mock/reset`'s
#: `"keep"`): `settings` are every simulation setting, `seed` and `faults` one part of them.
KEEPABLE = ("fixtures", "settings", "seed", "faults", "clock")


def session_now() -> float:
    """The time sessions live in: real, monotonic seconds (domain/sessions.py)."""
    return _REAL[0]()


@dataclass(frozen=True, slots=True)
class Initial:
    """What the mock was built with: `reset()` goes back to it."""

    fixtures: Fixtures
    settings: SimulationSettings
    auth: bool


class Mock:
    """One mock: its worlds, clock, callback dispatcher, request journals and settings.

    `account` arguments name the world an operation acts on (`--isolate accounts`); without
    isolation they are ignored and every operation acts on the one world. An operation on
    one campaign or batch of an isolated mock needs an account (`WorldRequiredError`).
    """

    def __init__(
        self,
        root: World,
        *,
        keeper: Keeper | None = None,
        isolated: bool = False,
        auth: bool = True,
        journal_size: int = 1000,
        control_token: str | None = None,
        secrets_token: str | None = None,
        transport: Transport | None = None,
        unavailable: tuple[type[Exception], ...] = (),
    ) -> None:
        if isolated and not auth:
            raise ValueError(
                "isolate='accounts' needs authentication: worlds are chosen by account"
            )
        self.root = root
        #: Where the state lives (`GET /_mock/store`) and what a clean stop hands over.
        self.keeper: Keeper = keeper or InMemory()
        self.worlds = Worlds(root, isolated=isolated)
        self.isolated = isolated
        self.dispatcher = Dispatcher(root, transport, worlds=self.worlds)
        self.journal = RequestJournal(journal_size)
        #: With isolation, each account's request journal; `journal` keeps the anonymous ones.
        self.journals: dict[str, RequestJournal] = {}
        #: Requests answered by route and status (`/_mock/metrics`), this process's.
        self.request_counts = RequestCounts()
        self.auth = auth
        #: Required on every `/_mock/` route and the dashboard when set.
        self.control_token = control_token or None
        #: What `?secrets=1` needs, always: the control token, else one made for this mock.
        self.secrets_token = self.control_token or secrets_token or token_urlsafe(24)
        #: The errors of a store that did not answer: the HTTP door makes them a 503.
        self.unavailable = unavailable
        #: Between two chunks of background work: a server lets API requests pass.
        self.pause: Callable[[], None] | None = None
        #: Whether delivery workers run beside a server (serving/background.py); without
        #: them a settling move of the clock sends what it made due in the calling thread.
        self.background = False
        self.initial = Initial(root.fixtures, root.simulation.settings, auth)
        self._delivering = False

    # -- worlds ------------------------------------------------------------------------

    def world(self, account: str | None) -> World:
        """The world `account` acts on; the mock's one world when not isolated."""
        if not self.isolated:
            return self.root
        if account is None:
            raise WorldRequiredError("this operation acts on one account's world")
        return self.worlds.of(account)

    def worlds_of(self, account: str | None) -> list[tuple[str | None, World]]:
        """(account, world) an operation spanning worlds reaches: `account`'s alone, or every
        world made so far when it names none (the root alone when not isolated)."""
        if not self.isolated:
            return [(None, self.root)]
        if account is not None:
            return [(account, self.worlds.of(account))]
        return [(name, world) for name, world in self.worlds.named()]

    @property
    def shared(self) -> bool:
        """Whether other instances share this state (and its clock) through a store."""
        return not isinstance(self.keeper, InMemory)

    @property
    def fixtures(self) -> Fixtures:
        return self.root.fixtures

    @property
    def settings(self) -> SimulationSettings:
        return self.root.simulation.settings

    def store_status(self) -> dict[str, object]:
        """Where the state lives (`GET /_mock/store`)."""
        return self.keeper.store_status()

    def stop(self) -> None:
        """The server stops: a shared store's instance hands its sends over (and its
        address is unregistered)."""
        self.keeper.stop()

    def listening(self, host: str, port: int) -> None:
        """The server listens at `host:port`: every instance sharing this mock's store is
        told, so that none sends a callback here (delivery/policy.py)."""
        self.keeper.listening(here(host, port))

    def is_a_mock(self, address: Address, port: int) -> str | None:
        """What `address:port` is if a callback there would reach this mock or an instance
        sharing its store (`policy.is_a_mock`); None if neither."""
        return is_a_mock(address, port, self.keeper.listeners())

    # -- the API (R-3, V-5) ------------------------------------------------------------

    def check_credentials(self, username: str, password: str) -> bool:
        return self.root.check_credentials(username, password)

    def login(self, username: str, password: str) -> str | None:
        """A new session token, or None for wrong credentials."""
        return self.root.login(username, password, session_now())

    def logout(self, token: str) -> None:
        self.root.logout(token)

    def session_user(self, token: str) -> str | None:
        return self.root.session_user(token, session_now())

    def create_campaign(self, account: str | None, fields: CampaignFields) -> Campaign:
        return self.world(account).create_campaign(fields)

    def get_campaign(self, account: str | None, ident: int) -> Campaign:
        return self.world(account).get_campaign(ident)

    def update_campaign(self, account: str | None, ident: int, fields: CampaignFields) -> Campaign:
        return self.world(account).update_campaign(ident, fields)

    def delete_campaign(self, account: str | None, ident: int) -> Campaign:
        return self.world(account).delete_campaign(ident)

    def campaigns(self, account: str | None) -> list[Campaign]:
        return self.world(account).campaigns()

    # -- fixtures, settings, reset -----------------------------------------------------

    def reset(self, account: str | None = None, keep: Collection[str] = ()) -> None:
        """Back to how the mock started: its fixtures, campaigns gone and ids from 1, sessions
        closed, its settings (seed, rates, faults), authentication, its clock and empty
        request journals; `keep` names what stays as it is now (`KEEPABLE`).

        Isolated, with an account: that account's world and request journal alone, as if
        it had never been used (fixtures, settings and the clock are every world's, so stay).
        """
        kept = _keepable(keep)
        if self.isolated and account is not None:
            self.worlds.reset(account)
            self.journal_of(account).clear()
            return
        initial = self.initial
        clock = self.root.clock
        if "clock" not in kept and isinstance(clock, MockClock):
            clock.reset()
        self.worlds.configure(_settings_after_reset(initial.settings, self.settings, kept))
        if "fixtures" not in kept and self.root.fixtures is not initial.fixtures:
            self.worlds.load_fixtures(initial.fixtures)
        self.worlds.reset()  # every world goes, as at the start
        self.auth = initial.auth
        self.journal.clear()
        self.journals.clear()

    def load_fixtures(self, fixtures: Fixtures) -> Fixtures:
        """Replaces the fixtures of the mock and every world, which reset; journals empty."""
        self.worlds.load_fixtures(fixtures)
        self.journal.clear()
        for journal in self.journals.values():
            journal.clear()
        self.journals.clear()
        return fixtures

    def configure(self, document: Mapping[str, Any]) -> SimulationSettings:
        """A partial update of the simulation settings, checked whole before any applies."""
        updated = self.settings.updated(dict(document))
        self.worlds.configure(updated)
        return self.settings

    def configure_faults(self, document: Mapping[str, Any]) -> SimulationSettings:
        """Callback-side faults (`duplicate_rate`, `reorder`...), a partial update."""
        return self.configure({"faults": dict(document)})

    def set_auth(self, auth: bool) -> None:
        if not auth and self.isolated:
            raise ValueError("auth=False: isolated worlds are chosen by account")
        self.auth = auth

    # -- one campaign, one batch -------------------------------------------------------

    def set_payloads(
        self, account: str | None, ident: int, payloads: tuple[Channel, ...]
    ) -> Campaign:
        """Which payloads a campaign carries (A-2), before it sends."""
        return self.world(account).set_payloads(ident, payloads)

    def force_state(self, account: str | None, ident: int, state: State) -> Campaign:
        """Any state, bypassing M-2."""
        return self.world(account).force_state(ident, state)

    def abort(self, account: str | None, ident: int, reason: str) -> Campaign:
        """A SENDING campaign's send cannot go on: it ends in ERROR (M-4)."""
        if not reason:
            raise InvalidError("error: must be a text", {"error": ["must be a non-empty string"]})
        return self.world(account).abort_campaign(ident, reason)

    def flush(self, account: str | None) -> None:
        """Every event so far is reported now, whatever its window; waiting retries too."""
        self.world(account).flush_callbacks()

    def redeliver(self, account: str | None, batch: int) -> Batch:
        """Callback batch `batch` goes once more, whatever its state."""
        found = self.world(account).redeliver(batch)
        if found is None:
            raise NotFoundError(f"delivery batch {batch} does not exist")
        return found

    # -- the clock -----------------------------------------------------------------------

    def clock(self) -> MockClock:
        """The clock the control operations move."""
        clock = self.root.clock
        if not isinstance(clock, MockClock):
            raise InvalidError(
                "clock: this mock runs on a clock that cannot be moved",
                {"clock": ["is not controllable"]},
            )
        return clock

    def now(self) -> float:
        return self.root.clock.now()

    def catch_up(self) -> None:
        """Brings every world to the clock's time (sends started, windows released)."""
        self.worlds.tick()

    def clock_reading(self) -> ClockReading:
        """Time, mode and speed."""
        clock = self.root.clock
        if isinstance(clock, MockClock):
            return clock.reading()
        return ClockReading(clock.now(), ClockMode.REAL, 1.0)

    def next_due(self) -> float | None:
        return self.worlds.next_due()

    def move_clock(
        self,
        target: float,
        *,
        shift: Callable[[float], None] | None = None,
        settle: float | None = None,
        account: str | None = None,
    ) -> ClockMove:
        """Jumps to `target` (either way): every world's sends are drawn up to it while the
        clock still shows the old time, then it moves, then what became due is taken.

        `shift` moves time instead of the clock itself (the handle moves freezegun).
        `settle` (real seconds, at most MAX_SETTLE_TIMEOUT): then waits, that long at most,
        until every callback attempt due at the new time has been made, in the worlds
        `account` reaches (`worlds_of`); the answer says whether they were.
        """
        clock = self.clock()
        target = _moment("now", target)
        timeout = settle_timeout(settle)
        with self._waiting_slot(timeout):  # a refusal (busy) comes before the clock moves
            self.worlds.tick(horizon=target, pause=self.pause)
            (shift or clock.set)(target)
            self.worlds.tick(pause=self.pause)
            now = clock.now()
            if timeout is None:
                return ClockMove(now)
            return ClockMove(now, self._settle(account, now, timeout))

    def advance_clock(
        self,
        seconds: float,
        *,
        shift: Callable[[float], None] | None = None,
        settle: float | None = None,
        account: str | None = None,
    ) -> ClockMove:
        """Moves forward by `seconds` (finite, at least 0), to the year 9999 at most;
        `settle` as for `move_clock`."""
        if not 0 <= seconds < float("inf"):  # NaN fails this too
            message = "the clock only advances, by a finite number of seconds, 0 or more"
            raise InvalidError(f"seconds: {message}", {"seconds": [message]})
        target = self.now() + seconds
        if target > MAX_TIMESTAMP:
            message = "would move the clock past the year 9999"
            raise InvalidError(f"seconds: {message}", {"seconds": [message]})
        return self.move_clock(target, shift=shift, settle=settle, account=account)

    def freeze_clock(self, at: float | None = None, *, settle: float | None = None) -> float:
        """Stops time (at `at`, if given; `settle` as for `move_clock`)."""
        self.clock().freeze()  # before moving, so a running clock stops exactly there
        if at is not None:
            return self.move_clock(at, settle=settle).now
        self._clock_moved()
        return self.now()

    def resume_clock(self) -> None:
        """Lets time run again from where it stands."""
        self.clock().resume()
        self._clock_moved()

    def set_clock(
        self, *, now: float | None = None, mode: str | None = None, speed: float | None = None
    ) -> ClockReading:
        """Any of a time, a mode (`real`, `frozen`) and a speed; checked whole before any
        applies, so a bad one changes nothing."""
        clock = self.clock()
        if mode not in (None, "frozen", "real"):
            raise InvalidError("mode: must be real or frozen", {"mode": ["must be real or frozen"]})
        if speed is not None and not 0 < speed <= MAX_SPEED:
            message = f"must be more than 0 and at most {MAX_SPEED:g}"
            raise InvalidError(f"speed: {message}", {"speed": [message]})
        target = None if now is None else _moment("now", now)
        if speed is not None:
            clock.set_speed(speed)
        if mode == "frozen":
            clock.freeze()
        if target is not None:
            self.move_clock(target)
        if mode == "real":
            clock.resume()
        self._clock_moved()
        return self.clock_reading()

    # -- callbacks -----------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Sends every callback due now, in this thread; the number of attempts made. A
        receiver that calls the mock back while this runs gets 0 (no re-entry)."""
        if self._delivering:
            return 0
        self._delivering = True
        try:
            return self.dispatcher.deliver_due()
        finally:
            self._delivering = False

    def busy(self, account: str | None = None) -> int:
        """Callbacks due now or in flight, over the worlds `account` reaches."""
        reached = [world for _name, world in self.worlds_of(account)]
        for world in reached:
            world.tick()
        now = self.now()
        return sum(world.simulation.outbox.busy(now) for world in reached)

    @contextmanager
    def long_poll(self) -> Iterator[None]:
        """One of the long-polls that may wait at once; one more is a `BusyError`."""
        if not self.dispatcher.long_polls.acquire(blocking=False):
            raise BusyError(
                f"{MAX_LONG_POLLS} long-polls are waiting already; try again in a moment"
            )
        try:
            yield
        finally:
            self.dispatcher.long_polls.release()

    def wait_acknowledged(
        self, account: str | None, campaign: int, event: Event, count: int, timeout: float
    ) -> int:
        """Until `count` addresses of `event` are acknowledged for `campaign`, or `timeout`
        real seconds; how many are."""
        world = self.world(account)
        with self.long_poll():
            return self.dispatcher.wait_acknowledged(
                campaign, event, count, min(timeout, MAX_WAIT), world
            )

    def wait_idle(self, account: str | None, timeout: float) -> bool:
        """Until nothing due at the mock's time is unanswered, or `timeout` real seconds."""
        world = self.world(account)
        with self.long_poll():
            return self.dispatcher.wait_idle(min(timeout, MAX_WAIT), (world,))

    # -- metrics -------------------------------------------------------------------------

    def measures(self) -> Measures:
        """The counts `/_mock/metrics` reports: requests, attempts, deliveries waiting and
        in flight over every world, and the clock's offset from real time."""
        counts = self.dispatcher.counts
        return Measures(
            requests=self.request_counts.counted(),
            attempts=counts.made(),
            waiting=sum(world.simulation.outbox.waiting() for _name, world in self.worlds_of(None)),
            in_flight=counts.in_flight,
            clock_offset=self.now() - _REAL_TIME[0](),
        )

    # -- the request journals ----------------------------------------------------------

    def journal_of(self, account: str | None) -> RequestJournal:
        """`account`'s request journal; the mock's own for no account or when not isolated."""
        if not self.isolated or account is None:
            return self.journal
        found = self.journals.get(account)
        if found is None:
            found = self.journals.setdefault(account, RequestJournal(self.journal.capacity))
        return found

    def record_request(self, account: str | None, row: JournalRow) -> None:
        self.journal_of(account).record(row)

    def requests(
        self, account: str | None = None, limit: int | None = None
    ) -> list[tuple[JournalEntry, str | None]]:
        """(entry, account) of the requests `account` made (or everyone's), oldest first."""
        journals = self._journals(account)
        if len(journals) == 1:  # one journal is in order already (the dashboard polls this)
            name, journal = journals[0]
            return [(entry, name) for entry in journal.entries(limit)]
        merged = sorted(
            ((entry, name) for name, journal in journals for entry in journal.entries()),
            key=lambda pair: pair[0].seq,
        )
        return merged[-limit:] if limit else merged

    def clear_requests(self, account: str | None = None) -> None:
        for _name, journal in self._journals(account):
            journal.clear()

    def _journals(self, account: str | None) -> list[tuple[str | None, RequestJournal]]:
        if not self.isolated:
            return [(None, self.journal)]
        if account is not None:
            return [(account, self.journal_of(account))]
        return [(None, self.journal), *sorted(self.journals.items())]

    # -- internals -----------------------------------------------------------------------

    def _waiting_slot(self, timeout: float | None) -> AbstractContextManager[None]:
        """A long-poll's place for a move that will wait for workers (none otherwise)."""
        return self.long_poll() if timeout is not None and self.background else nullcontext()

    def _settle(self, account: str | None, until: float, timeout: float) -> Settled:
        """Until every attempt due at `until` in the worlds `account` reaches has been made:
        by the delivery workers (here, or a store's lease holder), awaited; with none, sent
        here and now."""
        reached = tuple(world for _name, world in self.worlds_of(account))
        if self.background:
            pending = self.dispatcher.wait_made(until, timeout, reached)
        else:
            self.deliver_due()
            counts = [world.callbacks_pending(until, 0.0) for world in reached]
            pending = None if None in counts else sum(c or 0 for c in counts)
        if pending == 0:
            return Settled(True, 0)
        if pending is None:
            return Settled(False, None, NOT_KNOWN.format(timeout=timeout))
        return Settled(
            False,
            pending,
            f"{pending} callback attempt(s) due at the new time were still unmade after"
            f" {timeout:g} s (a receiver slower than that, or one calling the mock back)"
            if self.background
            else f"{pending} callback attempt(s) due could not be sent in this thread"
            " (a receiver calling the mock back while it delivers)",
        )

    def _clock_moved(self) -> None:
        """A change of mode or speed: the worlds see it at once."""
        self.worlds.tick(pause=self.pause)


def _keepable(keep: Collection[str]) -> frozenset[str]:
    """`keep`, checked: a list of `KEEPABLE` names, else `invalid` naming `keep`."""
    if isinstance(keep, str) or not all(isinstance(name, str) for name in keep):
        message = f"must be a list of names from {', '.join(KEEPABLE)}"
        raise InvalidError(f"keep: {message}", {"keep": [message]})
    unknown = sorted(set(keep) - set(KEEPABLE))
    if unknown:
        message = f"{', '.join(map(repr, unknown))}: a reset keeps only {', '.join(KEEPABLE)}"
        raise InvalidError(f"keep: {message}", {"keep": [message]})
    return frozenset(keep)


def _settings_after_reset(
    initial: SimulationSettings, current: SimulationSettings, kept: frozenset[str]
) -> SimulationSettings:
    """The settings the mock started with, but for the parts `kept` names."""
    if "settings" in kept:
        return current
    settings = initial
    if "seed" in kept:
        settings = replace(settings, seed=current.seed)
    if "faults" in kept:
        settings = replace(settings, faults=current.faults)
    return settings


def _moment(field: str, value: float) -> float:
    if not 0 <= value <= MAX_TIMESTAMP:  # NaN fails this too
        message = "must be a time from 1970 to the year 9999"
        raise InvalidError(f"{field}: {message}", {field: [message]})
    return float(value)
