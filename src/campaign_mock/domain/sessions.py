"""Open login sessions (V-5), bounded in time and in number so logins cannot fill memory.

A session ends `ttl` seconds after its login (no sliding renewal) or when more than
`capacity` are open and it is the oldest. The caller tells the time (the backend's callers
pass real, monotonic seconds: a session must not end because a test jumped the mock's clock).
Not thread-safe: the backend holds its lock around every call.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict

#: A day of real time.
DEFAULT_TTL = 86_400.0
DEFAULT_CAPACITY = 10_000


class Sessions:
    """Token to (username, ends at), oldest login first."""

    def __init__(self, ttl: float = DEFAULT_TTL, capacity: int = DEFAULT_CAPACITY) -> None:
        if not ttl > 0 or capacity < 1:
            raise ValueError("sessions need a positive ttl and a capacity of at least 1")
        self.ttl = ttl
        self.capacity = capacity
        self._open: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._open)

    def open(self, username: str, now: float) -> str:
        """A new token for `username`; the oldest sessions end if over capacity."""
        self._expire(now)
        token = secrets.token_urlsafe(24)
        self._open[token] = (username, now + self.ttl)
        while len(self._open) > self.capacity:
            self._open.popitem(last=False)
        return token

    def user(self, token: str, now: float) -> str | None:
        """Whose session `token` is, if it is still open at `now`."""
        found = self._open.get(token)
        if found is None:
            return None
        if found[1] <= now:
            del self._open[token]
            return None
        return found[0]

    def close(self, token: str) -> None:
        self._open.pop(token, None)

    def clear(self) -> None:
        self._open.clear()

    def _expire(self, now: float) -> None:
        # Logins are in order and every session lives as long, so the ended ones come first.
        while self._open:
            token, (_user, ends) = next(iter(self._open.items()))
            if ends > now:
                return
            del self._open[token]
