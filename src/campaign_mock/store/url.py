"""`--state` URLs: `memory`, `sqlite:///relative.db`, `sqlite:////abs/path.db`, `redis://...`."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

from campaign_mock.store.base import StateStore

MEMORY = "memory"


class StoreUrlError(ValueError):
    """A `--state` value that names no store, or one that cannot be opened; one line."""


def open_store(url: str) -> StateStore | None:
    """The store a `--state` URL names; None for `memory`."""
    if url == MEMORY:
        return None
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
    """What a store raises when it cannot answer (the API says 503, not a traceback)."""
    errors: list[type[Exception]] = [sqlite3.OperationalError, TimeoutError]
    try:
        import redis
    except ImportError:
        return tuple(errors)
    return (*errors, redis.RedisError)
