"""A bounded journal of the API requests the mock received, for tests to assert on.

Passwords never enter it: `redacted()` replaces every `password` value of a login's body
(form, multipart or JSON) and query string with `***` before the entry is made.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Protocol
from urllib.parse import unquote_plus

BODY_PREVIEW = 4096
#: What a secret is shown as, here and in the control API's answers.
REDACTED = "***"
#: What a body that holds a password but cannot be read to redact it is journalled as.
WITHHELD = "(body withheld: it may hold a password)"
_SECRET = "password"
_PART_NAME = re.compile(rb"""name\s*=\s*(?:"password"|password(?=[\s;]|$))""", re.I | re.M)


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
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0
        self._shared: JournalStore | None = None
        self._group = _GroupCommit()

    def share(self, store: JournalStore) -> None:
        """From now on the journal is the store's, the same on every instance."""
        self._shared = store

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def record(self, entry: JournalEntry) -> None:
        shared = self._shared
        if shared is not None:  # written before the answer goes, so any instance sees it
            text = json.dumps(entry.to_wire())
            self._group.write(text, lambda rows: shared.journal_append(rows, self.capacity))
            return
        self._entries.append(entry)  # deque.append is atomic

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        if self._shared is not None:
            items = [_entry(seq, text) for seq, text in self._shared.journal_entries()]
        else:
            with self._lock:
                items = list(self._entries)
        return items[-limit:] if limit else items

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
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


def redacted(content_type: str | None, body: bytes, known: tuple[str, ...] = ()) -> str:
    """The body as the journal shows it: any `password` field's value is `***`. If one of
    the `known` secrets (what the body was read as) still shows, the body is withheld."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    if mimetype == "application/x-www-form-urlencoded":
        text = redacted_query(body.decode("utf-8", "replace"))
    elif mimetype == "application/json" or mimetype.endswith("+json"):
        text = _redacted_json(body)
    elif mimetype == "multipart/form-data":
        text = _redacted_multipart(content_type or "", body)
    elif _SECRET.encode() in body.lower():
        text = WITHHELD
    else:
        text = body.decode("utf-8", "replace")
    return WITHHELD if any(s and s in text for s in known) else text


def redacted_query(text: str) -> str:
    """`a=1&password=x` as `a=1&password=***`; the other pairs byte for byte."""
    pairs = text.split("&")
    for index, pair in enumerate(pairs):
        key, equals, _value = pair.partition("=")
        if _is_secret(unquote_plus(key)):
            pairs[index] = f"{key}{equals or '='}{REDACTED}"
    return "&".join(pairs)


def _is_secret(key: str) -> bool:
    name = key.strip().lower()
    return name == _SECRET or name.startswith(f"{_SECRET}[")


def _redacted_json(body: bytes) -> str:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return WITHHELD if _SECRET.encode() in body.lower() else body.decode("utf-8", "replace")
    if not _has_secret(document):
        return body.decode("utf-8", "replace")
    return json.dumps(_without_secrets(document), ensure_ascii=False)


def _has_secret(value: Any, depth: int = 0) -> bool:
    if depth > 64:
        return True  # too deep to look through: treat as holding one
    if isinstance(value, dict):
        return any(_is_secret(k) or _has_secret(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_secret(v, depth + 1) for v in value)
    return False


def _without_secrets(value: Any, depth: int = 0) -> Any:
    if depth > 64:
        return REDACTED
    if isinstance(value, dict):
        return {
            k: REDACTED if _is_secret(k) else _without_secrets(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_secrets(v, depth + 1) for v in value]
    return value


def _redacted_multipart(content_type: str, body: bytes) -> str:
    """Each part named `password` keeps its headers; its content becomes `***`. A body that
    mentions a password in a way this cannot take apart is withheld."""
    found = re.search(r'boundary="?([^";]+)"?', content_type, re.I)
    delimiter = b"--" + found.group(1).encode("latin-1") if found else b""
    parts = body.split(delimiter) if delimiter else [body]
    done = 0
    for index, part in enumerate(parts):
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            head, separator, content = part.partition(b"\n\n")
        if delimiter and separator and _PART_NAME.search(head):
            ending = content[len(content.rstrip(b"\r\n")) :]
            parts[index] = head + separator + REDACTED.encode() + ending
            done += 1
    named = len(_PART_NAME.findall(body))
    if named > done or (not named and _SECRET.encode() in body.lower()):
        return WITHHELD
    return delimiter.join(parts).decode("utf-8", "replace")
