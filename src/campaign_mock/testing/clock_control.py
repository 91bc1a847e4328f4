"""`ClockControl`: a test's hands on the mock's clock (`CampaignMock.clock`).

Every move draws what became due and delivers it, as `/_mock/clock` does; under freezegun
the running clock follows freezegun, so moving one moves the other.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from campaign_mock.delivery.dispatcher import step_aside
from campaign_mock.domain.clock import ClockMode, MockClock
from campaign_mock.domain.timestamp import MAX_TIMESTAMP, parse_when

if TYPE_CHECKING:
    from campaign_mock.testing.handle import CampaignMock

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
    """The mock's clock, as `/_mock/clock` moves it; every move delivers what became due.

    Under `freezegun.freeze_time`, an untouched (running) clock follows freezegun: then
    `advance`/`set` move freezegun itself, so your code and the mock agree on the time.
    A frozen clock (`freeze()`) is moved on its own, whoever else is in charge.
    """

    def __init__(self, mock: CampaignMock) -> None:
        self._mock = mock

    @property
    def _clock(self) -> MockClock:
        clock = self._mock.backend.clock
        if not isinstance(clock, MockClock):
            raise TypeError("this mock runs on a clock that cannot be moved")
        return clock

    def now(self) -> float:
        return self._mock.backend.clock.now()

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    @property
    def frozen(self) -> bool:
        return self._clock.reading().mode is ClockMode.FROZEN

    def freeze(self, at: Moment | None = None) -> float:
        """Stops time (at `at`, if given); `POST /_mock/clock/freeze`."""
        self._clock.freeze()
        return self.now() if at is None else self.set(at)

    def resume(self) -> None:
        """Lets time run again from where it stands; `POST /_mock/clock/resume`."""
        self._clock.resume()

    def set(self, at: Moment) -> float:
        """Jumps to `at`, either direction; `POST /_mock/clock/set`."""
        return self._move(to_seconds(at))

    def advance(self, seconds: float) -> float:
        """Moves forward; `POST /_mock/clock/advance`. Returns the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"the clock only advances, by a finite number; got {seconds}")
        return self._move(to_seconds(self.now() + seconds))

    def _move(self, target: float) -> float:
        clock, backend = self._clock, self._mock.backend
        pause = step_aside if self._mock.live else None
        # As the control API does: draw sends up to the target before time shows it.
        backend.tick(horizon=target, pause=pause)
        reading = clock.reading()
        factory = _freezegun_factory()
        if factory is not None and reading.mode is ClockMode.REAL and reading.speed == 1.0:
            factory.move_to(datetime.fromtimestamp(time.time() + target - reading.now, UTC))
        else:
            clock.set(target)
        backend.tick(pause=pause)
        self._mock.settle_deliveries()
        return self.now()
