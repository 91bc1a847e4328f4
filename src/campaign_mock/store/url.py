"""`--state` URLs: `memory`, `sqlite:///relative.db`, `sqlite:////abs/path.db`, `redis://...`."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from campaign_mock.store.base import (
    STORE_TIMEOUT,
    StateStore,
    StoreLost,
    StoreUrlError,
    new_epoch,
)

MEMORY = "memory"


def open_store(
    url: str, timeout: float = STORE_TIMEOUT, *, fresh: bool = False
) -> StateStore | None:
    """The store a `--state` URL names, its records checked (`verify_records`); None for
    `memory`. `timeout`: real seconds any call to it may take. `fresh` (`--state-reset`):
    every record of the mock there goes, and a new epoch starts (store/shared.py).
    Raises `StoreUrlError` (one line) for one it cannot open or read."""
    if url == MEMORY:
        return None
    store = _open(url, timeout)
    from campaign_mock.store.verify import verify_records

    unreadable: tuple[type[Exception], ...] = (sqlite3.Error, *store_errors())
    try:
        if fresh:
            store.start_epoch(new_epoch())
        verify_records(store)
    except StoreUrlError:
        store.close()
        raise
    except unreadable as exc:
        store.close()
        raise StoreUrlError(f"{url}: cannot read the store: {exc}") from None
    return store


def _open(url: str, timeout: float) -> StateStore:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise StoreUrlError(f"{url}: a SQLite store is sqlite:///path/to/mock.db")
        from campaign_mock.store.sqlite_store import SqliteStore

        return SqliteStore(path, timeout)  # one line (StoreUrlError) for a file it cannot use
    if scheme in {"redis", "rediss", "unix"}:
        try:
            from campaign_mock.store.redis_store import RedisStore
        except ImportError:
            raise StoreUrlError(
                "a Redis store needs the redis package: pip install 'campaign-kit[redis]'"
            ) from None
        import redis

        try:
            return RedisStore(url, timeout=timeout)
        except (redis.RedisError, ValueError) as exc:
            raise StoreUrlError(f"{url}: cannot reach Redis: {exc}") from None
    raise StoreUrlError(
        f"{url}: --state takes memory, sqlite:///path/to/mock.db or redis://host:port/0"
    )


def store_errors() -> tuple[type[Exception], ...]:
    """What a store raises when it cannot answer, or holds what is not a record (the API
    says 503, not a traceback)."""
    from campaign_mock.store.codec import StoreFormatError

    errors: list[type[Exception]] = [
        sqlite3.DatabaseError,
        TimeoutError,
        StoreFormatError,
        StoreLost,
    ]
    try:
        import redis
    except ImportError:
        return tuple(errors)
    return (*errors, redis.RedisError)
