"""What a settling move of the clock answers: whether every callback attempt it made due
was made before it returned (`Mock.advance_clock(settle=...)`, `"settle": true`)."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_mock.domain.errors import InvalidError

#: Real seconds a settling move waits at most when not told (`"settle_timeout"`).
SETTLE_TIMEOUT = 30.0
#: The longest a settling move may be told to wait, in real seconds (a long-poll's longest).
MAX_SETTLE_TIMEOUT = 120.0
#: Why a wait could not count the attempts left (`World.callbacks_pending` said None).
NOT_KNOWN = (
    "after {timeout:g} s the sends had not said how many attempts were left: on a --state"
    " store, the instance holding the sends' lease (GET /_mock/store) had not reached the"
    " new time or did not answer"
)


@dataclass(frozen=True, slots=True)
class Settled:
    """How the wait ended: `pending` attempts made due by the move were still due or in
    flight (None: not visible from here, `reason` says why)."""

    settled: bool
    pending: int | None
    reason: str | None = None

    def to_wire(self) -> dict[str, object]:
        wire: dict[str, object] = {"settled": self.settled, "pending": self.pending}
        if self.reason is not None:
            wire["reason"] = self.reason
        return wire


@dataclass(frozen=True, slots=True)
class ClockMove:
    """Where a move left the clock, and its wait if it settled."""

    now: float
    settled: Settled | None = None


def settle_timeout(seconds: float | None) -> float | None:
    """`seconds`, checked: a settling move's bound in real seconds; None, no wait."""
    if seconds is None:
        return None
    if not 0 < seconds <= MAX_SETTLE_TIMEOUT:  # NaN fails this too
        message = f"must be more than 0 and at most {MAX_SETTLE_TIMEOUT:g} seconds"
        raise InvalidError(f"settle_timeout: {message}", {"settle_timeout": [message]})
    return float(seconds)
