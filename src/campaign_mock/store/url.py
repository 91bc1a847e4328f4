"""`--state` URLs: `memory`, `sqlite:///relative.db`, `sqlite:////abs/path.db`, `redis://...`."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from campaign_mock.store.base import StateStore, StoreUrlError

MEMORY = "memory"


def open_store(url: str) -> StateStore | None:
    """The store a `--state` URL names, its records checked (`verify_records`); None for
    `memory`. Raises `StoreUrlError` (one line) for one it cannot open or read."""
    if url == MEMORY:
        return None
    store = _open(url)
    from campaign_mock.store.verify import verify_records

    unreadable: tuple[type[Exception], ...] = (sqlite3.Error, *store_errors())
    try:
        verify_records(store)
    except StoreUrlError:
        store.close()
        raise
    except unreadable as exc:
        store.close()
        raise StoreUrlError(f"{url}: cannot read the store: {exc}") from None
    return store


def _open(url: str) -> StateStore:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise StoreUrlError(f"{url}: a SQLite store is sqlite:///path/to/mock.db")
        from campaign_mock.store.sqlite_store import SqliteStore

        try:
            return SqliteStore(path)
        except sqlite3.Error as exc:
            raise StoreUrlError(f"{url}: cannot open the database: {exc}") from None
    if scheme in {"redis", "rediss", "unix"}:
        try:
            from campaign_mock.store.redis_store import RedisStore
        except ImportError:
            raise StoreUrlError(
                "a Redis store needs the redis package: pip install 'campaign-kit[redis]'"
            ) from None
        import redis

        try:
            return RedisStore(url)
        except (redis.RedisError, ValueError) as exc:
            raise StoreUrlError(f"{url}: cannot reach Redis: {exc}") from None
    raise StoreUrlError(
        f"{url}: --state takes memory, sqlite:///path/to/mock.db or redis://host:port/0"
    )


def store_errors() -> tuple[type[Exception], ...]:
    """What a store raises when it cannot answer, or holds what is not a record (the API
    says 503, not a traceback)."""
    from campaign_mock.store.codec import StoreFormatError

    errors: list[type[Exception]] = [sqlite3.OperationalError, TimeoutError, StoreFormatError]
    try:
        import redis
    except ImportError:
        return tuple(errors)
    return (*errors, redis.RedisError)
