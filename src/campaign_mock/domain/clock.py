"""The time the simulation runs on: real, sped up, or frozen and moved by hand."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """What the backend reads; the only place the mock learns the time."""

    def now(self) -> float:
        """Seconds since the Unix epoch, UTC."""
        ...


class SystemClock:
    """Wall-clock time read through `time.time`, so freezegun's patch is followed."""

    def now(self) -> float:
        return time.time()
