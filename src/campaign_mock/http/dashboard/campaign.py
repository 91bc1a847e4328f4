"""One campaign's page: facts, audience and what happened to each message, the event
timeline, and every callback request (its fields decoded, the raw body kept) with its attempts
and what the receiver answered each, read from the world's outbox (copies, taken under its
lock)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from campaign_mock.domain.aggregation import Chunk
from campaign_mock.domain.audience import recipients
from campaign_mock.domain.deliveries import ANSWER_BODY_KEPT, Attempt, BatchState
from campaign_mock.domain.models import ContactList
from campaign_mock.domain.world import World as DomainWorld
from campaign_mock.http.dashboard.messages import MessageView, message_views
from campaign_mock.http.dashboard.timeline import TimelinePoint, timeline_svg
from campaign_mock.http.dashboard.views import CampaignRow, World, campaign_row, list_name, moment

#: The most callback requests one campaign page lists (the newest); the timeline counts all.
MAX_BATCHES = 200
#: The most recipients a campaign page lists as its messages.
MAX_MESSAGES = 20


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
    #: What the receiver answered: headers in order, the start of the body as text.
    headers: tuple[tuple[str, str], ...]
    answer: str
    #: The body was longer than what was kept (`ANSWER_BODY_KEPT` bytes shown).
    answer_cut: bool


@dataclass(slots=True)
class CallbackView:
    """One callback request (a batch): what was POSTed where, and every attempt at it."""

    batch: int
    url: str
    body: str
    #: The body decoded: (field, value) in the order sent, repeated keys kept.
    fields: list[tuple[str, str]]
    channel: str
    event: str
    count: int
    when: str
    state: str
    due_at: str
    next_retry: str | None
    attempts: list[AttemptView] = field(default_factory=list)


@dataclass(slots=True)
class CampaignPage:
    world: str | None
    row: CampaignRow
    wire: dict[str, object]
    domain: str
    payloads: list[str]
    audience: str
    messages: list[MessageView]
    more_messages: bool
    callbacks: list[CallbackView]
    batches_total: int
    attempts_total: int
    timeline: str
    envelope: str | None = None


def list_size(contact_list: ContactList | None) -> int:
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
        headers=attempt.answer_headers,
        answer=attempt.answer_body.decode("utf-8", "replace"),
        answer_cut=len(attempt.answer_body) >= ANSWER_BODY_KEPT,
    )


@dataclass(slots=True)
class Callbacks:
    shown: list[CallbackView]
    total: int
    attempts: int
    timeline: str
    #: Every batch's events, for what happened to each message.
    chunks: list[Chunk]


def _callbacks(backend: DomainWorld, ident: int) -> Callbacks:
    """The newest `MAX_BATCHES` callback requests with their attempts, the totals, the
    timeline of every event they report, and those events."""
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
        body = batch.body().decode("ascii")
        shown.append(
            CallbackView(
                batch=batch.id,
                url=batch.url,
                body=body,
                fields=parse_qsl(body, keep_blank_values=True),
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
    chunks = [b.chunk for b, *_ in taken]
    return Callbacks(shown, len(taken), len(attempts), timeline_svg(points), chunks)


def campaign_page(world: World, ident: int) -> CampaignPage:
    """Raises the backend's NotFoundError for a campaign the world does not hold."""
    backend = world.backend
    campaign = backend.get_campaign(ident)
    fixtures = backend.fixtures
    contact_list = fixtures.contact_list(campaign.list)
    domain = fixtures.domain(campaign.domain)
    walk = recipients(fixtures, campaign.list, campaign.segments, campaign.payloads)
    sample = list(itertools.islice(walk, MAX_MESSAGES + 1))
    size = list_size(contact_list)
    reach = "the whole list" if not campaign.segments else "its segments"
    made = _callbacks(backend, ident)
    listed = sample[:MAX_MESSAGES]
    return CampaignPage(
        world=world.name,
        row=campaign_row(world.name, campaign, fixtures),
        wire=campaign.to_wire(),
        domain=f"{domain.name} ({domain.id})" if domain else f"domain {campaign.domain}",
        payloads=[p.value for p in campaign.payloads],
        audience=f"{list_name(fixtures, campaign.list)}: {size} contacts; sends to {reach}",
        messages=message_views(listed, made.chunks, campaign.event_callback is not None),
        more_messages=len(sample) > MAX_MESSAGES,
        callbacks=made.shown,
        batches_total=made.total,
        attempts_total=made.attempts,
        timeline=made.timeline,
    )
