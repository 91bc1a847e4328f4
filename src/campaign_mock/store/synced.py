"""`SyncedLock`: a process's lock on its copy of a world that reaches every instance on a store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType

from campaign_mock.domain.errors import CampaignError
from campaign_mock.store.base import Stamp, StateStore


class SyncedLock:
    """Held for a write to the whole world (`with lock:`): the process's lock, then the
    store's exclusive lock; on entry the copy takes what other instances wrote (`sync_in`),
    on a clean exit (or one by a `CampaignError`, whose changes stand) it writes back what
    it changed (`sync_out`).

    Held for one campaign's operation (`with lock.alone():`): the process's lock only; the
    operation commits its changes itself (`StateStore.commit`).

    Held for a read (`with lock.reading():`): the process's lock, and the copy brought up to
    date; nothing is written and the store's lock is not taken. Reentrant; only the
    outermost hold talks to the store. The process's lock is waited for at most the store's
    timeout (its holder may be in a stalled call itself): a request fails, it never hangs.
    """

    def __init__(
        self,
        store: StateStore,
        sync_in: Callable[[Stamp | None], None],
        sync_out: Callable[[], None],
        discard: Callable[[], None],
    ) -> None:
        self._store = store
        self._sync_in = sync_in
        self._sync_out = sync_out
        self._discard = discard
        self._lock = threading.RLock()
        self._local = threading.local()  # this thread's depth, and whether it only reads
        self._store_hold: AbstractContextManager[None] | None = None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Holds the lock for a read: the world is brought up to date, nothing is written.

        The version (and epoch) is read before the process's lock is taken, so reads of a
        current world never queue behind another thread's round trip to the store.
        """
        local = self._local
        outermost = not getattr(local, "depth", 0)
        stamp = self._store.stamp() if outermost else None
        previous = getattr(local, "reading", False)
        local.reading = True
        local.stamp = stamp
        try:
            with self:
                yield
        finally:
            local.reading = previous

    @contextmanager
    def alone(self) -> Iterator[bool]:
        """The process's lock only, for an operation that commits on its own
        (`StateStore.commit`) or writes nothing another instance reads (a send's drawing,
        store/lease.py); yields whether this hold is the outermost (inside another
        hold, the operation is part of that one's write)."""
        self._acquire()
        local = self._local
        local.depth = getattr(local, "depth", 0) + 1
        try:
            yield local.depth == 1
        finally:
            local.depth -= 1
            self._lock.release()

    def _acquire(self) -> None:
        if not self._lock.acquire(timeout=self._store.timeout):
            raise TimeoutError(
                f"{self._store.label}: another call to the store held this instance's lock "
                f"for over {self._store.timeout:g} s"
            )

    def __enter__(self) -> None:
        self._acquire()
        local = self._local
        local.depth = getattr(local, "depth", 0) + 1
        if local.depth > 1:
            return
        try:
            if getattr(local, "reading", False):
                self._sync_in(local.stamp)
            else:
                self._store_hold = self._store.locked()
                self._store_hold.__enter__()
                self._sync_in(None)
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
                if kind is not None and not issubclass(kind, CampaignError):
                    self._discard()
                    hold.__exit__(kind, error, trace)
                    return
                try:
                    self._sync_out()
                except BaseException as failed:
                    hold.__exit__(type(failed), failed, failed.__traceback__)
                    raise
                # A CampaignError's changes stand (an abort refused as DONE has just ended
                # the send): the store commits them, as SQLite would not on an error's exit.
                hold.__exit__(None, None, None)
        finally:
            local.depth -= 1
            if not local.depth:
                local.reading = False
            self._lock.release()
