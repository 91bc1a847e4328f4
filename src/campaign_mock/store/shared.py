"""`StoredWorld`: a plain `CampaignBackend`, wrapped to keep it in step with a shared store."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import TypeVar

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import Clock, MockClock
from campaign_mock.domain.commands import (
    Abort,
    BatchAnswer,
    CampaignAnswer,
    Command,
    Flush,
    Pending,
    Redeliver,
)
from campaign_mock.domain.deliveries import Batch
from campaign_mock.domain.errors import CampaignError
from campaign_mock.domain.listening import Listener
from campaign_mock.domain.models import Campaign, Channel, Fixtures, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.sessions import Sessions
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import CHUNK, Simulation
from campaign_mock.domain.world import WorldChanges
from campaign_mock.store.base import (
    LISTENER_SECONDS,
    LOST,
    Check,
    Stamp,
    StateStore,
    StoreLost,
    Write,
    new_epoch,
)
from campaign_mock.store.lease import SendsLease
from campaign_mock.store.synced import SyncedLock

T = TypeVar("T")

#: One campaign's operations, optimistic: run on this copy as it is, then its changes
#: committed in one atomic step (`StateStore.commit`, one round trip) that lands only if
#: nothing the operation read (its campaign, the fixtures and settings, the clock, a reset)
#: was written since this copy took it. If something was, the copy takes it, puts back what
#: the operation changed, and runs it again; after COMMIT_TRIES, under the store's lock.
#: Writes to different campaigns never wait for each other; a new id is the store's counter's.
COMMITS = (
    "create_campaign",
    "update_campaign",
    "delete_campaign",
    "set_payloads",
    "force_state",
)
#: Tries of a commit before the operation runs under the store's exclusive lock.
COMMIT_TRIES = 4
#: Writes to the whole world, under the store's exclusive lock: brought up to date, run on
#: the backend, its changes written with one version bump. Every move of the clock too
#: (`MockClock.around_move`), and the sends' starts and ends (store/lease.py).
WRITES = ("reset", "load_fixtures", "configure_simulation")
#: The version read (no store lock), and only the campaigns changed since fetched.
READS = ("get_campaign", "campaigns", "fixtures")
#: Only the lease holder changes the sends, and knows which attempts it has yet to make: each
#: is sent to it as this command (run here when this instance holds the lease) and its answer
#: returned or raised.
ON_HOLDER: dict[str, type[Command]] = {
    "flush_callbacks": Flush,
    "abort_campaign": Abort,
    "redeliver": Redeliver,
    "callbacks_pending": Pending,
}
#: Single atomic operations on the store (a session opened on one instance works on all).
SESSIONS = ("login", "session_user", "logout")
#: The store's id counter, read: the next id any instance would hand out.
COUNTER = ("next_id",)
#: This instance's copy, without asking the store: the clock and the simulation are kept in
#: step by the other operations; fixtures change only with PUT /_mock/fixtures, and the
#: ticker brings them in within TICK_SECONDS, so credentials are checked without a read.
LOCAL = ("check_credentials", "clock", "simulation")
#: The ticker's: keeps or takes the sends' lease (the holder runs the sends, the others show
#: its checkpoint) and renews this instance's listening addresses.
TICKER = ("tick",)
#: Where the instances listen (`Keeper`): registered at start, renewed by the ticker every
#: RENEW_LISTENERS real seconds, gone at a clean stop or LISTENER_SECONDS after a crash.
LISTENERS = ("listening", "listeners")
#: Real seconds between two renewals of this instance's listening addresses.
RENEW_LISTENERS = LISTENER_SECONDS / 4


class StoredWorld:
    """A world whose state lives in `store`, shared with every instance on it.

    It implements `domain.world.World` (and `Keeper`) like the backend does, and reaches the
    backend only through its public methods. Each operation is in one of this module's
    tables, which say what it costs and who may run it: `COMMITS` run here and land in one
    checked atomic step, again if what they read changed meanwhile; `WRITES` run under the
    store's exclusive lock (`SyncedLock`: the instance first takes what others wrote since its last
    version, then writes back what the operation changed, through the backend's
    replication interface, `export_changes`/`apply_changes`); `READS` check the version
    only (one cheap read) and fetch just the campaigns changed since; `ON_HOLDER` run where
    the sends are, on the lease holder (store/lease.py), as commands of domain/commands.py;
    `SESSIONS` are single atomic operations on the store; `LOCAL` read this instance's copy;
    `TICKER` is the ticker's, the lease and the sends; `LISTENERS` where the instances
    listen, so that none of them sends a callback to another.
    """

    def __init__(
        self,
        store: StateStore,
        fixtures: Fixtures,
        clock: MockClock,
        settings: SimulationSettings | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        self.store = store
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._backend = CampaignBackend(
            fixtures, clock, settings, replica=True, take_id=self._take_id
        )
        self._sessions = sessions if sessions is not None else Sessions()  # its ttl, capacity
        self._clock = clock
        self._synced = SyncedLock(store, self._sync_in, self._sync_out, self._discard)
        self._seen = 0
        #: Campaigns this copy committed after `_seen` (others' writes came between): the
        #: version its copy of each is current to.
        self._known: dict[int, int] = {}
        self._epoch: str | None = None  # the store's when this instance joined it
        self._clock_dirty = False
        self._reset_pending = False
        #: The version of the store's last reset this copy took (None: not read yet).
        self._reset_at: int | None = None
        #: A create's id, kept across its tries (with the reset it was taken after).
        self._creating = threading.local()
        self._write_whole = False  # the first instance on an empty store writes its world
        self._lease = SendsLease(store, self._backend, self._synced, self.instance)
        self._listening: list[Listener] = []
        self._renewed = 0.0  # time.monotonic() of the last renewal
        clock.around_move = self._clock_moving
        self._join()

    # -- joining and synchronising -------------------------------------------------------

    def _join(self) -> None:
        """The first instance writes its fixtures, settings and clock; later ones take the
        store's (a restart finds its campaigns, ids and clock where they were). Raises
        `StoreLost` on a store another instance found emptied."""
        with self._synced:
            self._write_whole = self._seen == 0
            if not self._write_whole:  # a store written before the id counter existed
                self.store.seed_ids(self._backend.next_id - 1)
            if self._reset_at is None:  # the first on an empty store: no reset yet
                self._reset_at = 0

    def _sync_in(self, stamp: Stamp | None, also: Collection[int] = ()) -> None:
        """Takes what other instances wrote since this one last looked (`stamp`: the
        store's, if the caller just read it), on the store this instance joined. `also`:
        these campaigns, the meta and the clock are read back whatever their version (what a
        refused commit changed here is put back as the store holds it)."""
        if stamp is None:
            stamp = self.store.stamp()
        self._check_epoch(stamp.epoch)
        version = stamp.version
        if version == self._seen and not also:
            return
        if version < self._seen:  # another store behind the same URL (emptied, replaced)
            version = self.store.version()
            if version < self._seen:
                self._seen = 0  # read it whole, as a newcomer would
        if version <= self._seen and not also:
            return
        changes = self.store.changes(self._seen, also)
        reset = self._reset_at is not None and changes.reset > self._reset_at
        if reset and not self._reset_pending:
            # Another instance reset the mock; the world is taken whole, under the lock every
            # operation of this instance holds (a read of the store whole after a failed
            # write is no reset: the reset's version says which).
            self._backend.simulation.reset()
        self._reset_at = changes.reset
        self._backend.apply_changes(
            WorldChanges(changes.campaigns, changes.meta), full=changes.full
        )
        if changes.clock is not None:
            self._clock.load_state(changes.clock)
        self._caught_up(changes.version)

    def _check_epoch(self, epoch: str | None) -> None:
        """The store's epoch is claimed by the first instance on it and kept by every write;
        one that differs from the epoch this instance joined means the store lost what this
        instance knows (emptied, or started afresh by `--state-reset`): ids it handed out
        would be handed out again (M-5), so it refuses every operation on the world until
        restarted. Finding it emptied, it leaves a mark, so an instance started there later
        refuses to start until told `--state-reset`. An instance that starts on an emptied
        store before any running one has looked cannot know: it starts afresh, and the
        running ones refuse from their next look (their ticker looks every second)."""
        if epoch is not None and epoch == self._epoch:
            return
        if self._epoch is None:  # joining: the store's epoch, or a new one if it has none
            epoch = epoch or self.store.claim_epoch(new_epoch())
            if not epoch.startswith(LOST):
                self._epoch = epoch
                return
            raise StoreLost(
                f"{self.store.label}: this store lost its data while instances served on "
                "it (emptied, or restarted without persistence); ids handed out before would "
                "be handed out again. Start one instance with --state-reset to begin afresh "
                "(its campaigns and ids are gone), then the others without it"
            )
        if epoch is None:
            self.store.claim_epoch(LOST + self._epoch)
        raise StoreLost(
            f"{self.store.label}: the store lost the data this instance served (it was "
            "emptied, or started afresh with --state-reset); this instance refuses to go on, "
            "so that no id is handed out twice. Restart it (on an emptied store, start one "
            "instance with --state-reset first: campaigns and ids begin again)"
        )

    def _sync_out(self) -> None:
        """Writes this operation's changes, if it made any (the first instance on an empty
        store: its whole world and clock)."""
        whole = self._write_whole
        changes = self._backend.export_changes(everything=whole)
        write = Write(
            campaigns=changes.campaigns,
            meta=changes.meta,
            clock=self._clock.state() if self._clock_dirty or whole else None,
            reset=self._reset_pending,
        )
        self._write_whole = False
        self._clock_dirty = False
        self._reset_pending = False
        if write:
            try:
                version = self.store.write(write)
            except BaseException:
                self._forget()
                raise
            self._caught_up(version)
            if write.reset:
                self._reset_at = self._seen

    def _discard(self) -> None:
        """A write to the whole world that failed midway (its store call raised): what it
        changed here is dropped, and the next look reads the store whole."""
        self._backend.export_changes()
        self._clock_dirty = self._reset_pending = False
        self._forget()

    def _caught_up(self, version: int) -> None:
        """This copy holds everything the store wrote up to `version`."""
        self._seen = version
        self._known = {i: v for i, v in self._known.items() if v > version}

    def _forget(self) -> None:
        """A write that may or may not have landed: the next look reads the store whole."""
        self._seen = 0
        self._known = {}

    # -- COMMITS: one campaign's operation, then one checked atomic step ---------------------

    def _commit(self, operation: Callable[[], T], *read: int) -> T:
        """Runs `operation` (which reads campaigns `read`, besides those it writes) on this
        copy and commits what it changed; if something it read was written meanwhile, the
        copy takes it and the operation runs again. A `CampaignError` is an answer too: it
        stands only if what it was decided on was current (a campaign another instance has
        just created is no 404)."""
        for _ in range(COMMIT_TRIES):
            with self._synced.alone() as outermost:
                if not outermost:
                    return operation()  # part of the write that holds the lock already
                try:
                    try:
                        result: T | None = operation()
                        refusal: CampaignError | None = None
                    except CampaignError as error:
                        result, refusal = None, error
                    landed = self._landed(read)
                except BaseException:
                    self._discard()  # whatever it changed here is read back whole
                    raise
                if landed:
                    if refusal is not None:
                        raise refusal
                    return result  # type: ignore[return-value]  # set when nothing was raised
        with self._synced:
            return operation()

    def _landed(self, read: tuple[int, ...]) -> bool:
        """Commits what the operation changed, checked against what it read; if the store
        refuses, this copy takes what was written since and puts back what it changed. If
        either raises, the caller discards this copy's changes (`_discard`)."""
        changes = self._backend.export_changes()
        touched = {*read, *changes.campaigns}
        seen = self._seen
        check = Check(
            self._epoch or "", seen, {i: max(seen, self._known.get(i, 0)) for i in touched}
        )
        write = Write(changes.campaigns, changes.meta)
        version = self.store.commit(write, check)
        if version is None:
            self._sync_in(None, touched)  # StoreLost if it was the epoch
            return False
        if version == seen + bool(write):  # nothing but this write since `seen`
            self._caught_up(version)
        else:
            self._known.update(dict.fromkeys(changes.campaigns, version))
        return True

    def _take_id(self) -> int:
        """A new campaign's id, from the store's counter; a create tried again keeps the id
        it took, unless the store was reset since."""
        held: tuple[int, int | None] | None = getattr(self._creating, "held", None)
        if held is not None and held[1] == self._reset_at:
            return held[0]
        ident = self.store.take_id(self._epoch or "")
        if ident is None:
            self._check_epoch(self.store.stamp().epoch)
            raise StoreLost(f"{self.store.label}: the store changed while an id was taken")
        self._creating.held = (ident, self._reset_at)
        return ident

    @contextmanager
    def _clock_moving(self) -> Iterator[None]:
        """Around each move of the clock: the store's clock first, this one written after."""
        with self._synced:
            yield
            self._clock_dirty = True

    # -- Keeper --------------------------------------------------------------------------

    def store_status(self) -> dict[str, object]:
        return {
            "state": self.store.label,
            "shared": True,
            "instance": self.instance,
            "sending": self._lease.leading,
            "lease_holder": self.store.lease_holder(),
            "version": self._seen,
        }

    def stop(self) -> None:
        """A clean stop: the sends' last checkpoint, the lease handed over at once, and this
        instance's addresses unregistered."""
        self._lease.stop()
        self.store.forget_listeners(self.instance)

    # -- LISTENERS ---------------------------------------------------------------------------

    def listening(self, at: Listener) -> None:
        self._listening.append(at)
        self._renew_listeners()

    def listeners(self) -> list[Listener]:
        return self.store.listeners(time.time())

    def _renew_listeners(self) -> None:
        until = time.time() + LISTENER_SECONDS
        for at in self._listening:
            self.store.register_listener(self.instance, at, until)
        self._renewed = time.monotonic()

    @property
    def leading(self) -> bool:
        """Whether this instance holds the sends' lease."""
        return self._lease.leading

    # -- COMMITS ---------------------------------------------------------------------------

    def create_campaign(self, fields: CampaignFields) -> Campaign:
        self._creating.held = None
        try:
            return self._commit(lambda: self._backend.create_campaign(fields))
        finally:
            self._creating.held = None

    def update_campaign(self, ident: int, fields: CampaignFields) -> Campaign:
        return self._commit(lambda: self._backend.update_campaign(ident, fields), ident)

    def delete_campaign(self, ident: int) -> Campaign:
        return self._commit(lambda: self._backend.delete_campaign(ident), ident)

    def set_payloads(self, ident: int, payloads: tuple[Channel, ...]) -> Campaign:
        return self._commit(lambda: self._backend.set_payloads(ident, payloads), ident)

    def force_state(self, ident: int, state: State) -> Campaign:
        return self._commit(lambda: self._backend.force_state(ident, state), ident)

    # -- WRITES ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Campaigns, ids, sends and sessions of every instance go; the store records a
        reset, so the others drop theirs too."""
        with self._synced:
            self._backend.reset()
            self.store.clear_sessions()
            self._reset_pending = True

    def load_fixtures(self, fixtures: Fixtures) -> None:
        with self._synced:
            self._backend.load_fixtures(fixtures)
            self.store.clear_sessions()
            self._reset_pending = True

    def configure_simulation(self, settings: SimulationSettings) -> None:
        with self._synced:
            self._backend.configure_simulation(settings)

    # -- READS ---------------------------------------------------------------------------

    def get_campaign(self, ident: int) -> Campaign:
        with self._synced.reading():
            return self._backend.get_campaign(ident)

    def campaigns(self) -> list[Campaign]:
        with self._synced.reading():
            return self._backend.campaigns()

    @property
    def fixtures(self) -> Fixtures:
        with self._synced.reading():
            return self._backend.fixtures

    # -- ON_HOLDER -------------------------------------------------------------------------

    def flush_callbacks(self) -> None:
        self._lease.on_holder(Flush())

    def abort_campaign(self, ident: int, reason: str) -> Campaign:
        answer = self._lease.on_holder(Abort(ident, reason))
        assert isinstance(answer, CampaignAnswer), answer
        return answer.value

    def redeliver(self, batch: int) -> Batch | None:
        answer = self._lease.on_holder(Redeliver(batch))
        assert isinstance(answer, BatchAnswer), answer
        return answer.value

    def callbacks_pending(self, until: float, wait: float) -> int | None:
        """Read where the sends run: a settling move on an instance without the lease waits
        for the holder's attempts, as the holder answers them."""
        return self._lease.pending(until, wait)

    # -- SESSIONS: in the store, so any instance knows every session ------------------------

    def login(self, username: str, password: str, now: float) -> str | None:
        if not self._backend.check_credentials(username, password):
            return None
        token = secrets.token_urlsafe(24)
        sessions = self._sessions
        self.store.open_session(token, username, time.time() + sessions.ttl, sessions.capacity)
        return token

    def session_user(self, token: str, now: float) -> str | None:
        return self.store.session_user(token, time.time())

    def logout(self, token: str) -> None:
        self.store.close_session(token)

    # -- LOCAL ---------------------------------------------------------------------------

    def check_credentials(self, username: str, password: str) -> bool:
        return self._backend.check_credentials(username, password)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def simulation(self) -> Simulation:
        return self._backend.simulation

    # -- COUNTER -------------------------------------------------------------------------

    @property
    def next_id(self) -> int:
        return self.store.last_id() + 1

    # -- TICKER --------------------------------------------------------------------------

    def tick(
        self,
        horizon: float | None = None,
        budget: int = CHUNK,
        pause: Callable[[], None] | None = None,
    ) -> None:
        if self._listening and time.monotonic() - self._renewed >= RENEW_LISTENERS:
            self._renew_listeners()
        self._lease.tick(horizon, budget, pause)
