"""The dispatcher: takes due deliveries from the outbox, sends them, reports how they went.

It owns no thread. `deliver_due()` sends everything due now, synchronously (in-process
mode, freezegun tests); `work(stop)` is the loop a delivery worker runs, started and
stopped by `server.py`. The backend's lock is never held during a POST.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime

from campaign_mock.delivery.shown import shown_url
from campaign_mock.delivery.transport import (
    AnsweringTransport,
    HttpTransport,
    Transport,
    TransportError,
    TransportTimeout,
)
from campaign_mock.domain.aggregation import Event
from campaign_mock.domain.clock import ClockMode, MockClock
from campaign_mock.domain.deliveries import Attempt, Delivery, Outbox
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


#: One line per callback attempt (serving/logs.py formats it; the pytest plugin captures it).
log = logging.getLogger("campaign_mock.callbacks")

#: How an attempt went, as `/_mock/metrics` counts it.
ACKNOWLEDGED = "acknowledged"  # a 2xx
FAILED_STATUS = "failed_status"  # an answer, not a 2xx
TIMEOUT = "timeout"  # no answer within the timeout
ERROR = "error"  # no answer: refused, reset, a URL that cannot be sent, refused by policy
OUTCOMES = (ACKNOWLEDGED, FAILED_STATUS, TIMEOUT, ERROR)


class AttemptCounts:
    """Attempts this process made, by outcome, and those in flight now: plain ints, read by
    `/_mock/metrics` when scraped. Never reset (Prometheus counters only grow)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: Counter[str] = Counter()
        self._in_flight = 0

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1

    def ended(self, outcome: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._made[outcome] += 1

    def made(self) -> dict[str, int]:
        with self._lock:
            return {outcome: self._made[outcome] for outcome in OUTCOMES}

    @property
    def in_flight(self) -> int:
        return self._in_flight


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
        #: What `/_mock/metrics` reports of the attempts.
        self.counts = AttemptCounts()
        #: Whether `tick` holds a sped-up clock to the work done (`MockClock.hold`): set
        #: while the ticker and workers run on a mock in memory (serving/background.py).
        self.brakes = False

    @property
    def outbox(self) -> Outbox:
        return self.backend.simulation.outbox

    def tick(self) -> None:
        """The server's ticker: the simulation to the clock's time, drawn a little ahead;
        then, when it `brakes` a sped-up clock, the watermark that holds it."""
        clock = self.backend.clock
        horizon = None
        held_at: tuple[int, float, float] | None = None  # (move, moved to, ticked up to)
        if isinstance(clock, MockClock):
            move, moved_to = clock.last_move()
            reading = clock.reading()
            if reading.mode is ClockMode.REAL:
                horizon = reading.now + LOOKAHEAD * reading.speed
                if self.brakes and reading.speed > 1:
                    held_at = (move, moved_to, reading.now)
        for held in self.backends():
            held.tick(horizon, pause=self.step_aside)
        with self.outbox.lock:
            self.outbox.lock.notify_all()  # retries may have come due on a moving clock
        if held_at is not None and isinstance(clock, MockClock):
            move, moved_to, ticked = held_at
            unmade = [each.simulation.outbox.first_unmade(moved_to) for each in self.backends()]
            clock.hold(min([ticked, *(u for u in unmade if u is not None)]), move)

    def stop_braking(self) -> None:
        """The workers stop: nothing holds the clock any more."""
        self.brakes = False
        clock = self.backend.clock
        if isinstance(clock, MockClock):
            clock.hold(None, clock.last_move()[0])

    def deliver_due(self, limit: int | None = None) -> int:
        """Brings the simulation to the clock's time and sends all that is due, in this thread.

        Returns the number of attempts made; a lane's next batch goes as soon as its head is
        acknowledged, so one call empties every healthy lane.
        """
        for held in self.backends():
            held.tick()
        made = 0
        try:
            while limit is None or made < limit:
                taken = self._take()
                if taken is None:
                    break
                self.send(*taken)
                made += 1
        finally:
            # The caller's thread (a test, a request) keeps no connection: a socket left in
            # its pool was closed only by the garbage collector, with a ResourceWarning.
            self._close_thread_connections()
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
            self._close_thread_connections()

    def _close_thread_connections(self) -> None:
        """Closes the kept-alive connections the transport holds for the calling thread."""
        close = getattr(self.transport, "close_thread", None)
        if callable(close):
            close()

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
        outcome = ERROR
        body = delivery.batch.body()
        transport = self.transport
        self.counts.started()
        started = time.perf_counter()
        try:
            if isinstance(transport, AnsweringTransport):
                answer = transport.exchange(delivery.url, body, self._timeout())
                status, headers, answer_body = answer.status, answer.headers, answer.body
            else:
                status = transport.post(delivery.url, body, self._timeout())
            outcome = ACKNOWLEDGED if 200 <= status < 300 else FAILED_STATUS
        except TransportError as exc:
            error = str(exc)
            outcome = TIMEOUT if isinstance(exc, TransportTimeout) else ERROR
        except Exception as exc:  # a broken in-process handler must not kill the worker
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.counts.ended(outcome)
        latency_ms = round((time.perf_counter() - started) * 1e3, 3)
        attempt = (outbox or self.outbox).record(
            delivery, self.backend.clock.now(), status, error, latency_ms, headers, answer_body
        )
        if attempt is not None and log.isEnabledFor(logging.INFO):
            _log_attempt(attempt)

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
        current time and nothing is in flight, where the sends run (`callbacks_pending`)."""
        deadline = time.monotonic() + timeout
        ticked: tuple[float, float] | None = None  # (real time, the mock's) of the last tick
        until: float | None = None  # the mock's time counted at, kept until a count is known
        with self.waiting():
            while True:
                held = backends or self.backends()
                now, real = self.backend.clock.now(), time.monotonic()
                # Every attempt's end wakes this loop; the world is brought to the mock's
                # time when that moved, else at most every IDLE_WAIT (others' writes, a
                # follower's view): on a store a tick is a dozen round trips, and one per
                # delivery made a million-contact send's waits 2x memory's.
                if ticked is None or now != ticked[1] or real - ticked[0] >= IDLE_WAIT:
                    for each in held:
                        each.tick(pause=self.step_aside)
                    ticked = (real, now)
                # Counted where the sends run: a store's instance without the lease asks
                # the holder (its own outbox is the last checkpoint, which may predate the
                # attempts the clock's move made due). At the time the tick brought the world
                # to, and on a running clock the same time again while the holder says it
                # has not reached it yet: a time read afresh each round would stay ahead.
                until = now if until is None else until
                pending = _pending(held, until, deadline)
                if pending == 0:
                    return True
                if pending is not None:
                    until = None
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                with self.outbox.lock:
                    self.outbox.lock.wait(min(left, IDLE_WAIT))

    def wait_made(self, until: float, timeout: float, backends: tuple[World, ...]) -> int | None:
        """Blocks until every attempt of `backends` due at the mock's time `until` has been
        made (answered, refused or timed out), or `timeout` real seconds pass; the attempts
        still due or in flight then, None if that is not known (`World.callbacks_pending`).
        Retries an attempt scheduled after `until` are not waited for; a lane's next batch,
        due once its head is acknowledged, is."""
        deadline = time.monotonic() + timeout
        with self.waiting():
            while True:
                pending = _pending(backends, until, deadline)
                left = deadline - time.monotonic()
                if pending == 0 or left <= 0:
                    return pending
                with self.outbox.lock:
                    self.outbox.lock.wait(min(left, IDLE_WAIT))


def _pending(backends: tuple[World, ...], until: float, deadline: float) -> int | None:
    """Attempts of `backends` due at `until` not yet made, where the sends run (a store's
    instance without the lease asks the holder, until `deadline` at most); None if one of
    them cannot say yet (`World.callbacks_pending`)."""
    left = max(deadline - time.monotonic(), 0.0)
    counts = [each.callbacks_pending(until, left) for each in backends]
    return None if None in counts else sum(c or 0 for c in counts)


def _log_attempt(attempt: Attempt) -> None:
    """The attempt's line: `fields` for a formatter (text, colour, JSON), the message for
    anyone else (pytest's captured log)."""
    url = shown_url(attempt.url)
    error = attempt.error
    if error is not None:  # some name the URL they could not send to: shown, not as given
        error = error.replace(repr(attempt.url), repr(url)).replace(attempt.url, url)
    answer = str(attempt.status) if attempt.status is not None else error
    retry = _moment(attempt.retry_at)
    message = (
        f"callback campaign {attempt.campaign} {attempt.event.value} {attempt.channel.value} "
        f"-> {url}: {answer} ({attempt.latency_ms:.1f} ms, attempt {attempt.attempt}, "
        f"{attempt.outcome.value}{f', retry at {retry}' if retry else ''})"
    )
    fields = {
        "campaign": attempt.campaign,
        "event": attempt.event.value,
        "channel": attempt.channel.value,
        "url": url,
        "status": attempt.status,
        "error": error,
        "latency_ms": attempt.latency_ms,
        "attempt": attempt.attempt,
        "batch": attempt.batch,
        "kind": attempt.kind.value,
        "outcome": attempt.outcome.value,
        "retry_at": retry,
    }
    log.info(message, extra={"exchange": fields})


def _moment(at: float | None) -> str | None:
    """A time of the mock's clock, ISO 8601 in UTC."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
