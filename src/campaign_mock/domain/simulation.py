"""Simulated sending (M-4): a send job per campaign, advanced to the time it is told.

A job walks the audience at the campaign's send rate, a chunk at a time, so that no call
holds the backend's lock for long; events go to the job's buckets and, as windows close, to
the outbox. Work may run ahead of the clock (`horizon`), since nothing in the future is
visible: buckets are released and campaigns end only at `now`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from campaign_mock.domain.aggregation import EventBuckets
from campaign_mock.domain.audience import Recipient, recipients
from campaign_mock.domain.deliveries import Outbox, OutboxState, outbox_state_from_record
from campaign_mock.domain.models import Actor, Campaign, Channel, Fixtures, State
from campaign_mock.domain.outcomes import MessageSimulator, campaign_rng
from campaign_mock.domain.reading import Fields
from campaign_mock.domain.settings import SimulationSettings

#: How many contacts one unit of work simulates; small enough to keep the lock brief.
CHUNK = 100


class _Unwalked(Iterator[Recipient]):
    """A restored job's audience walk before `SendJob.resume` rebuilds it: contacts are
    left, but only the instance that carries the send on walks them."""

    def __next__(self) -> Recipient:
        raise RuntimeError("a restored send job is walked only after resume()")


@dataclass(slots=True)
class SendJob:
    """One campaign's send: who is left to message, and its events not yet reported."""

    campaign: int
    url: str | None
    start: float
    remaining: Iterator[Recipient] | None
    simulator: MessageSimulator
    buckets: EventBuckets
    ended: State | None = None
    error: str | None = None
    #: Who it sends to (list, segments, payloads): how `remaining` is rebuilt after a restore.
    audience: tuple[int, tuple[int, ...], tuple[Channel, ...]] = (0, (), ())

    def to_record(self) -> dict[str, object]:
        """Plain data for a checkpoint: the audience walk is kept as a position (the
        simulator's `sent`), rebuilt by `resume`."""
        list_id, segments, payloads = self.audience
        return {
            "campaign": self.campaign,
            "url": self.url,
            "start": self.start,
            "remaining": self.remaining is not None,
            "ended": None if self.ended is None else self.ended.value,
            "error": self.error,
            "audience": {
                "list": list_id,
                "segments": list(segments),
                "payloads": [p.value for p in payloads],
            },
            "simulator": self.simulator.to_record(),
            "buckets": self.buckets.to_record(),
        }

    @classmethod
    def from_record(cls, record: Fields) -> SendJob:
        buckets = EventBuckets.from_record(record.obj("buckets"))
        audience = record.obj("audience")
        return cls(
            campaign=record.integer("campaign"),
            url=record.optional("url", record.text),
            start=record.number("start"),
            remaining=_Unwalked() if record.flag("remaining") else None,
            simulator=MessageSimulator.from_record(record.obj("simulator"), buckets),
            buckets=buckets,
            ended=record.optional("ended", lambda name: record.choice(name, State)),
            error=record.optional("error", record.text),
            audience=(
                audience.integer("list"),
                tuple(audience.integers("segments")),
                audience.choices("payloads", Channel),
            ),
        )

    def resume(self, fixtures: Fixtures) -> None:
        """After a restore: the walk continues after the contacts already messaged."""
        if isinstance(self.remaining, _Unwalked):
            list_id, segments, payloads = self.audience
            walk = recipients(fixtures, list_id, list(segments), payloads)
            self.remaining = itertools.islice(walk, self.simulator.sent, None)

    @property
    def generated_until(self) -> float:
        """No event earlier than this is still to be drawn."""
        if self.remaining is None:
            return math.inf
        return self.simulator.send_time(self.simulator.sent)


@dataclass(slots=True, frozen=True)
class Ending:
    """A server-side end of a send: the campaign goes to `state` (M-4)."""

    campaign: int
    state: State
    error: str | None = None
    #: Who ended it: the send itself, or a fault injected through the control API.
    by: Actor = Actor.SERVER

    def to_record(self) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "state": self.state.value,
            "error": self.error,
            "by": self.by.value,
        }

    @classmethod
    def from_record(cls, record: Fields) -> Ending:
        return cls(
            campaign=record.integer("campaign"),
            state=record.choice("state", State),
            error=record.optional("error", record.text),
            by=record.choice("by", Actor),
        )


class Simulation:
    """Every send in progress and the outbox; called under the backend's lock only."""

    def __init__(self, settings: SimulationSettings) -> None:
        self.settings = settings
        self.outbox = Outbox(settings)
        self._jobs: dict[int, SendJob] = {}
        self._endings: list[Ending] = []

    def configure(self, settings: SimulationSettings) -> None:
        """New settings: sends that start from now on use them; delivery uses them at once."""
        self.settings = settings
        with self.outbox.lock:
            self.outbox.settings = settings

    def reset(self) -> None:
        self._jobs.clear()
        self._endings.clear()
        self.outbox.reset()

    def checkpoint(self) -> dict[str, object]:
        """Everything in progress as a plain-data record (`restore` takes it back); the
        caller holds the backend's lock, this takes the outbox's."""
        with self.outbox.lock:
            return {
                "jobs": [job.to_record() for job in self._jobs.values()],
                "endings": [ending.to_record() for ending in self._endings],
                "outbox": self.outbox.to_record(),
            }

    def restore(self, saved: SavedSends, fixtures: Fixtures, *, resume: bool) -> None:
        """Takes a checkpoint's state (`read_checkpoint`) in place (held references stay
        valid). With `resume` this simulation carries the sends on: walks are rebuilt and
        attempts that were in flight are made again (their outcome never reached the
        checkpoint)."""
        self._jobs = saved.jobs
        self._endings = saved.endings
        if resume:
            for job in self._jobs.values():
                job.resume(fixtures)
        self.outbox.load(saved.outbox, in_flight_lost=resume)

    def start(self, campaign: Campaign, fixtures: Fixtures, now: float) -> None:
        """READY → SENDING has just happened at `now`: build the audience (A-1, A-2) lazily."""
        walk = recipients(fixtures, campaign.list, campaign.segments, campaign.payloads)
        first = next(walk, None)
        if first is None:  # M-4: an empty audience ends at once, with no events
            self._endings.append(Ending(campaign.id, State.DONE))
            return
        settings = self.settings
        buckets = EventBuckets(now, settings.window, settings.batch_size)
        report = campaign.event_callback is not None
        simulator = MessageSimulator(
            settings, campaign_rng(settings.seed, campaign.id), buckets, report=report
        )
        self._jobs[campaign.id] = SendJob(
            campaign=campaign.id,
            url=campaign.event_callback,
            start=now,
            remaining=itertools.chain([first], walk),
            simulator=simulator,
            buckets=buckets,
            audience=(campaign.list, tuple(campaign.segments), campaign.payloads),
        )

    def advance(
        self, now: float, horizon: float, budget: int | None = None, *, release: bool = True
    ) -> bool:
        """Draws messages sent up to `horizon` (at most `budget` contacts) and, if `release`,
        hands windows closed by `now` to the outbox (at most `budget * 4` events); True if
        work is left for another call."""
        left = math.inf if budget is None else budget
        more = False
        for job in list(self._jobs.values()):
            # Each turn draws one contact at least (or ends the walk): bounded by the
            # audience, whatever the rounding. A send keeps the rate it started with
            # (`configure`), so its own simulator says how many are due.
            while job.remaining is not None and job.generated_until <= horizon and left > 0:
                take = int(min(CHUNK, left, job.simulator.due_by(horizon) - job.simulator.sent))
                batch = list(itertools.islice(job.remaining, take))
                job.simulator.send(batch)
                left -= take
                if len(batch) < take or job.simulator.failed_at is not None:
                    job.remaining = None
            if job.remaining is not None and job.generated_until <= horizon:
                more = True
            if release:
                events = None if budget is None else budget * 4
                more = self._release(job, now, events) or more
        return more

    def flush(self, now: float) -> None:
        """Reports every event up to `now` without waiting for its window; retries due now."""
        self.advance(now, now)
        for job in self._jobs.values():
            if job.url is not None:
                self.outbox.add(job.campaign, job.url, job.buckets.release_until(now), now)
        self.outbox.flush(now)

    def abort(self, campaign: int, now: float, reason: str, by: Actor = Actor.SERVER) -> bool:
        """The send cannot go on (an injected fault): no more messages, no events after `now`."""
        job = self._jobs.get(campaign)
        if job is None or job.ended is not None:
            return False
        self.advance(now, now)
        job.remaining = None
        job.buckets.drop_after(now)
        job.ended = State.ERROR
        self._endings.append(Ending(campaign, State.ERROR, reason, by))
        self._release(job, now)
        return True

    def take_endings(self, now: float) -> list[Ending]:
        """Sends that ended by `now`: DONE once every message has its final outcome (M-4)."""
        for job in list(self._jobs.values()):
            failed = job.simulator.failed_at
            if job.ended is None and failed is not None and failed <= now:
                self.abort(job.campaign, failed, "the provider refused a message; sending stopped")
        for job in self._jobs.values():
            done = job.remaining is None and job.simulator.failed_at is None
            ends_at = job.simulator.last_final + self.settings.done_delay
            if job.ended is None and done and ends_at <= now:
                job.ended = State.DONE
                self._endings.append(Ending(job.campaign, State.DONE))
        endings, self._endings = self._endings, []
        for ident in [i for i, j in self._jobs.items() if j.ended and j.buckets.is_empty()]:
            del self._jobs[ident]
        return endings

    def has_job(self, campaign: int) -> bool:
        return campaign in self._jobs

    def signature(self) -> tuple[int, ...]:
        """Changes whenever a checkpoint would: sends' progress, batches, journal, acks."""
        outbox = self.outbox
        with outbox.lock:
            progress = sum(
                j.simulator.sent + j.buckets.pending_events() for j in self._jobs.values()
            )
            return (
                len(self._jobs),
                progress,
                len(outbox.batches),
                len(outbox.journal),
                len(outbox.extras),
                sum(outbox.acknowledged.values()),
                outbox.epoch,
            )

    def pending_events(self) -> int:
        """Events drawn but not yet handed to the outbox."""
        return sum(job.buckets.pending_events() for job in self._jobs.values())

    def sending(self) -> int:
        """Jobs still holding contacts to message or events to report."""
        return len(self._jobs)

    def idle(self) -> bool:
        """No job, and no ending to take: a catch-up has nothing to do but start due sends."""
        return not self._jobs and not self._endings

    def _release(self, job: SendJob, now: float, budget: int | None = None) -> bool:
        """Closed windows to the outbox; True if `budget` events stopped it early."""
        limit = min(now, job.generated_until)
        chunks, more = job.buckets.release(limit, budget)
        if job.url is not None:
            self.outbox.add(job.campaign, job.url, chunks, now)
        return more


@dataclass(slots=True, frozen=True)
class SavedSends:
    """A checkpoint read back, for `Simulation.restore`."""

    jobs: dict[int, SendJob]
    endings: list[Ending]
    outbox: OutboxState


def read_checkpoint(value: object, where: str = "checkpoint") -> SavedSends:
    """A checkpoint record (`Simulation.checkpoint`) read back whole; `RecordError` names
    the first field that is not what it should be."""
    record = Fields(value, where)
    jobs: dict[int, SendJob] = {}
    for each in record.objects("jobs"):
        job = SendJob.from_record(each)
        jobs[job.campaign] = job
    endings = [Ending.from_record(e) for e in record.objects("endings")]
    return SavedSends(jobs, endings, outbox_state_from_record(record.obj("outbox")))
