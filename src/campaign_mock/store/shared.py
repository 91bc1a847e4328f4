"""`StoredBackend`: the in-memory backend, kept in step with a store several instances share.

Every operation runs under `SyncedLock`: the process's lock, then (for a write) the store's
exclusive lock; the instance first reads what others wrote since its last version, then
writes back what it changed. Reads check the version only (one cheap read) and fetch just
the campaigns changed since.

Only the instance holding the sends' lease (`StateStore.hold_lease`) moves campaigns on
(M-4), draws messages and delivers callbacks; it checkpoints them every `CHECKPOINT_EVERY`
seconds. The others show that checkpoint (the delivery journal is at most that stale) and
send it commands for what changes the sends. When the holder dies, its lease expires and
another instance resumes from the checkpoint: sends that began after it restart from their
first message. Nothing is lost; what was delivered after the checkpoint is delivered again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.commands import (
    Abort,
    Answer,
    BatchAnswer,
    CampaignAnswer,
    Command,
    Done,
    Flush,
    Redeliver,
    Refused,
    answer_from_record,
    answer_to_record,
    command_from_record,
    command_to_record,
)
from campaign_mock.domain.deliveries import Batch
from campaign_mock.domain.errors import CampaignError, ConflictError
from campaign_mock.domain.models import Campaign, Fixtures, State
from campaign_mock.domain.reading import RecordError
from campaign_mock.domain.sessions import Sessions
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import CHUNK, SavedSends, read_checkpoint
from campaign_mock.store.base import LEASE_SECONDS, StateStore, Write
from campaign_mock.store.codec import StoreFormatError, decode, encode, read
from campaign_mock.store.url import store_errors

#: Where a record the sends cannot use is reported (one line each; the store is named).
log = logging.getLogger("campaign_mock.store")

#: Real seconds between two checkpoints of the sends while they change, at least.
CHECKPOINT_EVERY = 1.0
#: A checkpoint that took `t` seconds waits `t * CHECKPOINT_SHARE` before the next.
CHECKPOINT_SHARE = 10
#: Real seconds between two renewals of the lease (a third of its life).
RENEW_EVERY = LEASE_SECONDS / 3
#: Real seconds an instance waits for the lease holder to answer a command.
COMMAND_WAIT = 10.0


class SyncedLock:
    """The backend's lock, reaching every instance on the store (see the module docstring).

    Reentrant like the RLock it replaces; only the outermost hold talks to the store.
    """

    def __init__(self, backend: StoredBackend) -> None:
        self._backend = backend
        self._lock = threading.RLock()
        self._local = threading.local()  # this thread's depth, and whether it only reads
        self._store_hold: Any = None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Holds the lock for a read: the world is brought up to date, nothing is written.

        The version is read before the process's lock is taken, so reads of a current world
        never queue behind another thread's round trip to the store.
        """
        local = self._local
        outermost = not getattr(local, "depth", 0)
        version = self._backend.store.version() if outermost else None
        previous = getattr(local, "reading", False)
        local.reading = True
        local.version = version
        try:
            with self:
                yield
        finally:
            local.reading = previous

    def __enter__(self) -> None:
        self._lock.acquire()
        local = self._local
        local.depth = getattr(local, "depth", 0) + 1
        if local.depth > 1:
            return
        try:
            if getattr(local, "reading", False):
                self._backend.sync_in(local.version)
            else:
                self._store_hold = self._backend.store.locked()
                self._store_hold.__enter__()
                self._backend.sync_in()
        except BaseException:
            self._leave(None, None, None)
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._leave(kind, error, trace)

    def _leave(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        local = self._local
        try:
            if local.depth == 1 and self._store_hold is not None:
                hold, self._store_hold = self._store_hold, None
                try:
                    if kind is None or issubclass(kind, CampaignError):
                        self._backend.sync_out()
                finally:
                    hold.__exit__(kind, error, trace)
        finally:
            local.depth -= 1
            if not local.depth:
                local.reading = False
            self._lock.release()


class SharedClock(MockClock):
    """The mock's clock, the same on every instance: each move is written to the store."""

    def attach(self, backend: StoredBackend) -> None:
        self._backend = backend

    def _moved(self, move: Callable[[], Any]) -> Any:
        backend: StoredBackend | None = getattr(self, "_backend", None)
        if backend is None:
            return move()
        with backend.lock:
            result = move()
            backend.clock_moved()
            return result

    def set(self, now: float) -> None:
        self._moved(lambda: MockClock.set(self, now))

    def advance(self, seconds: float) -> float:
        return float(self._moved(lambda: MockClock.advance(self, seconds)))

    def freeze(self) -> None:
        self._moved(lambda: MockClock.freeze(self))

    def resume(self) -> None:
        self._moved(lambda: MockClock.resume(self))

    def reset(self) -> None:
        self._moved(lambda: MockClock.reset(self))

    def set_speed(self, speed: float) -> None:
        self._moved(lambda: MockClock.set_speed(self, speed))


class StoredBackend(CampaignBackend):
    """A `CampaignBackend` whose state lives in `store`, shared with other instances."""

    def __init__(
        self,
        store: StateStore,
        fixtures: Fixtures,
        clock: SharedClock,
        settings: SimulationSettings | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        super().__init__(fixtures, clock, settings, sessions)
        self.track_changes()
        self.store = store
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.requests_catch_up = False  # only the lease holder moves campaigns on
        self.simulation.outbox.paused = True  # until this instance holds the lease
        self._synced = SyncedLock(self)
        self._lock = self._synced
        self._seen = 0
        self._clock_dirty = False
        self._reset_pending = False
        self._leading = False
        self._renewed = 0.0
        self._checkpointed = 0.0
        self._checkpoint_gap = CHECKPOINT_EVERY
        self._signature: tuple[int, ...] = ()
        self._replica_version = 0
        self._refusal: str | None = None  # the last unreadable record the ticker reported
        self._shared_clock = clock
        clock.attach(self)
        self._join()

    # -- joining and synchronising -----------------------------------------------------

    def _join(self) -> None:
        """The first instance writes its fixtures, settings and clock; later ones take the
        store's (a restart finds its campaigns, ids and clock where they were)."""
        with self._synced:
            if self._seen == 0:
                self._meta_changed = True
                self._clock_dirty = True

    def store_status(self) -> dict[str, object]:
        return {
            "state": self.store.label,
            "shared": True,
            "instance": self.instance,
            "sending": self._leading,
            "lease_holder": self.store.lease_holder(),
            "version": self._seen,
        }

    @property
    def leading(self) -> bool:
        """Whether this instance holds the sends' lease."""
        return self._leading

    def sync_in(self, version: int | None = None) -> None:
        """Takes what other instances wrote since this one last looked (`version`: the
        store's, if the caller just read it)."""
        if version is None:
            version = self.store.version()
        if version == self._seen:
            return
        if version < self._seen:  # another store behind the same URL (emptied, replaced)
            version = self.store.version()
            if version < self._seen:
                self._seen = 0  # read it whole, as a newcomer would
        if version <= self._seen:
            return
        changes = self.store.changes(self._seen)
        if changes.full:
            if self._seen and not self._reset_pending:
                self.simulation.reset()  # another instance reset the mock
            self.forget_campaigns()
        self.adopt(changes.campaigns, changes.meta)
        if changes.clock is not None:
            MockClock.load_state(self._shared_clock, changes.clock)
        self._seen = changes.version

    def sync_out(self) -> None:
        """Writes this operation's changes, if it made any."""
        campaigns, meta = self.take_changes()
        clock = self._shared_clock.state() if self._clock_dirty else None
        write = Write(
            campaigns=campaigns,
            meta=self.world_meta() if meta else None,
            clock=clock,
            reset=self._reset_pending,
        )
        self._clock_dirty = False
        self._reset_pending = False
        if write:
            self._seen = self.store.write(write)

    def clock_moved(self) -> None:
        self._clock_dirty = True

    # -- reads: the version, not the store's lock --------------------------------------

    def get_campaign(self, ident: int) -> Campaign:
        with self._synced.reading():
            return super().get_campaign(ident)

    def campaigns(self) -> list[Campaign]:
        with self._synced.reading():
            return super().campaigns()

    # check_credentials reads this instance's fixtures without asking the store: they change
    # only with PUT /_mock/fixtures, and the ticker brings them in within TICK_SECONDS.

    @property
    def fixtures(self) -> Fixtures:
        with self._synced.reading():
            return self._fixtures

    # -- sessions: in the store, so any instance knows every session --------------------

    def login(self, username: str, password: str, now: float) -> str | None:
        if not self.check_credentials(username, password):
            return None
        token = secrets.token_urlsafe(24)
        sessions = self._sessions
        self.store.open_session(token, username, time.time() + sessions.ttl, sessions.capacity)
        return token

    def session_user(self, token: str, now: float) -> str | None:
        return self.store.session_user(token, time.time())

    def logout(self, token: str) -> None:
        self.store.close_session(token)

    def reset(self) -> None:
        with self._synced:
            super().reset()
            self.store.clear_sessions()
            self._reset_pending = True

    # -- the sends: the lease holder's ------------------------------------------------

    def flush_callbacks(self) -> None:
        self._on_holder(Flush())

    def abort_campaign(self, ident: int, reason: str) -> Campaign:
        answer = self._on_holder(Abort(ident, reason))
        assert isinstance(answer, CampaignAnswer), answer
        return answer.value

    def redeliver(self, batch: int) -> Batch | None:
        answer = self._on_holder(Redeliver(batch))
        assert isinstance(answer, BatchAnswer), answer
        return answer.value

    def tick(
        self,
        horizon: float | None = None,
        budget: int = CHUNK,
        pause: Callable[[], None] | None = None,
    ) -> None:
        """The ticker: keeps or takes the lease; the holder runs the sends, the others show
        its checkpoint. A record it cannot read is one logged line (once while it lasts),
        not a traceback: the requests that meet it answer 503."""
        try:
            self._tick(horizon, budget, pause)
        except StoreFormatError as error:
            if str(error) != self._refusal:
                log.error("campaign-mock: the sends wait: %s", error)
                self._refusal = str(error)
        else:
            self._refusal = None

    def _tick(self, horizon: float | None, budget: int, pause: Callable[[], None] | None) -> None:
        self._keep_lease()
        if not self._leading:
            self._follow()
            return
        self._run_commands()
        if self._has_work():
            self._send(horizon, budget, pause)
        self._checkpoint()

    def _send(self, horizon: float | None, budget: int, pause: Callable[[], None] | None) -> None:
        """`CampaignBackend.tick`, with the store's lock only where campaigns change (sends
        that start or end): drawing messages touches nothing another instance reads, so a
        million contacts cost no round trip per chunk."""
        with self._synced:
            self._start_due(self.clock.now())
        more = True
        while more:
            with self._synced.reading():
                now = self.clock.now()
                more = self.simulation.advance(now, max(now, horizon or now), budget)
            if more and pause is not None:
                pause()
        with self._synced:
            now = self.clock.now()
            self._start_due(now)
            self._end_sends(now)

    def _has_work(self) -> bool:
        """Sends in progress or a campaign due: only then the tick takes the store's lock."""
        with self._synced.reading():  # brings in campaigns made READY elsewhere
            return bool(self.simulation.sending()) or self.due_by(self.clock.now())

    def stop(self) -> None:
        """A clean stop: a last checkpoint, then the lease goes at once."""
        if self._leading:
            try:
                self._checkpoint(force=True)
            except StoreFormatError as error:  # a record it cannot read: the last one stands
                log.error("campaign-mock: no last checkpoint: %s", error)
            self.store.release_lease(self.instance)
            self._leading = False

    def _keep_lease(self) -> None:
        now = time.monotonic()
        if now - self._renewed < RENEW_EVERY:
            return
        self._renewed = now
        held = self.store.hold_lease(self.instance)
        if held and not self._leading:
            self._take_over()
        elif not held and self._leading:
            self._leading = False  # another instance took it: it resumes from the checkpoint
            self.simulation.outbox.paused = True
            self.simulation.outbox.on_acknowledged = None

    def _take_over(self) -> None:
        """Becomes the holder: resumes the last checkpoint and every send it lacks."""
        with self._synced:
            saved = self.store.load_checkpoint()
            record = None if saved is None else self._checkpoint_record(saved[1])
            if record is not None:
                self.simulation.restore(record, self._fixtures, resume=True)
            else:  # none, or one it cannot read: the sends start again (_restart_orphans)
                self.simulation.reset()
            self._restart_orphans()
            outbox = self.simulation.outbox
            with outbox.lock:
                outbox.adopt_acknowledged(self.store.acknowledged())
            outbox.on_acknowledged = self._acknowledged
            outbox.paused = False
            self._leading = True
        self._checkpoint(force=True)

    def _acknowledged(self, key: bytes) -> None:
        """Each acknowledgment is recorded as it comes, so a takeover never resends it; if
        the store cannot take it, a crash before the next one may repeat that batch."""
        with contextlib.suppress(*store_errors()):
            self.store.acknowledge(key)

    def _restart_orphans(self) -> None:
        """SENDING campaigns the checkpoint has no send for (their holder died before it
        checkpointed them): each starts again from its first message, at its start."""
        for campaign in self._campaigns.values():
            if campaign.state is State.SENDING and not self.simulation.has_job(campaign.id):
                started = next(
                    (t.at for t in reversed(campaign.history) if t.state is State.SENDING),
                    self.clock.now(),
                )
                self.simulation.start(campaign, self._fixtures, started)

    def _follow(self) -> None:
        """Not the holder: the world and the holder's last checkpoint, for reading."""
        with self._synced.reading():
            version = self.store.checkpoint_version()
            if version != self._replica_version:
                saved = self.store.load_checkpoint()
                if saved is not None:
                    record = self._checkpoint_record(saved[1])
                    if record is not None:
                        self.simulation.restore(record, self._fixtures, resume=False)
                    self._replica_version = saved[0]  # an unreadable one is reported once

    def _checkpoint_record(self, blob: bytes) -> SavedSends | None:
        """The checkpoint, read back whole; None (and one logged line) if it is not one
        this campaign-mock reads: nothing in it is run, and it is not used."""
        store = self.store
        where = store.where("checkpoint")
        try:
            return read("checkpoint", blob, read_checkpoint, where, store.fresh)
        except StoreFormatError as error:
            log.error("campaign-mock: the sends' checkpoint is not used: %s", error)
            return None

    def _checkpoint(self, *, force: bool = False) -> None:
        """Publishes the sends; at most every `CHECKPOINT_EVERY` seconds, and for a big send
        (a million contacts halfway pack in about 0.15 s, bench/checkpoint.py) rarely enough
        that checkpoints take at most 1/CHECKPOINT_SHARE of the time. An older checkpoint
        costs a takeover only work done again: acknowledgments are recorded as they come, so
        nothing is sent twice."""
        now = time.monotonic()
        if not force and now - self._checkpointed < self._checkpoint_gap:
            return
        with self._synced.reading():
            signature = self.simulation.signature()
            if not force and signature == self._signature:
                return
            record = self.simulation.checkpoint()
        # Packing reads only the record, a copy: the sends go on meanwhile.
        blob = encode("checkpoint", record)
        if self.store.save_checkpoint(self.instance, blob):
            self._signature = signature
            self._checkpointed = now
        took = time.monotonic() - now
        self._checkpoint_gap = max(CHECKPOINT_EVERY, took * CHECKPOINT_SHARE)

    def _on_holder(self, command: Command) -> Answer:
        """Runs a change to the sends where they are: here, or on the lease holder."""
        if self._leading:
            answer = self._run(command)
            self._checkpoint(force=True)
        else:
            ident = self.store.send_command(encode("command", command_to_record(command)))
            found = self.store.wait_answer(ident, COMMAND_WAIT)
            if found is None:
                raise ConflictError(
                    f"no instance answered for the sends within {COMMAND_WAIT:.0f} s; try again",
                    {},
                )
            store = self.store
            where = store.where("answer", ident)
            answer = read("answer", found, answer_from_record, where, store.fresh)
            self._replica_version = -1  # show the holder's newer checkpoint at the next tick
        if isinstance(answer, Refused):
            raise answer.error()
        return answer

    def _run(self, command: Command) -> Answer:
        """One command of the closed set, on this instance's sends (the in-memory backend's
        operation: this instance holds them)."""
        try:
            if isinstance(command, Flush):
                CampaignBackend.flush_callbacks(self)
                return Done()
            if isinstance(command, Abort):
                return CampaignAnswer(
                    CampaignBackend.abort_campaign(self, command.campaign, command.reason)
                )
            return BatchAnswer(CampaignBackend.redeliver(self, command.batch))
        except CampaignError as error:
            return Refused.of(error)

    def _run_commands(self) -> None:
        ran = False
        store = self.store
        try:
            for ident, blob in store.take_commands():
                where = store.where("command", ident)
                try:
                    command = command_from_record(decode("command", blob, where, store.fresh))
                except (StoreFormatError, RecordError) as error:
                    # Refused, never run; its asker (if any) hears why rather than waiting.
                    said = (
                        str(error) if isinstance(error, StoreFormatError) else f"{where}: {error}"
                    )
                    log.error("campaign-mock: a command is refused: %s", said)
                    reason = f"the sending instance cannot read this command: {said}"
                    store.answer(
                        ident, encode("answer", answer_to_record(Refused("invalid", reason, {})))
                    )
                    continue
                store.answer(ident, encode("answer", answer_to_record(self._run(command))))
                ran = True
        except StoreFormatError as error:
            log.error("campaign-mock: %s", error)
        if ran:
            self._checkpoint(force=True)
