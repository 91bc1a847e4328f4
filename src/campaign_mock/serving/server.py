"""The production server: waitress threads over one shared app, plus the one background ticker."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from campaign_mock.core import Mock
from campaign_mock.delivery import policy
from campaign_mock.delivery.dispatcher import MAX_LONG_POLLS, step_aside
from campaign_mock.http.app import may_wait
from campaign_mock.http.context import EXTENSION
from campaign_mock.http.hosts import answer_only_to
from campaign_mock.serving.announce import announce, withdraw
from campaign_mock.serving.background import TICK_SECONDS, Background
from campaign_mock.serving.connection import ConnectionLimits, run_loop_here, use_mock_channels
from campaign_mock.serving.listeners import bind_listeners, url_host
from campaign_mock.serving.signals import STOP_SIGNALS
from campaign_mock.serving.traffic import ApiTraffic, unread

DEFAULT_THREADS = 8


class MockServer:
    """Serves one mock instance; the only place in the mock that owns threads.

    `serve_forever()` blocks (the CLI) until `request_stop()`; `start()`/`stop()` run it in
    the background (tests, the pytest plugin). `on_tick` runs every `tick_seconds` on its own
    thread, so the simulation moves even when no request arrives. `connections` bounds what
    each client connection may hold (`channel.ConnectionLimits`). The app answers only to the
    `Host` names of `host` and `allowed_hosts` (http/hosts.py: DNS rebinding).
    """

    def __init__(
        self,
        app: Flask,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        threads: int = DEFAULT_THREADS,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = TICK_SECONDS,
        connections: ConnectionLimits | None = None,
        allowed_hosts: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self._traffic = ApiTraffic()
        #: The mock the app is the door of; None for a plain app (bench/servers.py's bare one).
        self.mock: Mock | None = app.extensions.get(EXTENSION)
        # Long-polls wait on threads of their own, beyond the `threads` the API has.
        polls = MAX_LONG_POLLS if self.mock is not None else 0
        limits = connections or ConnectionLimits()
        # Every address `host` names, on one port (serving/listeners.py).
        sockets = bind_listeners(host, port)
        try:
            self._server: Any = create_server(
                app,
                sockets=sockets,
                threads=threads + polls,
                ident="campaign-mock",
                clear_untrusted_proxy_headers=True,
                # Waitress reads the whole body before the app runs, so an oversized one gets
                # the app's 413 envelope instead of a reset connection (V-4).
                max_request_body_size=64 * 1024 * 1024,
                # Thousands of connections, each closed when idle or arriving too slowly.
                **limits.waitress_settings(),
            )
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        # One server or waitress's several-socket one: the loop's map and its listeners.
        self._map: dict[int, Any] = getattr(self._server, "_map", None) or self._server.map
        self._listeners = [d for d in self._map.values() if isinstance(d, BaseWSGIServer)]
        use_mock_channels(self._listeners, self._traffic, limits, self._answers_here)
        bound = tuple(str(each.effective_host) for each in self._listeners)
        answer_only_to(app, host, (*bound, *allowed_hosts))
        # No callback of any mock in this process may come back here (delivery/policy.py).
        self._listening: tuple[str, int] | None = (self.host, self.port)
        policy.serving(*self._listening)
        # The simulation's ticker and callback workers.
        self._background: Background | None = None
        if self.mock is not None:
            self.mock.listening(*self._listening)  # nor of another instance on its store
            self.mock.dispatcher.waiting = self._traffic.waiting
            self._background = Background(
                app, on_tick=on_tick, tick_seconds=tick_seconds, step=self._let_requests_pass
            )
        # One event: the server loop's end stops the background threads too.
        self._stopping = self._background.stopping if self._background else threading.Event()
        self._threads: list[threading.Thread] = []
        #: Where this server left its token for `?secrets=1` (None: not serving, or unwritable).
        self.token_file: Path | None = None

    @property
    def host(self) -> str:
        """The first address listened on (every other one has the same port)."""
        return str(self._listeners[0].effective_host)

    @property
    def port(self) -> int:
        return int(self._listeners[0].effective_port)

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def urls(self) -> list[str]:
        """One per address listened on (`--host localhost`: often `::1` and `127.0.0.1`)."""
        hosts = (str(each.effective_host) for each in self._listeners)
        return [f"http://{url_host(host)}:{self.port}" for host in hosts]

    def serve_forever(self) -> None:
        """Serves until `request_stop()` is called, from another thread or a signal handler."""
        self.start_background()
        run_loop_here()
        try:
            self._server.run()
        finally:
            self._stopping.set()
            self._server.task_dispatcher.shutdown(timeout=5)

    def start(self) -> MockServer:
        """Serves in a background thread and returns at once; leaves the token `?secrets=1`
        needs where local tools find it (`announce.py`), until `stop()`."""
        if self.mock is not None and self.token_file is None:
            self.token_file = announce(self.url, self.port, self.mock.secrets_token)
        thread = threading.Thread(target=self.serve_forever, name="campaign-mock", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def serve_until_signalled(
        self, on_ready: Callable[[], None] | None = None
    ) -> signal.Signals | None:
        """Serves until SIGINT or SIGTERM (returned) or until the server loop ends (None).

        `on_ready` runs once the server is up (the banner). The signals must have been held
        with `hold_stop_signals()` before this server was made.
        """
        if not STOP_SIGNALS.issubset(signal.pthread_sigmask(signal.SIG_BLOCK, [])):
            raise RuntimeError("call hold_stop_signals() before creating the MockServer")
        received: int | None = None
        try:
            self.start()
            serving = self._threads[-1]
            if on_ready is not None:
                on_ready()
            while received is None and serving.is_alive():
                info = signal.sigtimedwait(STOP_SIGNALS, 0.5)
                # A stop and continue (SIGSTOP, Ctrl-Z then fg) ends the wait with no signal
                # of the set: a garbage number, which is not a stop.
                if info is not None and info.si_signo in STOP_SIGNALS:
                    received = info.si_signo
        finally:
            self.stop()
        return None if received is None else signal.Signals(received)

    def request_stop(self) -> None:
        """Asks the server loop to close every socket and return; from any thread.

        Not from a signal handler: it takes waitress's trigger lock (`serve_until_signalled`).
        """
        if self._stopping.is_set():
            return
        self._stopping.set()
        # The loop is not thread-safe: the trigger runs the closing inside the loop's thread.
        try:
            self._listeners[0].trigger.pull_trigger(self._close_all)
        except OSError:
            # The trigger is gone: waitress closed it after an error in its loop, which then
            # only serves open connections. Closing them here ends the loop.
            self.app.logger.warning("campaign-mock: server loop had lost its trigger; closing")
            self._close_all()

    def stop(self, timeout: float = 5.0) -> None:
        """Stops accepting, closes connections, lets workers finish, stops the ticker."""
        self.request_stop()
        for thread in self._threads:
            thread.join(timeout)
        if self._background is not None:
            self._background.stop(timeout)
        if self._listening is not None:
            policy.stopped(*self._listening)
            self._listening = None
        if self.token_file is not None:
            withdraw(self.token_file)
            self.token_file = None

    def _close_all(self) -> None:
        """Closes the listening sockets and every connection, lets the workers finish, then
        closes the loop's triggers last: a worker finishing a response on a connection still
        open pulls its listener's trigger to wake the loop, and a trigger closed under it
        raised `EBADF` in that worker (a traceback on Ctrl-C or SIGTERM). Waitress's listener
        closes its trigger with itself, so its socket is closed here without it."""
        triggers = [listener.trigger for listener in self._listeners]
        for dispatcher in list(self._map.values()):
            if isinstance(dispatcher, HTTPChannel):
                dispatcher.handle_close()  # with its buffers: a large answer's is a file
            elif not any(dispatcher is trigger for trigger in triggers):
                # dispatcher.close, not the listener's own close(), which takes the trigger.
                wasyncore.dispatcher.close(dispatcher)
        self._server.task_dispatcher.shutdown(timeout=5)
        for trigger in triggers:
            trigger.close()

    def _answers_here(self, path: str) -> bool:
        """Whether the loop thread may answer a request for `path` itself: one that only
        works on what this process holds. On a shared store every request waits for it, and
        a control request may wait on purpose (`may_wait`): those go to the pool."""
        return self.mock is None or not (self.mock.shared or may_wait(path))

    def _let_requests_pass(self) -> None:
        """Background work waits for API requests in flight, then yields the interpreter if
        a request may want it: one still in flight, or bytes the loop has yet to read.

        Yielding is a sleep (`step_aside`), and a million-contact send pauses 10,000 times:
        yielding only when a socket is readable took its wall time from 11.0-11.9 s to
        8.3-8.9 s, GET while sending 1.31-1.39x idle (`bench/sending.py`). Never yielding
        let a new request wait for the interpreter's 5 ms switch interval (2x idle)."""
        if not self._traffic.wait_quiet() or unread(self._map):
            step_aside()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start_background(self) -> None:
        """Starts the ticker and the delivery workers (`background.Background`): what runs
        beside the HTTP server. `serve_forever()` calls it."""
        if self._background is not None:
            self._background.start()
