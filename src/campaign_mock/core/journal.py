"""A bounded journal of the API requests the mock received, for tests to assert on.

Entries are made by the HTTP door, which redacts passwords first (http/redaction.py); the
journal keeps them in memory, or in a shared store so every instance shows the same.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Protocol

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
        # By hand: dataclasses.asdict deep-copies every value, a cost on every request shared.
        return {name: getattr(self, name) for name in _ENTRY_FIELDS}


_ENTRY_FIELDS = tuple(f.name for f in fields(JournalEntry))

#: An entry as the HTTP door records it: `JournalEntry`'s fields in their order, a plain
#: tuple. A frozen dataclass costs about 3 us to build, a fifth of what a GET spends
#: journalling, so the journal keeps rows and builds entries only when they are read.
JournalRow = tuple[int, float, str, str, str, str | None, str, int, bool | None, float]


class JournalStore(Protocol):
    """Where instances sharing a store keep one journal (store/sqlite_store.py, redis_store.py)."""

    def journal_append(self, entries: list[str], capacity: int) -> None:
        """Appends JSON entries (numbered by the store, in order), keeping the newest
        `capacity`."""
        ...

    def journal_entries(self) -> list[tuple[int, str]]:
        """(number, JSON entry) of every entry kept, oldest first."""
        ...

    def journal_clear(self) -> None: ...


class RequestJournal:
    """Keeps the newest `capacity` entries, so memory stays flat however long the mock runs.

    Shared (`share()`), every entry goes to the store as it is made, so a request to one
    instance is in the journal any instance shows.
    """

    def __init__(self, capacity: int = 1000) -> None:
        self._rows: deque[JournalRow] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)  # next() on it is atomic: no lock per request
        self._shared: JournalStore | None = None
        self._group = _GroupCommit()

    def share(self, store: JournalStore) -> None:
        """From now on the journal is the store's, the same on every instance."""
        self._shared = store

    @property
    def capacity(self) -> int:
        return self._rows.maxlen or 0

    def next_seq(self) -> int:
        return next(self._seq)

    def record(self, row: JournalRow) -> None:
        shared = self._shared
        if shared is not None:  # written before the answer goes, so any instance sees it
            text = json.dumps(dict(zip(_ENTRY_FIELDS, row, strict=True)))
            self._group.write(text, lambda rows: shared.journal_append(rows, self.capacity))
            return
        self._rows.append(row)  # deque.append is atomic

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        if self._shared is not None:
            entries = [_entry(seq, text) for seq, text in self._shared.journal_entries()]
            return entries[-limit:] if limit else entries
        with self._lock:
            rows = list(self._rows)
        return [JournalEntry(*row) for row in (rows[-limit:] if limit else rows)]

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
        if self._shared is not None:
            self._shared.journal_clear()


class _GroupCommit:
    """Entries of requests answered at once go to the store in one write (a database's group
    commit): the first waiting writes everything queued while the others wait for it, so
    threads never queue one store write each behind each other."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queued: list[str] = []
        self._added = 0  # entries queued so far
        self._written = 0  # of those, written (or failed)
        self._writing = False
        self._failed: dict[int, BaseException] = {}

    def write(self, row: str, flush: Callable[[list[str]], None]) -> None:
        """Returns once `row` is in the store; raises what the write of its group raised."""
        rows: list[str] | None = None
        with self._cond:
            self._queued.append(row)
            self._added += 1
            mine = self._added
            while self._writing and self._written < mine:
                self._cond.wait()
            if self._written < mine:  # nobody writes and mine is waiting: write the group
                self._writing = True
                rows, self._queued = self._queued, []
                first = self._written + 1
        if rows is not None:
            failure: BaseException | None = None
            try:
                flush(rows)
            except BaseException as error:  # every writer of the group gets it
                failure = error
            with self._cond:
                if failure is not None:
                    self._failed.update(dict.fromkeys(range(first, first + len(rows)), failure))
                self._written = first + len(rows) - 1
                self._writing = False
                self._cond.notify_all()
        with self._cond:
            failed = self._failed.pop(mine, None)
        if failed is not None:
            raise failed


def _entry(seq: int, text: str) -> JournalEntry:
    """A shared entry, numbered by the store (each instance's own numbers would collide)."""
    fields = json.loads(text)
    fields["seq"] = seq
    return JournalEntry(**fields)
