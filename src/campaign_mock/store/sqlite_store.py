"""`--state sqlite:///path/mock.db`: the mock's state in one SQLite file (stdlib `sqlite3`).

Survives a restart, and several processes on one machine share it (`--workers N`). The
store's exclusive lock is SQLite's own: `BEGIN IMMEDIATE` takes the database's write lock;
readers read a consistent snapshot (WAL mode) without waiting for writers. Opening it checks
the file whole (`PRAGMA quick_check`) and writes to it, so a damaged or read-only file stops
`serve` at once (exit 6) rather than failing requests later.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from campaign_mock.domain.listening import Listener
from campaign_mock.domain.records import (
    campaign_from_record,
    campaign_to_record,
    clock_from_record,
    clock_to_record,
    meta_from_record,
    meta_to_record,
)
from campaign_mock.store.base import (
    LEASE_SECONDS,
    STORE_TIMEOUT,
    Changes,
    Check,
    Stamp,
    StoreUrlError,
    Write,
    with_ids,
)
from campaign_mock.store.codec import encode, read

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS campaigns (id INTEGER PRIMARY KEY, record BLOB, version INTEGER);
CREATE INDEX IF NOT EXISTS campaigns_by_version ON campaigns (version);
CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, username TEXT, ends_at REAL);
CREATE TABLE IF NOT EXISTS lease (name TEXT PRIMARY KEY, holder TEXT, until REAL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY, version INTEGER, blob BLOB);
CREATE TABLE IF NOT EXISTS acknowledged (key BLOB PRIMARY KEY);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT);
CREATE TABLE IF NOT EXISTS listeners (instance TEXT, machine TEXT, host TEXT, port INTEGER,
                                      until REAL, PRIMARY KEY (instance, host, port));
CREATE TABLE IF NOT EXISTS commands (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB,
                                     taken INTEGER DEFAULT 0, answer BLOB);
"""
#: How each kind of record kept in a table is read back.
_READERS: dict[str, Callable[[object, str], Any]] = {
    "campaign": campaign_from_record,
    "meta": meta_from_record,
    "clock": clock_from_record,
}
#: The meta keys holding the version of the last write to the whole world: a reset, the
#: fixtures and settings, the clock. A commit that read the world before one is refused.
_WHOLE_WORLD = ("reset", "meta_version", "clock_version")
#: How often a waiting command looks for its answer.
POLL = 0.005


class SqliteStore:
    """One SQLite file; a connection per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str, timeout: float = STORE_TIMEOUT) -> None:
        """Raises `StoreUrlError` (one line naming the file) for a file it cannot create,
        read whole or write; `timeout`: real seconds a call waits for another's write lock."""
        self.path = path
        self.label = f"sqlite:///{path}"
        self.fresh = (
            f"delete {path} or serve once with --state-reset (the mock's state is lost), "
            "or use a new path"
        )
        self.timeout = timeout
        self._local = threading.local()
        # This process's writers queue here rather than in SQLite's busy handler, which sleeps.
        self._writer = threading.Lock()
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._probe()
        except (OSError, sqlite3.Error) as exc:
            self.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StoreUrlError(f"{self.label}: cannot use the database: {reason}") from None

    def _probe(self) -> None:
        """Creates the schema on first use, reads every page (a damaged one is found now,
        not by the request that meets it) and writes (a read-only file or directory)."""
        with self._transaction() as conn:
            found = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
            if found != ["ok"]:
                said = " ".join(" ".join(map(str, found)).split())  # one line
                raise sqlite3.DatabaseError(f"the file is damaged: {said}")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('probe', 1)")
            conn.execute("DELETE FROM meta WHERE key = 'probe'")

    def where(self, kind: str, ident: int = 0) -> str:
        places = {
            "checkpoint": "table checkpoint",
            "command": f"table commands id {ident} (body)",
            "answer": f"table commands id {ident} (answer)",
        }
        return f"{self.label}: {places.get(kind, kind)}"

    # -- connections and the lock ---------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._local.conn = conn
            self._local.depth = 0
        return conn

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """A transaction on this thread's connection; nested ones join the outer one."""
        conn = self._connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        writing = mode == "IMMEDIATE"
        if writing and not self._writer.acquire(timeout=self.timeout):
            raise TimeoutError(f"{self.label}: the write lock was held for over {self.timeout} s")
        try:
            conn.execute(f"BEGIN {mode}")
            self._local.depth = 1
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._local.depth = 0
        finally:
            if writing:
                self._writer.release()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._transaction("IMMEDIATE"):
            yield

    # -- the world -------------------------------------------------------------------

    def version(self) -> int:
        return int(self._meta(self._connection(), "version") or 0)

    def stamp(self) -> Stamp:
        rows = dict(
            self._connection().execute(
                "SELECT key, value FROM meta WHERE key IN ('version', 'epoch')"
            )
        )
        epoch = rows.get("epoch")
        return Stamp(None if epoch is None else str(epoch), int(rows.get("version") or 0))

    def claim_epoch(self, epoch: str) -> str:
        with self._transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('epoch', ?)", (epoch,))
            return str(self._meta(conn, "epoch"))

    def start_epoch(self, epoch: str) -> None:
        with self._transaction() as conn:
            for (table,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall():
                conn.execute(f'DELETE FROM "{table}"')
            self._put(conn, "epoch", epoch)

    def changes(self, since: int, also: Collection[int] = ()) -> Changes:
        with self._transaction("DEFERRED") as conn:
            version = int(self._meta(conn, "version") or 0)
            reset_at = int(self._meta(conn, "reset") or 0)
            full = since == 0 or reset_at > since
            rows = conn.execute(
                "SELECT id, record FROM campaigns WHERE version > ?", (0 if full else since,)
            ).fetchall()
            campaigns = {
                int(i): (None if r is None else self._read("campaign", r, f"campaigns id {i}"))
                for i, r in rows
                if not (full and r is None)
            }
            if also and not full:  # one operation's campaigns: a few ids
                wanted = [i for i in also if i not in campaigns]
                marks = ",".join("?" * len(wanted))
                found = dict(
                    conn.execute(f"SELECT id, record FROM campaigns WHERE id IN ({marks})", wanted)
                )
                for i in wanted:
                    r = found.get(i)
                    campaigns[i] = (
                        None if r is None else self._read("campaign", r, f"campaigns id {i}")
                    )
            meta_at = int(self._meta(conn, "meta_version") or 0)
            clock_at = int(self._meta(conn, "clock_version") or 0)
            meta = self._meta(conn, "meta") if full or also or meta_at > since else None
            clock = self._meta(conn, "clock") if full or also or clock_at > since else None
            ids = self._meta(conn, "ids")
        return Changes(
            version=version,
            full=full,
            campaigns=campaigns,
            meta=None
            if meta is None
            else with_ids(self._read("meta", meta, "meta key 'meta'"), ids),
            clock=None if clock is None else self._read("clock", clock, "meta key 'clock'"),
            reset=reset_at,
        )

    def write(self, write: Write) -> int:
        with self._transaction() as conn:
            return self._write(conn, write)

    def commit(self, write: Write, check: Check) -> int | None:
        with self._transaction() as conn:
            if self._meta(conn, "epoch") != check.epoch:
                return None
            seen = check.seen
            if any(int(self._meta(conn, k) or 0) > seen for k in _WHOLE_WORLD):
                return None
            bounds = check.campaigns  # one operation's campaigns: a few ids
            marks = ",".join("?" * len(bounds))
            for ident, version in conn.execute(
                f"SELECT id, version FROM campaigns WHERE id IN ({marks})", list(bounds)
            ):
                if version > bounds[ident]:
                    return None
            if not write:
                return int(self._meta(conn, "version") or 0)
            return self._write(conn, write)

    def _write(self, conn: sqlite3.Connection, write: Write) -> int:
        version = int(self._meta(conn, "version") or 0) + 1
        self._put(conn, "version", version)
        if write.reset:
            conn.execute("DELETE FROM campaigns")
            conn.execute("DELETE FROM acknowledged")
            self._put(conn, "reset", version)
            self._put(conn, "ids", 0)
        for ident, campaign in write.campaigns.items():
            record = None if campaign is None else encode("campaign", campaign_to_record(campaign))
            conn.execute(
                "INSERT OR REPLACE INTO campaigns (id, record, version) VALUES (?, ?, ?)",
                (ident, record, version),
            )
        if write.meta is not None:
            self._put(conn, "meta", encode("meta", meta_to_record(write.meta)))
            self._put(conn, "meta_version", version)
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('ids', ?)", (write.meta.next_id - 1,))
        if write.clock is not None:
            self._put(conn, "clock", encode("clock", clock_to_record(write.clock)))
            self._put(conn, "clock_version", version)
        return version

    def take_id(self, epoch: str) -> int | None:
        with self._transaction() as conn:
            if self._meta(conn, "epoch") != epoch:
                return None
            ident = int(self._meta(conn, "ids") or 0) + 1
            self._put(conn, "ids", ident)
            return ident

    def seed_ids(self, last: int) -> None:
        with self._transaction() as conn:
            held = conn.execute("SELECT MAX(id) FROM campaigns").fetchone()[0] or 0
            conn.execute("INSERT OR IGNORE INTO meta VALUES ('ids', ?)", (max(last, held),))

    def last_id(self) -> int:
        return int(self._meta(self._connection(), "ids") or 0)

    # -- sessions --------------------------------------------------------------------

    def open_session(self, token: str, username: str, ends_at: float, capacity: int) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE ends_at <= ?", (time.time(),))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?)", (token, username, ends_at))
            conn.execute(
                "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions "
                "ORDER BY rowid DESC LIMIT -1 OFFSET ?)",
                (capacity,),
            )

    def session_user(self, token: str, now: float) -> str | None:
        row = (
            self._connection()
            .execute("SELECT username, ends_at FROM sessions WHERE token = ?", (token,))
            .fetchone()
        )
        if row is None or row[1] <= now:
            return None
        return str(row[0])

    def close_session(self, token: str) -> None:
        self._connection().execute("DELETE FROM sessions WHERE token = ?", (token,))

    def clear_sessions(self) -> None:
        self._connection().execute("DELETE FROM sessions")

    # -- the sends -------------------------------------------------------------------

    def hold_lease(self, holder: str, seconds: float = LEASE_SECONDS) -> bool:
        with self._transaction() as conn:
            now = time.time()
            row = conn.execute("SELECT holder, until FROM lease WHERE name = 'sends'").fetchone()
            if row is not None and row[0] != holder and row[1] > now:
                return False
            conn.execute(
                "INSERT OR REPLACE INTO lease VALUES ('sends', ?, ?)", (holder, now + seconds)
            )
            return True

    def release_lease(self, holder: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM lease WHERE name = 'sends' AND holder = ?", (holder,))

    def lease_holder(self) -> str | None:
        row = (
            self._connection()
            .execute("SELECT holder, until FROM lease WHERE name = 'sends'")
            .fetchone()
        )
        return None if row is None or row[1] <= time.time() else str(row[0])

    def save_checkpoint(self, holder: str, blob: bytes) -> bool:
        with self._transaction() as conn:
            row = conn.execute("SELECT holder FROM lease WHERE name = 'sends'").fetchone()
            if row is None or row[0] != holder:
                return False
            found = conn.execute("SELECT version FROM checkpoint WHERE id = 1").fetchone()
            version = (found[0] if found else 0) + 1
            conn.execute("INSERT OR REPLACE INTO checkpoint VALUES (1, ?, ?)", (version, blob))
            return True

    def checkpoint_version(self) -> int:
        row = self._connection().execute("SELECT version FROM checkpoint WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def load_checkpoint(self) -> tuple[int, bytes] | None:
        row = (
            self._connection()
            .execute("SELECT version, blob FROM checkpoint WHERE id = 1")
            .fetchone()
        )
        return None if row is None else (int(row[0]), bytes(row[1]))

    def acknowledge(self, key: bytes) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO acknowledged VALUES (?)", (key,))

    def acknowledged(self) -> set[bytes]:
        rows = self._connection().execute("SELECT key FROM acknowledged")
        return {bytes(key) for (key,) in rows}

    def send_command(self, blob: bytes) -> int:
        with self._transaction() as conn:
            cursor = conn.execute("INSERT INTO commands (body) VALUES (?)", (blob,))
            return int(cursor.lastrowid or 0)

    def take_commands(self) -> Iterator[tuple[int, bytes]]:
        waiting = self._connection().execute("SELECT 1 FROM commands WHERE taken = 0 LIMIT 1")
        if waiting.fetchone() is None:
            return  # the usual case, without taking the write lock
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT id, body FROM commands WHERE taken = 0 ORDER BY id"
            ).fetchall()
            conn.execute("UPDATE commands SET taken = 1 WHERE taken = 0")
        for ident, body in rows:
            yield int(ident), bytes(body)

    def answer(self, ident: int, blob: bytes) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE commands SET answer = ? WHERE id = ?", (blob, ident))

    def wait_answer(self, ident: int, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        conn = self._connection()
        while True:
            row = conn.execute("SELECT answer FROM commands WHERE id = ?", (ident,)).fetchone()
            if row is not None and row[0] is not None:
                conn.execute("DELETE FROM commands WHERE id = ?", (ident,))
                return bytes(row[0])
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL)

    # -- where the instances listen ------------------------------------------------------

    def register_listener(self, instance: str, at: Listener, until: float) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM listeners WHERE until <= ?", (time.time(),))
            conn.execute(
                "INSERT OR REPLACE INTO listeners VALUES (?, ?, ?, ?, ?)",
                (instance, at.machine, at.host, at.port, until),
            )

    def forget_listeners(self, instance: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM listeners WHERE instance = ?", (instance,))

    def listeners(self, now: float) -> list[Listener]:
        rows = self._connection().execute(
            "SELECT machine, host, port FROM listeners WHERE until > ?", (now,)
        )
        return [Listener(str(machine), str(host), int(port)) for machine, host, port in rows]

    # -- the request journal -------------------------------------------------------

    def journal_append(self, entries: list[str], capacity: int) -> None:
        with self._transaction() as conn:
            conn.executemany("INSERT INTO journal (entry) VALUES (?)", [(e,) for e in entries])
            conn.execute(
                "DELETE FROM journal WHERE seq <= (SELECT MAX(seq) FROM journal) - ?",
                (capacity,),
            )

    def journal_entries(self) -> list[tuple[int, str]]:
        rows = self._connection().execute("SELECT seq, entry FROM journal ORDER BY seq")
        return [(int(seq), str(entry)) for seq, entry in rows]

    def journal_clear(self) -> None:
        self._connection().execute("DELETE FROM journal")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- helpers -----------------------------------------------------------------------

    def _read(self, kind: str, value: object, where: str) -> Any:
        """A record from a row; `where` names its table and key for the error."""
        data = value if isinstance(value, bytes) else str(value).encode()
        return read(kind, data, _READERS[kind], f"{self.label}: table {where}", self.fresh)

    @staticmethod
    def _meta(conn: sqlite3.Connection, key: str) -> Any:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _put(conn: sqlite3.Connection, key: str, value: object) -> None:
        conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
