"""What a shared store keeps for the mock, and the one interface SQLite and Redis implement.

The world (campaigns, fixtures, settings, the clock) is written record by record; every
write bumps one version, so an instance that sees the version it last read knows its copy
is current, and one that does not reads just the campaigns changed since. A write to one
campaign is a `commit`: one atomic step (a Lua script, a short `BEGIN IMMEDIATE`) that
lands only if nothing it read was written since, so writes to different campaigns never
wait for each other; ids come from a counter (`take_id`). Writes to the whole world (a
reset, fixtures, settings, a move of the clock) and the sends' starts and ends hold the
store's exclusive lock (SQLite `BEGIN IMMEDIATE`, a redis-py `Lock`) instead. Sessions are
single atomic operations. The sends (jobs, callback outbox, delivery journal) belong to the
instance holding the lease; it publishes them as a checkpoint, which another instance
resumes from when the lease passes to it. Instances that do not hold it send it commands
(flush, abort, redeliver) and wait for the answer.

Records are data, never code: each value is a versioned msgpack envelope (store/codec.py,
docs/scaling.md "What the store holds"), read back field by field. A value that is not such
a record (a pickle of an older campaign-mock, an unknown version, anything planted) is
refused with a `StoreFormatError` naming where it was found; reading it runs nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Protocol

from campaign_mock.domain.clock import ClockState
from campaign_mock.domain.listening import Listener
from campaign_mock.domain.models import Campaign
from campaign_mock.domain.world import WorldMeta

#: Real seconds a lease lasts unless renewed: how long the sends wait after their holder dies.
LEASE_SECONDS = 3.0
#: Real seconds any one call to the store may take (`serve --store-timeout`) before the
#: request fails with a 503: a stalled store stalls no request for longer.
STORE_TIMEOUT = 5.0
#: The epoch an instance that found its store emptied leaves there, before its own: a new
#: instance refuses to start on it until told `--state-reset`.
LOST = "lost:"
#: Real seconds an instance's listening address stays registered unless renewed: how long
#: callbacks to a killed instance's port stay refused (a clean stop removes it at once).
LISTENER_SECONDS = 60.0


@dataclass(slots=True, frozen=True)
class Changes:
    """What the store holds beyond `since`: changed campaigns (None: deleted) and, if they
    changed, the world's meta and clock. `full`: a reset happened (or `since` was 0), so
    `campaigns` is every campaign and the reader drops the ones it has first. `reset`: the
    version of the last reset (0: none)."""

    version: int
    full: bool
    campaigns: dict[int, Campaign | None]
    meta: WorldMeta | None
    clock: ClockState | None
    reset: int = 0


@dataclass(slots=True, frozen=True)
class Write:
    """One synchronised operation's changes, written atomically with a version bump."""

    campaigns: dict[int, Campaign | None]
    meta: WorldMeta | None = None
    clock: ClockState | None = None
    reset: bool = False

    def __bool__(self) -> bool:
        return bool(self.campaigns) or self.meta is not None or self.clock is not None or self.reset


@dataclass(slots=True, frozen=True)
class Check:
    """What an optimistic write read, for `StateStore.commit`: the store it joined
    (`epoch`), the version its copy is current to (`seen`: no reset, meta or clock written
    after it) and, for each campaign it read or wrote, the version its copy of that
    campaign is current to (`campaigns`: not written after it)."""

    epoch: str
    seen: int
    campaigns: dict[int, int]


@dataclass(slots=True, frozen=True)
class Stamp:
    """The store's epoch (None: never claimed, or emptied since) and its version, read
    together in one round trip."""

    epoch: str | None
    version: int


def with_ids(meta: WorldMeta, last_id: int | str | bytes | None) -> WorldMeta:
    """The meta as a store read it, its next id from the store's id counter if it has one
    (the record's own is what it was when the meta was last written)."""
    if last_id is None:
        return meta
    return replace(meta, next_id=int(last_id) + 1)


def new_epoch() -> str:
    """A store's epoch: random, so no two starts of a store share one."""
    return secrets.token_hex(8)


class StoreUrlError(ValueError):
    """A `--state` value that names no store, or one that cannot be opened; one line."""


class StoreLost(Exception):
    """The store is not the one this instance joined: emptied (FLUSHALL, a Redis restarted
    without persistence, its rows deleted) or started afresh by another instance. Serving
    on would hand out ids already handed out (M-5), so the instance refuses."""


class StateStore(Protocol):
    """A place several mock processes share; every method is safe from any thread."""

    #: The `--state` URL, without a password.
    label: str
    #: How to start afresh on this store (delete the file, the keys): for error messages.
    fresh: str
    #: Real seconds any one call may take (`--store-timeout`); past it, it raises.
    timeout: float

    def where(self, kind: str, ident: int = 0) -> str:
        """Where a record of `kind` ("checkpoint", "command" or "answer", with the command's
        id) is kept, naming the store, for an error message."""
        ...

    def locked(self) -> AbstractContextManager[None]:
        """Exclusive across every process on this store, for a read-modify-write."""
        ...

    def version(self) -> int:
        """The version of the last write (0: nothing written yet); one cheap read."""
        ...

    def stamp(self) -> Stamp:
        """The epoch and the version, in the one cheap read `version` costs."""
        ...

    def claim_epoch(self, epoch: str) -> str:
        """Sets the epoch if the store has none; returns the one it holds now."""
        ...

    def start_epoch(self, epoch: str) -> None:
        """Empties every record of the mock here and sets a new epoch (`--state-reset`)."""
        ...

    def changes(self, since: int, also: Collection[int] = ()) -> Changes:
        """Everything written after version `since`, read atomically. `also`: these
        campaigns (None if absent), the meta and the clock whatever their version: what an
        operation whose commit was refused changed in its copy, put back."""
        ...

    def write(self, write: Write) -> int:
        """Writes the changes and returns the new version; inside `locked()`."""
        ...

    def commit(self, write: Write, check: Check) -> int | None:
        """Writes the changes, with one version bump, only if nothing `check` read has been
        written since (and, on Redis, no instance holds `locked()`: it waits for it), in one
        atomic step, without `locked()`. Returns the store's version after it (the current
        one if `write` is empty), or None if something read was written since or the
        store's epoch is not `check.epoch` (the caller looks which)."""
        ...

    def take_id(self, epoch: str) -> int | None:
        """The next campaign id, from the store's counter (never handed out twice, from 1
        after a reset); None if the store's epoch is not `epoch`."""
        ...

    def seed_ids(self, last: int) -> None:
        """Starts the id counter, if the store has none yet (written before the counter
        existed), after `last` and every campaign id the store holds or deleted."""
        ...

    def last_id(self) -> int:
        """The last campaign id handed out (0: none)."""
        ...

    # -- sessions (V-5) ---------------------------------------------------------

    def open_session(self, token: str, username: str, ends_at: float, capacity: int) -> None:
        """Stores a session; past `capacity`, the oldest end."""
        ...

    def session_user(self, token: str, now: float) -> str | None: ...

    def close_session(self, token: str) -> None: ...

    def clear_sessions(self) -> None: ...

    # -- the sends: a lease, a checkpoint, commands -------------------------------

    def hold_lease(self, holder: str, seconds: float = LEASE_SECONDS) -> bool:
        """Takes the sends' lease, or renews it if `holder` has it; False if another does."""
        ...

    def release_lease(self, holder: str) -> None:
        """Gives the lease up at once (a clean stop), so another instance need not wait."""
        ...

    def lease_holder(self) -> str | None: ...

    def save_checkpoint(self, holder: str, blob: bytes) -> bool:
        """Publishes the sends' state if `holder` still holds the lease; False if not."""
        ...

    def checkpoint_version(self) -> int: ...

    def load_checkpoint(self) -> tuple[int, bytes] | None: ...

    def acknowledge(self, key: bytes) -> None:
        """Records that the batch with this key was acknowledged (C-4: never sent again)."""
        ...

    def acknowledged(self) -> set[bytes]:
        """Every batch key recorded since the last reset."""
        ...

    def send_command(self, blob: bytes) -> int:
        """Queues a command for the lease holder; returns its id."""
        ...

    def take_commands(self) -> Iterator[tuple[int, bytes]]:
        """Commands queued so far, oldest first, each handed out once."""
        ...

    def answer(self, ident: int, blob: bytes) -> None: ...

    def wait_answer(self, ident: int, timeout: float) -> bytes | None:
        """The answer to command `ident`, waiting up to `timeout` real seconds."""
        ...

    # -- where the instances listen (delivery/policy.py refuses callbacks to each) --------

    def register_listener(self, instance: str, at: Listener, until: float) -> None:
        """Records (or renews) that `instance` listens `at` until `until` (Unix seconds);
        drops the entries past their time."""
        ...

    def forget_listeners(self, instance: str) -> None:
        """`instance` stops cleanly: its addresses go at once."""
        ...

    def listeners(self, now: float) -> list[Listener]:
        """Every registered address still in its time at `now`."""
        ...

    # -- the request journal, one for every instance (core/journal.py's JournalStore) ------

    def journal_append(self, entries: list[str], capacity: int) -> None:
        """Appends JSON entries (numbered by the store, in order), keeping the newest
        `capacity`."""
        ...

    def journal_entries(self) -> list[tuple[int, str]]: ...

    def journal_clear(self) -> None: ...

    def close(self) -> None: ...
