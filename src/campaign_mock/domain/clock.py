"""The time the simulation runs on: real, sped up, or frozen and moved by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

#: How far (mock seconds) a running, sped-up clock may run ahead of its watermark, the time up
#: to which the mock's background work is done (`MockClock.hold`). C-3 allows 300 s from an
#: event to its callback; an aggregation window (5 s to 60 s as usually served) and the
#: ticker's step (0.05 real s, 30 mock s at speed 600) come on top of this, so 120 s leaves
#: C-3 a margin of over a minute, yet is never reached while the work keeps up (at speed 600
#: it is 0.2 real s, four ticks).
BRAKE_SLACK = 120.0


class Clock(Protocol):
    """What the backend reads; the only place the mock learns the time."""

    def now(self) -> float:
        """Seconds since the Unix epoch, UTC."""
        ...


class ClockMode(StrEnum):
    """How a `MockClock` moves; values are the wire strings of `/_mock/clock`."""

    REAL = "real"
    FROZEN = "frozen"


@dataclass(slots=True, frozen=True)
class ClockReading:
    """One consistent view of a `MockClock`, for the control API."""

    now: float
    mode: ClockMode
    speed: float

    def to_wire(self) -> dict[str, object]:
        return {"now": self.now, "mode": self.mode.value, "speed": self.speed}


@dataclass(slots=True, frozen=True)
class ClockState:
    """A `MockClock`'s settings, to share it through a store."""

    frozen: bool
    speed: float
    real_anchor: float
    mock_anchor: float


class MockClock:
    """A controllable clock: real time (optionally sped up), or frozen and moved by hand.

    Running, it reads `time.time` through the `time` module at every call, so a
    freezegun patch is followed: untouched (speed 1, never set) it *is* `time.time()`.
    Setting or speeding it re-anchors: mock time = anchor + (time.time() - real anchor) * speed.
    Thread-safe; every method may be called from any thread.

    The brake: running faster than real time, it never runs more than BRAKE_SLACK ahead of
    the watermark its background work last published (`hold`): while that work lags (a
    starved ticker, a slow receiver holding a lane), time passes more slowly and is lost, so
    what falls due keeps its promises in the mock's own time; then it goes on from where it
    was, never jumping ahead. Explicit moves are never braked and start it afresh. Its lock
    is a leaf: nothing is taken under it.
    """

    def __init__(
        self, *, start: float | None = None, frozen: bool = False, speed: float = 1.0
    ) -> None:
        _check_speed(speed)
        self._lock = threading.Lock()
        #: How it was made: `reset()` starts it so again.
        self._start = (start, frozen, speed)
        self._frozen = frozen
        self._speed = speed
        self._real_anchor = 0.0
        self._mock_anchor = 0.0
        #: The brake's watermark (mock time), None while nobody holds it (`hold`).
        self._watermark: float | None = None
        #: Explicit moves so far and where the last one went: a watermark worked out before
        #: a move is stale, and work made due by a jump is late by the jump, not the brake's.
        self._moves = 0
        self._moved_to = 0.0
        #: Entered around every move (set, advance, freeze, resume, reset, set_speed), never
        #: around a read: a shared store (store/shared.py) brings the clock up to date before a
        #: move and writes it after. Nothing in memory.
        self.around_move: Callable[[], AbstractContextManager[object]] = nullcontext
        self._begin()

    def now(self) -> float:
        with self._lock:
            return self._now()

    def reading(self) -> ClockReading:
        with self._lock:
            mode = ClockMode.FROZEN if self._frozen else ClockMode.REAL
            return ClockReading(self._now(), mode, self._speed)

    def set(self, now: float) -> None:
        """Jumps to `now` (either direction); a frozen clock stays frozen there."""
        with self.around_move(), self._lock:
            self._anchor(now)

    def advance(self, seconds: float) -> float:
        """Moves forward by `seconds` and returns the new time."""
        if seconds < 0:
            raise ValueError("a clock only advances forward; use set() to go back")
        with self.around_move(), self._lock:
            self._anchor(self._now() + seconds)
            return self._mock_anchor

    def freeze(self) -> None:
        """Stops time where it is."""
        with self.around_move(), self._lock:
            self._anchor(self._now())
            self._frozen = True

    def resume(self) -> None:
        """Lets time run again from where it stands, at the current speed."""
        with self.around_move(), self._lock:
            self._anchor(self._now())
            self._frozen = False

    def reset(self) -> None:
        """As made, from now: at its `start` time (or `time.time()`), frozen or running at its
        speed; made untouched, it is exactly `time.time()` again, freezegun included."""
        with self.around_move(), self._lock:
            _start, self._frozen, self._speed = self._start
            self._real_anchor = 0.0
            self._mock_anchor = 0.0
            self._moves += 1
            self._moved_to = 0.0
            self._watermark = None
            self._begin()

    def _begin(self) -> None:
        """Anchors a clock made with a start, frozen or at another speed; untouched, none."""
        start, frozen, speed = self._start
        if start is not None or frozen or speed != 1.0:
            self._anchor(time.time() if start is None else start)

    def set_speed(self, speed: float) -> None:
        """`speed` mock seconds pass per real second while running (60: a minute a second)."""
        _check_speed(speed)
        with self.around_move(), self._lock:
            self._anchor(self._now())
            self._speed = speed

    def state(self) -> ClockState:
        """What another process needs to read the same time (anchors are Unix seconds)."""
        with self._lock:
            return ClockState(self._frozen, self._speed, self._real_anchor, self._mock_anchor)

    def last_move(self) -> tuple[int, float]:
        """Which explicit move the clock is at, and the time it moved to: a `hold` names the
        move it worked its watermark out after, and counts no work due before that time."""
        with self._lock:
            return self._moves, self._moved_to

    def hold(self, watermark: float | None, move: int) -> None:
        """Publishes the background work's watermark: every tick due up to it has run and
        every first callback attempt due by it has been made (None: nothing holds the clock).
        Ignored when the clock has been moved since `move` (`last_move`)."""
        with self._lock:
            if move != self._moves:
                return
            if self._watermark is not None and not self._frozen and self._speed > 1:
                # Re-anchored at the braked time first, so a lower watermark cannot take
                # back time already shown and a higher one cannot make time jump.
                now = time.time()
                self._anchor_at(now, self._read(now))
            self._watermark = None if watermark is None else max(watermark, self._moved_to)

    def load_state(self, state: ClockState) -> None:
        """Takes another process's clock, as `state()` gave it."""
        with self._lock:
            self._frozen = state.frozen
            self._speed = state.speed
            self._real_anchor = state.real_anchor
            self._mock_anchor = state.mock_anchor

    def _now(self) -> float:
        if self._frozen:
            return self._mock_anchor
        return self._read(time.time())

    def _read(self, now: float) -> float:
        """The running time at real time `now`, braked: at most BRAKE_SLACK past the
        watermark (but never back), re-anchored there so the time lost stays lost."""
        free = self._mock_anchor + (now - self._real_anchor) * self._speed
        if self._watermark is None or self._speed <= 1:
            return free
        limit = self._watermark + BRAKE_SLACK
        if free <= limit:
            return free
        held = max(limit, self._mock_anchor)
        self._anchor_at(now, held)
        return held

    def _anchor(self, mock_now: float) -> None:
        """An explicit move: never braked, and the watermark waits for work from here."""
        self._anchor_at(time.time(), mock_now)
        self._moves += 1
        self._moved_to = mock_now
        self._watermark = None

    def _anchor_at(self, real_now: float, mock_now: float) -> None:
        self._real_anchor = real_now
        self._mock_anchor = mock_now


def _check_speed(speed: float) -> None:
    if not speed > 0:
        raise ValueError(f"clock speed must be positive, got {speed}")


#: The default: real time, nothing set; kept under its old name for callers that use it.
SystemClock = MockClock
