"""What the dashboard's pages show, read from the worlds: plain values for the templates.

Read only: every function here takes copies (`CampaignBackend.campaigns()`, the outbox's
journal) and never changes the mock. Nothing here reads a password or an API key: an
account is shown by its username and how many keys it has.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..domain.audience import recipients
from ..domain.backend import CampaignBackend
from ..domain.clock import ClockMode, ClockReading, MockClock
from ..domain.deliveries import Attempt, BatchState
from ..domain.models import Campaign, ContactList, Fixtures, State, Transition
from .context import state, worlds
from .dashboard_timeline import TimelinePoint, timeline_svg
from .failures import failed_answers
from .journal import JournalEntry
from .world import every_journal

#: The most callback requests one campaign page lists (the newest); the timeline counts all.
MAX_BATCHES = 200
#: The most recipients a campaign page lists as its messages.
MAX_MESSAGES = 20
#: The most journal entries the journal page lists (the newest).
MAX_REQUESTS = 200


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
    backend: CampaignBackend

    @property
    def label(self) -> str:
        return self.name or ""


def every_world() -> list[World]:
    """The mock's one world, or (`--isolate accounts`) every account's made so far."""
    held = worlds()
    if not held.isolated:
        return [World(None, held.root)]
    return [World(name, backend) for name, backend in held.named()]


def world_named(name: str | None) -> World | None:
    """The world `name` (an account of the fixtures, with isolation), or None."""
    held = worlds()
    if not held.isolated:
        return World(None, held.root) if not name else None
    if name not in {a.username for a in held.root.fixtures.accounts}:
        return None
    return World(name, held.of(name))


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
    clock = state().backend.clock
    if isinstance(clock, MockClock):
        reading = clock.reading()
    else:
        reading = ClockReading(clock.now(), ClockMode.REAL, 1.0)
    return ClockView(
        now=reading.now,
        shown=moment(reading.now),
        mode=reading.mode.value,
        speed=reading.speed,
        movable=isinstance(clock, MockClock),
        next_due=worlds().next_due(),
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


def _list_name(fixtures: Fixtures, ident: int) -> str:
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
        list_name=_list_name(fixtures, campaign.list),
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
    return CampaignTable(rows, counts, chosen, worlds().isolated)


# -- one campaign ----------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class AttemptView:
    number: int
    kind: str
    at: str
    status: int | None
    error: str | None
    latency_ms: float
    outcome: str
    retry_at: str | None


@dataclass(slots=True)
class CallbackView:
    """One callback request (a batch): what was POSTed where, and every attempt at it."""

    batch: int
    url: str
    body: str
    channel: str
    event: str
    count: int
    when: str
    state: str
    due_at: str
    next_retry: str | None
    attempts: list[AttemptView] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Message:
    email: str | None
    telephone: str | None


@dataclass(slots=True)
class CampaignPage:
    world: str | None
    row: CampaignRow
    wire: dict[str, object]
    domain: str
    payloads: list[str]
    audience: str
    messages: list[Message]
    more_messages: bool
    callbacks: list[CallbackView]
    batches_total: int
    attempts_total: int
    timeline: str
    envelope: str | None = None


def _list_size(contact_list: ContactList | None) -> int:
    if contact_list is None:
        return 0
    generated = contact_list.generated.count if contact_list.generated else 0
    return len(contact_list.contacts) + generated


def _attempt(attempt: Attempt) -> AttemptView:
    return AttemptView(
        number=attempt.attempt,
        kind=attempt.kind.value,
        at=moment(attempt.at),
        status=attempt.status,
        error=attempt.error,
        latency_ms=attempt.latency_ms,
        outcome=attempt.outcome,
        retry_at=moment(attempt.retry_at) if attempt.retry_at is not None else None,
    )


def _callbacks(backend: CampaignBackend, ident: int) -> tuple[list[CallbackView], int, int, str]:
    """The newest `MAX_BATCHES` callback requests with their attempts, the totals, and the
    timeline of every event they report."""
    outbox = backend.simulation.outbox
    with outbox.lock:
        batches = [b for b in outbox.batches.values() if b.campaign == ident]
        taken = [(b, b.state, b.next_at, b.attempts) for b in sorted(batches, key=lambda b: b.id)]
    points = [
        TimelinePoint(
            b.chunk.channel.value, b.chunk.event.value, b.chunk.when, len(b.chunk.addresses)
        )
        for b, *_ in taken
    ]
    attempts = outbox.entries(ident)
    by_batch: dict[int, list[AttemptView]] = {}
    for attempt in attempts:
        by_batch.setdefault(attempt.batch, []).append(_attempt(attempt))
    shown: list[CallbackView] = []
    for batch, batch_state, next_at, tried in reversed(taken[-MAX_BATCHES:]):
        pending = batch_state is BatchState.PENDING
        shown.append(
            CallbackView(
                batch=batch.id,
                url=batch.url,
                body=batch.body().decode("ascii"),
                channel=batch.chunk.channel.value,
                event=batch.chunk.event.value,
                count=len(batch.chunk.addresses),
                when=moment(batch.chunk.when),
                state=batch_state.value,
                due_at=moment(batch.due_at),
                next_retry=moment(next_at) if pending and tried else None,
                attempts=by_batch.get(batch.id, []),
            )
        )
    return shown, len(taken), len(attempts), timeline_svg(points)


def campaign_page(world: World, ident: int) -> CampaignPage:
    """Raises the backend's NotFoundError for a campaign the world does not hold."""
    backend = world.backend
    campaign = backend.get_campaign(ident)
    fixtures = backend.fixtures
    contact_list = fixtures.contact_list(campaign.list)
    domain = fixtures.domain(campaign.domain)
    walk = recipients(fixtures, campaign.list, campaign.segments, campaign.payloads)
    sample = list(itertools.islice(walk, MAX_MESSAGES + 1))
    size = _list_size(contact_list)
    reach = "the whole list" if not campaign.segments else "its segments"
    callbacks, total, tried, timeline = _callbacks(backend, ident)
    return CampaignPage(
        world=world.name,
        row=campaign_row(world.name, campaign, fixtures),
        wire=campaign.to_wire(),
        domain=f"{domain.name} ({domain.id})" if domain else f"domain {campaign.domain}",
        payloads=[p.value for p in campaign.payloads],
        audience=f"{_list_name(fixtures, campaign.list)}: {size} contacts; sends to {reach}",
        messages=[Message(e, t) for e, t in sample[:MAX_MESSAGES]],
        more_messages=len(sample) > MAX_MESSAGES,
        callbacks=callbacks,
        batches_total=total,
        attempts_total=tried,
        timeline=timeline,
    )


# -- fixtures --------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class AccountView:
    """An account without its secrets: the username and how many API keys it has."""

    username: str
    api_keys: int


@dataclass(slots=True, frozen=True)
class ListView:
    id: int
    name: str
    contacts: int
    generated: bool
    segments: list[tuple[int, str, int]]


@dataclass(slots=True)
class FixturesView:
    accounts: list[AccountView]
    domains: list[tuple[int, str, bool, bool]]
    lists: list[ListView]
    payloads: list[str]


def fixtures_view() -> FixturesView:
    fixtures = state().backend.fixtures
    return FixturesView(
        accounts=[AccountView(a.username, len(a.api_keys)) for a in fixtures.accounts],
        domains=[(d.id, d.name, d.is_sending, d.is_bouncing) for d in fixtures.domains],
        lists=[
            ListView(
                id=c.id,
                name=c.name,
                contacts=_list_size(c),
                generated=c.generated is not None,
                segments=[(s.id, s.name, len(s.contact_ids)) for s in c.segments],
            )
            for c in fixtures.lists
        ],
        payloads=[p.value for p in fixtures.payloads],
    )


# -- the request journal ---------------------------------------------------------


@dataclass(slots=True, frozen=True)
class RequestView:
    entry: JournalEntry
    account: str | None
    at: str
    failed: bool


def _request_view(entry: JournalEntry, account: str | None) -> RequestView:
    failed = entry.success is False or entry.status >= 400
    return RequestView(entry, account, moment(entry.at), failed)


def request_views(*, failed_only: bool = False) -> list[RequestView]:
    """The newest `MAX_REQUESTS` API requests of every world, newest first."""
    merged = sorted(
        ((e, name) for name, journal in every_journal() for e in journal.entries()),
        key=lambda pair: pair[0].seq,
    )
    views = [_request_view(e, name) for e, name in merged]
    if failed_only:
        views = [v for v in views if v.failed]
    return list(reversed(views[-MAX_REQUESTS:]))


def request_detail(seq: int) -> tuple[RequestView, str | None] | None:
    """One journal entry and, if it failed, the envelope it was answered with."""
    for name, journal in every_journal():
        for entry in journal.entries():
            if entry.seq == seq:
                return _request_view(entry, name), _pretty(failed_answers().get(seq))
    return None


def _pretty(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
