"""What the dashboard's pages show, read from the worlds: plain values for the templates.

Read only: every function here takes copies (`World.campaigns()`) and never
changes the mock. This module: the worlds, the clock, the campaigns table; one campaign's
page is dashboard_campaign.py, fixtures and the request journal dashboard_records.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from campaign_mock.domain.clock import ClockMode, MockClock
from campaign_mock.domain.models import Campaign, Fixtures, State, Transition
from campaign_mock.domain.world import World as DomainWorld
from campaign_mock.http.context import mock
from campaign_mock.http.world import caller

#: The most campaigns the table lists (the newest): it is redrawn every second.
MAX_ROWS = 500


def moment(at: float | None) -> str:
    """Mock time as people read it: `2026-11-27 00:00:05Z` (UTC)."""
    if at is None:
        return "-"
    try:
        shown = datetime.fromtimestamp(at, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{at:.0f}"
    text = shown.strftime("%Y-%m-%d %H:%M:%S")
    if shown.microsecond:
        text += f".{shown.microsecond // 1000:03d}"
    return text + "Z"


@dataclass(slots=True, frozen=True)
class World:
    """One world, as the dashboard names it: `None` is the mock's only one (no isolation)."""

    name: str | None
    backend: DomainWorld

    @property
    def label(self) -> str:
        return self.name or ""


def every_world() -> list[World]:
    """The mock's one world, or (`--isolate accounts`) the caller's alone, or, for the
    control token, every account's made so far (http/world.py)."""
    return [World(name, backend) for name, backend in mock().worlds_of(caller())]


def world_named(name: str | None) -> World | None:
    """The world `name` (an account of the fixtures, with isolation, and the caller's when
    the request names an account), or None."""
    core = mock()
    if not core.isolated:
        return World(None, core.root) if not name else None
    if name not in {a.username for a in core.fixtures.accounts}:
        return None
    account = caller()
    if account is not None and name != account:
        return None
    return World(name, core.world(name))


# -- the clock -------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class ClockView:
    now: float
    shown: str
    mode: str
    speed: float
    movable: bool
    next_due: float | None

    @property
    def frozen(self) -> bool:
        return self.mode == ClockMode.FROZEN.value


def clock_view() -> ClockView:
    core = mock()
    reading = core.clock_reading()
    return ClockView(
        now=reading.now,
        shown=moment(reading.now),
        mode=reading.mode.value,
        speed=reading.speed,
        movable=isinstance(core.root.clock, MockClock),
        next_due=core.next_due(),
    )


# -- campaigns -------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Step:
    """One transition of a campaign's history."""

    state: str
    at: str
    by: str


@dataclass(slots=True, frozen=True)
class CampaignRow:
    world: str | None
    id: int
    name: str
    state: str
    list_id: int
    list_name: str
    segments: list[str]
    when: str
    history: list[Step]
    error: str | None


def _steps(history: Iterable[Transition]) -> list[Step]:
    return [Step(t.state.value, moment(t.at), t.by.value) for t in history]


def list_name(fixtures: Fixtures, ident: int) -> str:
    found = fixtures.contact_list(ident)
    return found.name if found else f"list {ident}"


def _segment_names(fixtures: Fixtures, list_id: int, segments: list[int]) -> list[str]:
    found = fixtures.contact_list(list_id)
    names = {s.id: s.name for s in found.segments} if found else {}
    return [f"{names.get(s, 'segment')} ({s})" for s in segments]


def campaign_row(world: str | None, campaign: Campaign, fixtures: Fixtures) -> CampaignRow:
    return CampaignRow(
        world=world,
        id=campaign.id,
        name=campaign.name,
        state=campaign.state.value,
        list_id=campaign.list,
        list_name=list_name(fixtures, campaign.list),
        segments=_segment_names(fixtures, campaign.list, campaign.segments),
        when=moment(campaign.when) if campaign.when is not None else "-",
        history=_steps(campaign.history),
        error=campaign.error,
    )


@dataclass(slots=True)
class CampaignTable:
    rows: list[CampaignRow]
    counts: dict[str, int]
    chosen: str | None
    isolated: bool
    #: How many matched; `rows` holds the newest `MAX_ROWS` of them.
    matched: int = 0


def campaign_table(chosen: str | None) -> CampaignTable:
    """Every campaign of every world, the newest first; only `chosen`'s state if given."""
    rows: list[CampaignRow] = []
    counts = {s.value: 0 for s in State}
    for world in every_world():
        fixtures = world.backend.fixtures
        for campaign in world.backend.campaigns():
            counts[campaign.state.value] += 1
            if chosen is None or campaign.state.value == chosen:
                rows.append(campaign_row(world.name, campaign, fixtures))
    rows.sort(key=lambda r: (r.id, r.world or ""), reverse=True)
    return CampaignTable(rows[:MAX_ROWS], counts, chosen, mock().isolated, len(rows))
