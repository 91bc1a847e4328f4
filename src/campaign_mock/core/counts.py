"""Requests answered, by route, method and status: plain ints that `/_mock/metrics` reads
when scraped. Per process (each of `--workers N` counts its own) and never reset, as
Prometheus counters are."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

#: Label of a request that matched no route (a 404 or a refusal before routing): a raw
#: path would give the metrics one series per path a scanner tried.
UNROUTED = "(unrouted)"
#: Methods counted by name; any other is `OTHER`, for the same reason.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "OTHER"


class RequestCounts:
    """Thread-safe counts of (route, method, status)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, int]] = Counter()

    def count(self, route: str | None, method: str, status: int) -> None:
        key = (route or UNROUTED, method if method in METHODS else OTHER, status)
        with self._lock:
            self._counts[key] += 1

    def counted(self) -> dict[tuple[str, str, int], int]:
        with self._lock:
            return dict(self._counts)


@dataclass(frozen=True, slots=True)
class Measures:
    """What `/_mock/metrics` reports, read at once (`Mock.measures`)."""

    requests: dict[tuple[str, str, int], int]
    """Requests answered by (route, method, status)."""
    attempts: dict[str, int]
    """Callback attempts made, by outcome (delivery/dispatcher.py's `OUTCOMES`)."""
    waiting: int
    """Callback attempts waiting to be made, due or not, over every world."""
    in_flight: int
    """Callback attempts being made now."""
    clock_offset: float
    """The mock's clock minus real time, in seconds."""
