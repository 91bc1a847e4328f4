"""What runs beside any HTTP server hosting the mock: the simulation's ticker and the callback
workers. waitress (`server.MockServer`) and granian's workers (`workers.py`) both start it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask

from campaign_mock.delivery.dispatcher import step_aside
from campaign_mock.http.context import mock_of

TICK_SECONDS = 0.05
#: Real seconds between two log lines of a tick that keeps failing.
LOG_EVERY = 10.0


class _Ticks:
    """A tick that fails is the app's to report, and the ticker keeps ticking: a store that
    went away fails every tick, so once in full, then a line every LOG_EVERY seconds."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._quiet_until = 0.0

    def run(self, tick: Callable[[], None]) -> None:
        try:
            tick()
            self._quiet_until = 0.0
        except Exception as error:
            now = time.monotonic()
            if not self._quiet_until:
                self._app.logger.exception("tick failed")
            elif now >= self._quiet_until:
                self._app.logger.warning("tick still failing: %s", error)
            else:
                return
            self._quiet_until = now + LOG_EVERY


class Background:
    """The ticker (`on_tick` every `tick_seconds`, default the dispatcher's tick, so the
    simulation moves with no request arriving) and one thread per callback worker (C-4: a
    slow or dead receiver stalls no API call)."""

    def __init__(
        self,
        app: Flask,
        *,
        on_tick: Callable[[], None] | None = None,
        tick_seconds: float = TICK_SECONDS,
        step: Callable[[], None] = step_aside,
    ) -> None:
        self.app = app
        self.mock = mock_of(app)
        self.dispatcher = self.mock.dispatcher
        self.dispatcher.step_aside = step
        self.mock.pause = step  # a clock moved by a control request lets the API pass too
        self._on_tick = on_tick or self.dispatcher.tick
        self._tick_seconds = tick_seconds
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self._start_delivery_workers()
        self.mock.background = True  # a settling clock move waits for these workers
        # A sped-up clock waits for this work (domain/clock.py); not a store's, whose clock
        # every instance reads from the same anchors (docs/internals.md).
        self.dispatcher.brakes = not self.mock.shared
        ticks = _Ticks(self.app)
        # The first tick before the server answers anything: on a store, this instance has
        # taken the sends' lease or seen another holder by its first answer.
        ticks.run(self._on_tick)

        def run() -> None:
            while not self.stopping.wait(self._tick_seconds):
                ticks.run(self._on_tick)

        thread = threading.Thread(target=run, name="campaign-mock-ticker", daemon=True)
        thread.start()
        self.threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the threads, then lets a shared store's instance hand its sends over."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)
        self.mock.background = False
        self.dispatcher.stop_braking()
        self.mock.stop()

    def _start_delivery_workers(self) -> None:
        for number in range(self.dispatcher.outbox.settings.workers):
            thread = threading.Thread(
                target=self.dispatcher.work,
                args=(self.stopping,),
                name=f"campaign-mock-delivery-{number}",
                daemon=True,
            )
            thread.start()
            self.threads.append(thread)
