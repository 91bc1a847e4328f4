"""The answers of failed API requests, by journal sequence, for the dashboard's journal.

The request journal keeps what was asked; a person debugging a failure wants what was
answered too (the envelope's `error`, `code`, `errors`). Bounded like the journal, so
memory stays flat however long the mock runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, current_app

#: Where the app keeps them (flaskr's way: `app.extensions`).
EXTENSION = "campaign_mock.failures"
#: The longest answer kept, in characters: a failure envelope is far shorter.
MAX_TEXT = 4096


class FailedAnswers:
    """The newest `capacity` failure envelopes (JSON text), by the journal's `seq`."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, seq: int, text: str) -> None:
        with self._lock:
            self._texts[seq] = text[:MAX_TEXT]
            while len(self._texts) > self.capacity:
                self._texts.popitem(last=False)

    def get(self, seq: int) -> str | None:
        with self._lock:
            return self._texts.get(seq)


def failed_answers(app: Flask | None = None) -> FailedAnswers:
    """The app's store, made on first use."""
    held = app or current_app
    found: FailedAnswers = held.extensions.setdefault(EXTENSION, FailedAnswers())
    return found
