"""API requests in flight, so the simulation's background work can step aside for them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

#: The longest a background thread waits for the API to go quiet (real seconds): under a
#: constant stream of requests the simulation still moves, just more slowly.
MAX_YIELD = 0.01

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ApiTraffic:
    """Counts WSGI calls in progress per thread; `wait_quiet()` blocks until there are none.

    Python runs one thread at a time: a CPU-bound simulation thread makes every request wait
    for the interpreter. Letting requests go first keeps GET fast while a campaign sends.
    """

    def __init__(self) -> None:
        self._busy: set[int] = set()
        self._quiet = threading.Condition()

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """The same WSGI app, counted while it computes each response."""

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            me = threading.get_ident()
            with self._quiet:
                self._busy.add(me)
            try:
                return app(environ, start_response)
            finally:
                with self._quiet:
                    self._busy.discard(me)
                    if not self._busy:
                        self._quiet.notify_all()

        return counted

    def wait_quiet(self, limit: float = MAX_YIELD) -> None:
        """Returns once no other thread is inside the app, or after `limit` seconds."""
        me = threading.get_ident()
        with self._quiet:
            self._quiet.wait_for(lambda: not (self._busy - {me}), timeout=limit)
