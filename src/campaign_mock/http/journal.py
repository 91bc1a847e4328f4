"""A bounded journal of the API requests the mock received, for tests to assert on."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass

BODY_PREVIEW = 4096


@dataclass(slots=True, frozen=True)
class JournalEntry:
    """One request and the answer it got."""

    seq: int
    at: float
    method: str
    path: str
    query: str
    content_type: str | None
    body: str
    status: int
    success: bool | None
    duration_ms: float

    def to_wire(self) -> dict[str, object]:
        return asdict(self)


class RequestJournal:
    """Keeps the newest `capacity` entries, so memory stays flat however long the mock runs."""

    def __init__(self, capacity: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)  # deque.append is atomic

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        with self._lock:
            items = list(self._entries)
        return items[-limit:] if limit else items

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
