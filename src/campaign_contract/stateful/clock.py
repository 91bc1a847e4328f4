"""The server's clock as the server shows it: its `Date` header, then READY campaigns it starts.

M-4 makes a server's clock readable from outside: a READY campaign whose `when` has come
leaves READY. Campaigns POSTed READY with `when` ahead of the `Date` header by growing leads
bracket the clock: one that starts at once proves the clock past its `when`; one that does not
suggests (a server may start late) the clock behind it. The bracket's half-width is the
precision, kept on the run context for the report (`server_clock_precision`).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.judges.machine import SENT
from campaign_contract.stateful.reach import create_in, state_of

#: Leads (in real seconds at the server's speed) grow by this factor until a probe waits.
GROWTH: Final = 4
#: At most this many probes while growing, and while halving the bracket.
MAX_GROW: Final = 12
MAX_HALVE: Final = 8
#: The bracket is narrow enough at this many real seconds (times the server's speed).
NARROW: Final = 1.0


@dataclass(frozen=True, slots=True)
class ServerClock:
    """The server's clock read `at` (server seconds) at time.time() `real`, within `precision`."""

    at: float
    real: float
    speed: float
    precision: float
    source: str

    def now(self) -> float:
        """The server's clock now, as estimated (within `precision`)."""
        return self.at + self.speed * (time.time() - self.real)

    def real_until(self, moment: float) -> float:
        """Real seconds until the server's clock reads `moment` (0 if it has)."""
        return max(0.0, (moment - self.now()) / self.speed)


def server_clock(t: Probe, list_id: int | None) -> ServerClock:
    """The run's reading of the server's clock (made once, by the first check that asks)."""
    clock = t.ctx.shared("stateful.server_clock", lambda: _read(t, list_id))
    t.ctx.server_clock_precision = clock.precision
    t.ctx.server_clock_source = clock.source
    return clock


def _date(t: Probe) -> float:
    """The `Date` header of a plain read (this machine's clock if the server sends none)."""
    answer = t.get("/campaign/1")
    header = answer.header("Date")
    try:
        return email.utils.parsedate_to_datetime(header).timestamp() if header else time.time()
    except (TypeError, ValueError):
        return time.time()


def _starts_at_once(t: Probe, when: int, list_id: int | None) -> bool | None:
    """Whether a campaign POSTed READY at `when` left READY on the first read (None: no POST)."""
    made = create_in(t, "clock probe", "READY", when, list_id)
    if made.id is None:
        return None
    state = made.state
    if state == "READY":
        state, _answer = state_of(t, made.id)
    if state in ("READY", "DONE", "ERROR", None):
        t.delete(f"/campaign/{made.id}")  # a SENDING one is left to the run's cleanup
    return state in SENT


def _read(t: Probe, list_id: int | None) -> ServerClock:
    speed = t.ctx.config.limits.clock_speed
    date = _date(t)
    low: float | None = None
    high: float | None = None
    lead = 2 * speed
    for _ in range(MAX_GROW):
        when = int(date + lead)
        started = _starts_at_once(t, when, list_id)
        if started is None:
            break
        if not started:
            high = when
            break
        low, lead = when, lead * GROWTH
    if high is not None and low is None:
        when = int(date - 2 * speed)
        if _starts_at_once(t, when, list_id):
            low = when
    for _ in range(MAX_HALVE):
        if low is None or high is None or high - low <= 2 * NARROW * speed:
            break
        middle = int((low + high) / 2)
        if _starts_at_once(t, middle, list_id):
            low = middle
        else:
            high = middle
    real = time.time()
    if low is not None and high is not None:
        return ServerClock((low + high) / 2, real, speed, (high - low) / 2, "READY probes")
    skew = t.ctx.config.limits.clock_skew
    why = "Date header (no READY probe bracketed it)"
    return ServerClock(low if low is not None else date, real, speed, skew, why)
