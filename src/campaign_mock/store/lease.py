"""`SendsLease`: which instance on a store runs the sends, and what the others see of them."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.commands import Answer, Command, CountAnswer, Pending, Refused
from campaign_mock.domain.errors import ConflictError
from campaign_mock.domain.simulation import SavedSends, read_checkpoint
from campaign_mock.store.base import LEASE_SECONDS, StateStore, StoreLost
from campaign_mock.store.codec import StoreFormatError, encode, read
from campaign_mock.store.commands import COMMAND_WAIT, answer_commands, ask_holder, run_command
from campaign_mock.store.synced import SyncedLock
from campaign_mock.store.url import store_errors

#: Where a record the sends cannot use is reported (one line each; the store is named).
log = logging.getLogger("campaign_mock.store")

#: Real seconds between two checkpoints of the sends while they change, at least.
CHECKPOINT_EVERY = 1.0
#: A checkpoint that took `t` seconds waits `t * CHECKPOINT_SHARE` before the next: a big
#: send's checkpoints take at most a twentieth of the holder's time. At a tenth they were a
#: sixth of the mock's CPU in a 1,000,000-contact send on Redis (py-spy), and that send took
#: 21.9 and 22.7 s against 19.9 and 19.1 s at a twentieth (bench/sending.py, alternating).
CHECKPOINT_SHARE = 20
#: Real seconds between two renewals of the lease (a third of its life).
RENEW_EVERY = LEASE_SECONDS / 3


class SendsLease:
    """The sends of one instance's world (`backend`, kept in step by `synced`).

    Only the instance holding the sends' lease (`StateStore.hold_lease`) moves campaigns on
    (M-4), draws messages and delivers callbacks; it checkpoints them every
    `CHECKPOINT_EVERY` seconds. The others show that checkpoint (the delivery journal is at
    most that stale) and send it commands for what changes the sends (store/commands.py).
    When the holder dies, its lease expires and another instance resumes from the
    checkpoint: sends that began after it restart from their first message, and
    acknowledged batches are never sent again.

    The world's simulation is touched only under `synced`, which every operation of this
    instance on the world holds: that is what keeps it consistent, as the backend's own
    lock does in memory.
    """

    def __init__(
        self, store: StateStore, backend: CampaignBackend, synced: SyncedLock, instance: str
    ) -> None:
        self._store = store
        self._backend = backend
        self._synced = synced
        self.instance = instance
        #: Whether this instance holds the lease, so runs the sends.
        self.leading = False
        self._renewed = 0.0
        self._keeping = threading.Lock()
        self._checkpointed = 0.0
        self._checkpoint_gap = CHECKPOINT_EVERY
        self._signature: tuple[int, ...] = ()
        self._replica_version = 0
        self._refusal: str | None = None  # the last unreadable record the ticker reported
        #: The holder's: the mock time up to which its sends have released every window,
        #: so what is due by then is in its outbox (`pending`).
        self.reached = float("-inf")
        backend.simulation.outbox.paused = True  # until this instance holds the lease

    def tick(self, horizon: float | None, budget: int, pause: Callable[[], None] | None) -> None:
        """Keeps or takes the lease; the holder runs the sends, the others show its
        checkpoint. A record it cannot read is one logged line (once while it lasts), not a
        traceback: the requests that meet it answer 503. On a store that lost its data
        (`StoreLost`) this instance stops sending and leaves the lease alone."""
        try:
            self._tick(horizon, budget, pause)
        except (StoreFormatError, StoreLost) as error:
            if isinstance(error, StoreLost) and self.leading:
                self._step_down()
            if str(error) != self._refusal:
                log.error("campaign-mock: the sends wait: %s", error)
                self._refusal = str(error)
        else:
            self._refusal = None

    def on_holder(self, command: Command) -> Answer:
        """Runs a change to the sends where they are: here, or on the lease holder."""
        if self.leading:
            answer = run_command(command, self._backend, self._synced, self.reached)
            self._checkpoint(force=True)
        else:
            asked = ask_holder(self._store, command)
            if asked is None:
                raise ConflictError(
                    f"no instance answered for the sends within {COMMAND_WAIT:.0f} s; try again",
                    {},
                )
            answer = asked
            self._replica_version = -1  # show the holder's newer checkpoint at the next tick
        if isinstance(answer, Refused):
            raise answer.error()
        return answer

    def pending(self, until: float, wait: float) -> int | None:
        """Callback attempts due at `until` the sends have yet to make: this instance's
        outbox when it holds them, else the holder's answer (within `wait` real seconds);
        None while the sends have not reached `until`, or no holder answered."""
        if self.leading:
            return self._backend.callbacks_pending(until) if self.reached >= until else None
        answer = ask_holder(self._store, Pending(until), wait)
        return answer.value if isinstance(answer, CountAnswer) else None

    def stop(self) -> None:
        """A clean stop: a last checkpoint, then the lease goes at once."""
        if self.leading:
            try:
                self._checkpoint(force=True)
            except StoreFormatError as error:  # a record it cannot read: the last one stands
                log.error("campaign-mock: no last checkpoint: %s", error)
            self._store.release_lease(self.instance)
            self.leading = False

    # -- the ticker --------------------------------------------------------------------------

    def _tick(self, horizon: float | None, budget: int, pause: Callable[[], None] | None) -> None:
        self._keep_lease()
        if not self.leading:
            self._follow()
            return
        if answer_commands(self._store, self._backend, self._synced, self.reached):
            self._checkpoint(force=True)
        if self._has_work():
            self._send(horizon, budget, pause)
        self._checkpoint()

    def _send(self, horizon: float | None, budget: int, pause: Callable[[], None] | None) -> None:
        """`CampaignBackend.tick`'s steps, with the store's lock only where campaigns change
        (sends that start or end): drawing messages touches nothing another instance reads,
        so a million contacts cost no round trip per chunk. Each chunk holds the process's
        lock only (a read's hold would ask the store's version first: 10,000 round trips for
        a million contacts); what other instances wrote meanwhile comes in at the end."""
        backend, synced, clock = self._backend, self._synced, self._backend.clock
        with synced:
            begun = clock.now()
            backend.start_due(begun)
        more = True
        while more:
            with synced.alone():
                more = backend.advance_sends(clock.now(), horizon, budget)
            if more and pause is not None:
                pause()
        with synced:
            now = clock.now()
            backend.start_due(now)
            backend.end_sends(now)
        self.reached = begun  # every window closed by then is released

    def _has_work(self) -> bool:
        """Sends in progress or a campaign due: only then the tick takes the store's lock."""
        with self._synced.reading():  # brings in campaigns made READY elsewhere
            now = self._backend.clock.now()
            if self._backend.sends_pending(now):
                return True
        self.reached = now  # nothing left to draw: what is due by now is in the outbox
        return False

    def _keep_lease(self) -> None:
        """One thread at a time (the ticker, a clock move's tick): two holding the lease at
        once could each see the other's hold as another instance's (Redis) and step down."""
        with self._keeping:
            now = time.monotonic()
            if now - self._renewed < RENEW_EVERY:
                return
            self._renewed = now
            with self._synced.reading():
                pass  # the store is still the one joined (StoreLost if not): its lease is ours
            held = self._store.hold_lease(self.instance)
            if held and not self.leading:
                self._take_over()
            elif not held and self.leading:
                self._step_down()  # another instance took it: it resumes from the checkpoint

    def _step_down(self) -> None:
        self.leading = False
        outbox = self._backend.simulation.outbox
        outbox.paused = True
        outbox.on_acknowledged = None

    def _take_over(self) -> None:
        """Becomes the holder: resumes the last checkpoint and every send it lacks."""
        backend, store = self._backend, self._store
        with self._synced:
            if self.leading:  # another thread of this instance took it over meanwhile
                return
            saved = store.load_checkpoint()
            record = None if saved is None else self._checkpoint_record(saved[1])
            if record is not None:
                backend.simulation.restore(record, backend.fixtures, resume=True)
            else:  # none, or one it cannot read: the sends start again (take_up_orphans)
                backend.simulation.reset()
            backend.take_up_orphans()
            outbox = backend.simulation.outbox
            with outbox.lock:
                outbox.adopt_acknowledged(store.acknowledged())
            outbox.on_acknowledged = self._acknowledged
            outbox.paused = False
            self.leading = True
        self._checkpoint(force=True)

    def _acknowledged(self, key: bytes) -> None:
        """Each acknowledgment is recorded as it comes, so a takeover never resends it; if
        the store cannot take it, a crash before the next one may repeat that batch."""
        with contextlib.suppress(*store_errors()):
            self._store.acknowledge(key)

    def _follow(self) -> None:
        """Not the holder: the world and the holder's last checkpoint, for reading."""
        store = self._store
        with self._synced.reading():
            if self.leading:
                # Another thread of this instance (the ticker, a clock move's tick) took the
                # lease since this one looked: its sends are the world's, and the checkpoint
                # is older than them (restored, it lost a send just started: SENDING for ever).
                return
            version = store.checkpoint_version()
            if version != self._replica_version:
                saved = store.load_checkpoint()
                if saved is not None:
                    record = self._checkpoint_record(saved[1])
                    if record is not None:
                        self._backend.simulation.restore(
                            record, self._backend.fixtures, resume=False
                        )
                    self._replica_version = saved[0]  # an unreadable one is reported once

    def _checkpoint_record(self, blob: bytes) -> SavedSends | None:
        """The checkpoint, read back whole; None (and one logged line) if it is not one
        this campaign-mock reads: nothing in it is run, and it is not used."""
        store = self._store
        try:
            return read("checkpoint", blob, read_checkpoint, store.where("checkpoint"), store.fresh)
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
            simulation = self._backend.simulation
            signature = simulation.signature()
            if not force and signature == self._signature:
                return
            record = simulation.checkpoint()
        # Packing reads only the record, a copy: the sends go on meanwhile.
        blob = encode("checkpoint", record)
        if self._store.save_checkpoint(self.instance, blob):
            self._signature = signature
            self._checkpointed = now
        took = time.monotonic() - now
        self._checkpoint_gap = max(CHECKPOINT_EVERY, took * CHECKPOINT_SHARE)
