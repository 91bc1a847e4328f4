"""Settings for readings CONTRACT.md leaves open: start_delay, done_delay, full-jitter retries."""

from __future__ import annotations

import pytest

from campaign_mock.domain.aggregation import Chunk, Event
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.deliveries import Outbox
from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.models import Channel, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.fixtures.document import default_fixtures

from .conftest import START


def _backend(settings: dict[str, object]) -> tuple[CampaignBackend, MockClock]:
    clock = MockClock(start=START, frozen=True)
    backend = CampaignBackend(default_fixtures(), clock)
    backend.configure_simulation(backend.simulation.settings.updated(settings))
    return backend, clock


def _ready(backend: CampaignBackend, list_id: int = 1) -> int:
    fields = CampaignFields(
        present=frozenset({"state", "when"}),
        name="reading",
        domain=1,
        list_id=list_id,
        state=State.READY,
        when=int(START),
    )
    return backend.create_campaign(fields).id


def _state(backend: CampaignBackend, ident: int) -> State:
    backend.tick()
    return backend.get_campaign(ident).state


def test_M4_start_delay_keeps_a_due_campaign_READY_that_long() -> None:
    backend, clock = _backend({"start_delay": 120})
    ident = _ready(backend)
    assert _state(backend, ident) is State.READY
    clock.advance(119)
    assert _state(backend, ident) is State.READY
    clock.advance(1)
    assert _state(backend, ident) is State.SENDING


def test_M4_start_delay_counts_from_READY_when_when_is_long_past() -> None:
    backend, clock = _backend({"start_delay": 120})
    clock.advance(3600)
    ident = _ready(backend)  # `when` an hour ago
    clock.advance(119)
    assert _state(backend, ident) is State.READY
    clock.advance(1)
    assert _state(backend, ident) is State.SENDING


def test_M4_done_delay_ends_the_send_that_long_after_its_last_outcome() -> None:
    quick, quick_clock = _backend({"seed": 1})
    slow, slow_clock = _backend({"seed": 1, "done_delay": 600})
    fast_id, slow_id = _ready(quick), _ready(slow)
    seconds = 0
    while _state(quick, fast_id) is not State.DONE:
        quick_clock.advance(10)
        seconds += 10
        assert seconds < 10_000
    slow_clock.advance(seconds)
    assert _state(slow, slow_id) is State.SENDING
    slow_clock.advance(590)
    assert _state(slow, slow_id) is State.SENDING
    slow_clock.advance(10)
    assert _state(slow, slow_id) is State.DONE


def test_C4_full_jitter_draws_each_backoff_below_the_exponential_delay() -> None:
    plain = SimulationSettings()
    jittered = plain.updated({"retry_jitter": "full"})
    assert [plain.backoff(n, 0.25) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert [jittered.backoff(n, 0.25) for n in (1, 2, 3)] == [7.5, 15.0, 30.0]
    assert jittered.backoff(10, 0.5) == 450.0  # capped at retry_max_interval first


def test_C4_full_jitter_retries_are_seeded_and_spread_within_the_hour() -> None:
    def retry_gaps(settings: SimulationSettings) -> list[float]:
        backend = CampaignBackend(default_fixtures(), MockClock(start=START, frozen=True))
        backend.configure_simulation(settings)
        outbox: Outbox = backend.simulation.outbox
        chunk = Chunk(Channel.EMAIL, Event.DELIVERED, int(START), START, ["a@x.org"], START)
        outbox.add(1, "http://127.0.0.1:9/cb", [chunk], START)
        now, gaps = START, []
        while (delivery := outbox.take(now)) is not None and len(gaps) < 8:
            outbox.record(delivery, now, 500, None, 1.0)
            retry = outbox.journal[-1].retry_at
            if retry is None:
                break
            gaps.append(retry - now)
            now = retry
        return gaps

    settings = SimulationSettings().updated({"seed": 5, "retry_jitter": "full"})
    gaps = retry_gaps(settings)
    assert gaps == retry_gaps(settings)  # the same seed, the same schedule
    ceilings = [SimulationSettings().backoff(n) for n in range(1, len(gaps) + 1)]
    assert len(gaps) == 8 and all(0 <= g < c for g, c in zip(gaps, ceilings, strict=True))
    assert gaps != ceilings


@pytest.mark.parametrize(
    "bad",
    [{"retry_jitter": "half"}, {"retry_jitter": 1}, {"start_delay": -1}, {"done_delay": -5}],
)
def test_reading_settings_refuse_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidError):
        SimulationSettings().updated(bad)
