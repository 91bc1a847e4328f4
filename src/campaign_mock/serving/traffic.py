"""API requests in flight, so the simulation's background work can step aside for them."""

from __future__ import annotations

import select
import threading
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager

#: The longest a background thread waits for the API to go quiet (real seconds): under a
#: constant stream of requests the simulation still moves, just more slowly.
MAX_YIELD = 0.01


class ApiTraffic:
    """Requests in progress, by key; `wait_quiet()` blocks until there are none.

    Python runs one thread at a time: a CPU-bound simulation thread makes every request wait
    for the interpreter. Letting requests go first keeps GET fast while a campaign sends.
    Waitress's channels count a request from its first byte read to its last byte written
    (`channel.py`). A long-poll is not traffic while it waits (`waiting()`), or it would hold
    back the very work it waits for.
    """

    def __init__(self) -> None:
        self._busy: set[Hashable] = set()
        self._quiet = threading.Condition()
        self._serving = threading.local()

    def enter(self, key: Hashable) -> None:
        """A request started on `key` (its connection)."""
        with self._quiet:
            self._busy.add(key)

    def leave(self, key: Hashable) -> None:
        """The request on `key` is answered (or its connection gone)."""
        with self._quiet:
            self._busy.discard(key)
            self._quiet.notify_all()  # a waiter may be a request itself: it ignores its own key

    @contextmanager
    def serving(self, key: Hashable) -> Iterator[None]:
        """This thread works for the request on `key` until the block ends."""
        self._serving.key = key
        self.enter(key)
        try:
            yield
        finally:
            self._serving.key = None
            self.leave(key)

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """The current request only waits (a long-poll): not traffic until the block ends."""
        key = getattr(self._serving, "key", None)
        if key is None:
            yield
            return
        self.leave(key)
        try:
            yield
        finally:
            self.enter(key)

    def wait_quiet(self, limit: float = MAX_YIELD) -> bool:
        """Returns once no other request is in progress (True), or after `limit` seconds
        (False: one still is)."""
        me = getattr(self._serving, "key", None)
        with self._quiet:
            return self._quiet.wait_for(lambda: not (self._busy - {me}), timeout=limit)


def unread(sockets: Iterable[int]) -> bool:
    """Whether any of these file descriptors has something to read now: a connection to
    accept, a request's bytes, a trigger pulled. Such a request is not traffic yet (its
    first byte is not read), and the server loop that would read it waits for the
    interpreter. True too when that cannot be told (a descriptor just closed, or one past
    what `select` takes), so the caller errs on the side of yielding."""
    try:
        ready, _, _ = select.select(list(sockets), [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)
