"""The dispatcher: takes due deliveries from the outbox, sends them, reports how they went.

It owns no thread. `deliver_due()` sends everything due now, synchronously (in-process
mode, freezegun tests); `work(stop)` is the loop a delivery worker runs, started and
stopped by `server.py`. The backend's lock is never held during a POST.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from campaign_mock.delivery.transport import (
    AnsweringTransport,
    HttpTransport,
    Transport,
    TransportError,
)
from campaign_mock.domain.aggregation import Event
from campaign_mock.domain.clock import ClockMode, MockClock
from campaign_mock.domain.deliveries import Delivery, Outbox
from campaign_mock.domain.world import World
from campaign_mock.domain.worlds import Worlds

#: The shortest POST timeout a sped-up clock may bring (real seconds).
MIN_TIMEOUT = 0.5
#: Real seconds an idle worker waits before looking again (the mock's clock may have moved).
IDLE_WAIT = 0.05
#: Real seconds of sending the ticker draws ahead of a running clock, so requests find the
#: work done.
LOOKAHEAD = 1.0
#: Real seconds the simulation steps aside between two holds of the backend's lock: the lock
#: is not fair, and without a pause a waiting API request may wait for many holds in a row.
PAUSE = 0.0002
#: Long-polls that may wait at once. The server runs this many threads beyond the API's,
#: so waiting tests never take a thread a request needs; one more is refused at once.
MAX_LONG_POLLS = 32


def step_aside() -> None:
    """Lets threads waiting for the lock or the GIL (API requests) run first."""
    time.sleep(PAUSE)


class Dispatcher:
    """Sends callbacks for one backend (or each of its `worlds`) through a `transport`."""

    def __init__(
        self,
        backend: World,
        transport: Transport | None = None,
        *,
        worlds: Worlds | None = None,
    ) -> None:
        self.backend = backend
        #: Every backend whose callbacks this dispatcher sends (`--isolate accounts`: one per
        #: account, their outboxes sharing one lock); else `backend` alone.
        self.backends: Callable[[], tuple[World, ...]] = (
            worlds.backends if worlds is not None else lambda: (backend,)
        )
        self._turn = 0
        self.transport: Transport = transport or HttpTransport()
        #: Called between two pieces of background work; the server makes it wait for API
        #: requests in flight, so the simulation never slows the API down.
        self.step_aside: Callable[[], None] = step_aside
        #: Entered by a long-poll while it waits; the server makes it stop counting as an API
        #: request, since the work it waits for steps aside for requests.
        self.waiting: Callable[[], AbstractContextManager[None]] = nullcontext
        #: Taken (without blocking) by each long-poll for as long as it waits.
        self.long_polls = threading.BoundedSemaphore(MAX_LONG_POLLS)

    @property
    def outbox(self) -> Outbox:
        return self.backend.simulation.outbox

    def tick(self) -> None:
        """The server's ticker: the simulation to the clock's time, drawn a little ahead."""
        clock = self.backend.clock
        horizon = None
        if isinstance(clock, MockClock):
            reading = clock.reading()
            if reading.mode is ClockMode.REAL:
                horizon = reading.now + LOOKAHEAD * reading.speed
        for held in self.backends():
            held.tick(horizon, pause=self.step_aside)
        with self.outbox.lock:
            self.outbox.lock.notify_all()  # retries may have come due on a moving clock

    def deliver_due(self, limit: int | None = None) -> int:
        """Brings the simulation to the clock's time and sends all that is due, in this thread.

        Returns the number of attempts made; a lane's next batch goes as soon as its head is
        acknowledged, so one call empties every healthy lane.
        """
        for held in self.backends():
            held.tick()
        made = 0
        while limit is None or made < limit:
            taken = self._take()
            if taken is None:
                break
            self.send(*taken)
            made += 1
        return made

    def work(self, stop: threading.Event) -> None:
        """A worker's loop: send whatever is due, else wait a little; until `stop` is set."""
        outbox = self.outbox
        try:
            while not stop.is_set():
                taken = self._take()
                if taken is None:
                    with outbox.lock:
                        outbox.lock.wait(IDLE_WAIT)
                    continue
                self.step_aside()
                self.send(*taken)
        finally:
            close = getattr(self.transport, "close_thread", None)
            if callable(close):
                close()  # this thread's kept-alive connections

    def _take(self) -> tuple[Delivery, Outbox] | None:
        """The next attempt due, and the outbox it came from; worlds take turns."""
        now = self.backend.clock.now()
        held = self.backends()
        count = len(held)
        for turn in range(count):
            outbox = held[(self._turn + turn) % count].simulation.outbox
            delivery = outbox.take(now)
            if delivery is not None:
                self._turn = (self._turn + turn + 1) % count
                return delivery, outbox
        return None

    def send(self, delivery: Delivery, outbox: Outbox | None = None) -> None:
        """One POST; the outcome (and what the receiver answered, when the transport tells)
        goes back to its outbox, stamped with the mock's time."""
        status: int | None = None
        error: str | None = None
        headers: tuple[tuple[str, str], ...] = ()
        answer_body = b""
        body = delivery.batch.body()
        transport = self.transport
        started = time.perf_counter()
        try:
            if isinstance(transport, AnsweringTransport):
                answer = transport.exchange(delivery.url, body, self._timeout())
                status, headers, answer_body = answer.status, answer.headers, answer.body
            else:
                status = transport.post(delivery.url, body, self._timeout())
        except TransportError as exc:
            error = str(exc)
        except Exception as exc:  # a broken in-process handler must not kill the worker
            error = f"{type(exc).__name__}: {exc}"
        latency_ms = round((time.perf_counter() - started) * 1e3, 3)
        (outbox or self.outbox).record(
            delivery, self.backend.clock.now(), status, error, latency_ms, headers, answer_body
        )

    def _timeout(self) -> float:
        """C-4's "no answer within 10 s" in the mock's time: on a clock sped up 600 times a
        10 s wait would outlast the hour-long retry window, so it shrinks with the speed (to
        no less than MIN_TIMEOUT real seconds, what a local receiver needs to answer)."""
        timeout = self.outbox.settings.timeout
        clock = self.backend.clock
        if isinstance(clock, MockClock):
            reading = clock.reading()
            if reading.mode is ClockMode.REAL and reading.speed > 1:
                return max(MIN_TIMEOUT, min(timeout, timeout / reading.speed))
        return timeout

    def wait_acknowledged(
        self,
        campaign: int,
        event: Event,
        count: int,
        timeout: float,
        backend: World | None = None,
    ) -> int:
        """Blocks until `count` addresses of `event` are acknowledged for `campaign` of
        `backend` (default: this dispatcher's) or the timeout passes, in real seconds;
        returns how many are."""
        outbox = (backend or self.backend).simulation.outbox
        deadline = time.monotonic() + timeout
        with self.waiting(), outbox.lock:
            while True:
                found = outbox.acknowledged[campaign, event]
                left = deadline - time.monotonic()
                if found >= count or left <= 0:
                    return found
                outbox.lock.wait(min(left, IDLE_WAIT))

    def wait_idle(self, timeout: float, backends: tuple[World, ...] | None = None) -> bool:
        """Blocks until nothing of `backends` (default: every one) is due at the mock's
        current time and nothing is in flight."""
        deadline = time.monotonic() + timeout
        with self.waiting():
            while True:
                held = backends or self.backends()
                for each in held:
                    each.tick(pause=self.step_aside)
                now = self.backend.clock.now()
                if all(each.simulation.outbox.busy(now) == 0 for each in held):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                with self.outbox.lock:
                    self.outbox.lock.wait(min(left, IDLE_WAIT))
