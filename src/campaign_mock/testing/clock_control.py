"""`ClockControl`: a test's hands on the mock's clock (`CampaignMock.clock`).

Every move is the core's (`Mock.move_clock`, as `/_mock/clock` moves it) and, unless told
`settle=False`, returns once every callback attempt it made due has been made (the core's
`settle`, as `"settle": true` asks over HTTP); under freezegun the running clock follows
freezegun, so moving one moves the other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from campaign_mock.core.settling import ClockMove
from campaign_mock.domain.clock import ClockMode
from campaign_mock.domain.errors import CampaignError
from campaign_mock.domain.timestamp import MAX_TIMESTAMP, parse_when

if TYPE_CHECKING:
    from campaign_mock.testing.mock_handle import CampaignMock

#: A moment: Unix seconds, an ISO 8601 text (as `when` takes, Q-2) or a datetime (naive = UTC).
Moment = float | int | str | datetime


def to_seconds(moment: Moment) -> float:
    """Unix seconds for any `Moment`."""
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    if isinstance(moment, bool):
        raise TypeError("a moment is Unix seconds, an ISO 8601 text or a datetime, not a bool")
    if isinstance(moment, int | float):
        if not 0 <= moment <= MAX_TIMESTAMP:  # NaN fails this too
            raise ValueError(f"a moment is from 1970 to the year 9999, got {moment}")
        return float(moment)
    return float(parse_when(moment))


def _freezegun_factory() -> Any | None:
    """The innermost active `freeze_time(...)`, if freezegun is in use."""
    api = sys.modules.get("freezegun.api")
    factories = getattr(api, "freeze_factories", None)
    return factories[-1] if factories else None


class ClockControl:
    """The mock's clock, as `/_mock/clock` moves it; a move returns once the callbacks it
    made due are sent and answered (refused or timed out), within `CampaignMock.idle_timeout`
    real seconds; `settle=False` returns at once.

    Under `freezegun.freeze_time`, an untouched (running) clock follows freezegun: then
    `advance`/`set` move freezegun itself, so your code and the mock agree on the time.
    A frozen clock (`freeze()`) is moved on its own, whoever else is in charge.
    """

    def __init__(self, mock: CampaignMock) -> None:
        self._mock = mock

    def now(self) -> float:
        return self._mock.core.now()

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    @property
    def frozen(self) -> bool:
        return self._mock.core.clock_reading().mode is ClockMode.FROZEN

    def freeze(self, at: Moment | None = None, *, settle: bool = True) -> float:
        """Stops time (at `at`, if given); `POST /_mock/clock/freeze`."""
        if at is None:
            return self._mock.core.freeze_clock()
        target = to_seconds(at)
        return self._moved(
            lambda wait: ClockMove(self._mock.core.freeze_clock(target, settle=wait)), settle
        )

    def resume(self) -> None:
        """Lets time run again from where it stands; `POST /_mock/clock/resume`."""
        self._mock.core.resume_clock()

    def set(self, at: Moment, *, settle: bool = True) -> float:
        """Jumps to `at`, either direction; `POST /_mock/clock/set`."""
        target = to_seconds(at)
        return self._moved(
            lambda wait: self._mock.core.move_clock(target, shift=self._shift(), settle=wait),
            settle,
        )

    def advance(self, seconds: float, *, settle: bool = True) -> float:
        """Moves forward; `POST /_mock/clock/advance`. Returns the new time."""
        return self._moved(
            lambda wait: self._mock.core.advance_clock(seconds, shift=self._shift(), settle=wait),
            settle,
        )

    def _shift(self) -> Any:
        """freezegun's move, when a running clock follows it; else None (the clock's own)."""
        factory = _freezegun_factory()
        reading = self._mock.core.clock_reading()
        if factory is None or reading.mode is not ClockMode.REAL or reading.speed != 1.0:
            return None

        def shift(target: float) -> None:
            now = self._mock.core.now()
            factory.move_to(datetime.fromtimestamp(time.time() + target - now, UTC))

        return shift

    def _moved(self, move: Callable[[float | None], ClockMove], settle: bool) -> float:
        """The core's move (settling within `idle_timeout`), its refusal as a ValueError."""
        try:
            return move(self._mock.idle_timeout if settle else None).now
        except CampaignError as exc:
            raise ValueError(exc.message) from None
