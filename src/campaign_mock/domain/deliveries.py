"""The outbox of callbacks (C-1, C-2, C-4): batches waiting, their attempts, retries and journal.

Pure bookkeeping: the outbox hands a `Delivery` to whoever sends it and is told the outcome
with the mock's time; it never opens a socket. Batches of one campaign and channel form a
lane that goes out in order, one at a time, so a receiver sees each message's events in E-2
order; lanes never wait for each other, so one dead receiver stalls no other campaign.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import quote_plus, urlsplit

from campaign_mock.domain.aggregation import Chunk, Event, times_from_bytes, times_to_bytes
from campaign_mock.domain.models import Channel
from campaign_mock.domain.reading import Fields, RecordError
from campaign_mock.domain.settings import MAX_BATCH, MAX_REPORT_DELAY, SimulationSettings

_PLAIN = re.compile(r"[A-Za-z0-9._~@+\n-]*").fullmatch
_EMAIL_KEYS = [f"email%5B{i}%5D=" for i in range(MAX_BATCH)]
_TELEPHONE_KEYS = [f"telephone%5B{i}%5D=" for i in range(MAX_BATCH)]
#: Bytes of a receiver's answer an attempt keeps (the first; the rest is read and dropped).
ANSWER_BODY_KEPT = 1024
#: Headers of a receiver's answer an attempt keeps (the first), and characters of each value.
ANSWER_HEADERS_KEPT = 64
ANSWER_HEADER_CHARS = 1024

#: A receiver's answer headers as (name, value) pairs, in the order they came.
Headers = tuple[tuple[str, str], ...]


class BatchState(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    GIVEN_UP = "given_up"


class Kind(StrEnum):
    """Why an attempt was made."""

    FIRST = "first"
    RETRY = "retry"
    DUPLICATE = "duplicate"  # fault injection
    REDELIVERY = "redelivery"  # asked for through the control API


class Outcome(StrEnum):
    """How an attempt went."""

    ACKNOWLEDGED = "acknowledged"  # the receiver answered 2xx
    FAILED = "failed"  # anything else: retried at the attempt's `retry_at`
    GIVEN_UP = "given_up"  # failed, and the retry window is over: no more attempts


@dataclass(slots=True, eq=False)
class Batch:
    """One callback's content (C-2) and its delivery state."""

    id: int
    campaign: int
    url: str
    chunk: Chunk
    due_at: float
    deadline: float
    next_at: float
    state: BatchState = BatchState.PENDING
    attempts: int = 0
    in_flight: bool = False

    @property
    def lane(self) -> tuple[int, Channel]:
        return self.campaign, self.chunk.channel

    @property
    def destination(self) -> str:
        """The receiver, as `scheme://host:port` text: what one slow server holds up."""
        return destination_of(self.url)

    def body(self) -> bytes:
        """`event=..&when=..&email%5B0%5D=..`: form-encoded, indexes from 0 with no gaps (C-2)."""
        chunk = self.chunk
        keys = _EMAIL_KEYS if chunk.channel is Channel.EMAIL else _TELEPHONE_KEYS
        joined = "\n".join(chunk.addresses)
        if _PLAIN(joined):  # the usual case, encoded in a few C-level passes
            values = joined.replace("+", "%2B").replace("@", "%40").split("\n")
        else:
            values = [quote_plus(a, safe="") for a in chunk.addresses]
        head = f"event={chunk.event.value}&when={chunk.when}&"
        return (head + "&".join(map(str.__add__, keys, values))).encode("ascii")


def batch_key(campaign: int, chunk: Chunk) -> bytes:
    """What a batch reports, as 16 bytes: the same events make the same key, whichever
    instance cut them, so an acknowledgment recorded by one is known to the next (C-4)."""
    digest = hashlib.blake2b(digest_size=16)
    head = f"{campaign}|{chunk.channel.value}|{chunk.event.value}|{chunk.when}|"
    digest.update(head.encode())
    digest.update("\n".join(chunk.addresses).encode("utf-8", "surrogatepass"))
    return digest.digest()


@functools.lru_cache(maxsize=4096)
def destination_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port}"
    except ValueError:  # a port out of range: the transport refuses it; here it is one more
        return url


@dataclass(slots=True, frozen=True)
class Delivery:
    """One attempt handed to a sender: POST `body` to `url` exactly as given (C-1)."""

    batch: Batch
    attempt: int
    kind: Kind
    at: float
    epoch: int
    extra: _Extra | None = None

    @property
    def url(self) -> str:
        return self.batch.url


@dataclass(slots=True, frozen=True)
class Attempt:
    """One callback attempt and how it went: a line of the delivery journal
    (`mock.deliveries`, `GET /_mock/deliveries`)."""

    batch: int
    """The callback batch it sent: one request body, made again by each retry."""
    attempt: int
    """Which attempt at the batch this was, from 1."""
    kind: Kind
    """Why it was made: `first`, `retry`, `duplicate` (a fault) or `redelivery` (asked for)."""
    campaign: int
    """The id of the campaign whose events it reports."""
    channel: Channel
    """`email` or `sms`: which kind of address the body lists."""
    event: Event
    """The event it reports: `submitted`, `delivered`, `bounced`, `opened` or `clicked`."""
    url: str
    """Where it was POSTed: the campaign's `event_callback`, as given."""
    when: int
    """The body's `when`: the Unix second the events happened at."""
    count: int
    """How many addresses the body lists."""
    due_at: float
    """When the batch first fell due, in the mock's time."""
    at: float
    """When this attempt was made, in the mock's time."""
    status: int | None
    """The HTTP status the receiver answered; None when no answer came (see `error`)."""
    error: str | None
    """Why no status came (refused, timed out, connection lost); None when answered."""
    latency_ms: float
    """How long the attempt took, in real milliseconds."""
    outcome: Outcome
    """How it went: `acknowledged` (a 2xx), `failed` (retried at `retry_at`) or `given_up`."""
    retry_at: float | None
    """When the next attempt goes, in the mock's time; None when none will."""
    answer_headers: tuple[tuple[str, str], ...] = ()
    """The receiver's answer headers as (name, value) pairs, in order (the first 64); empty
    when no answer came."""
    answer_body: bytes = b""
    """The first 1024 bytes of the receiver's answer body; empty when no answer came."""

    def to_wire(self, body: bytes | None = None) -> dict[str, object]:
        wire: dict[str, object] = {
            "batch": self.batch,
            "attempt": self.attempt,
            "kind": self.kind.value,
            "campaign": self.campaign,
            "channel": self.channel.value,
            "event": self.event.value,
            "url": self.url,
            "when": self.when,
            "count": self.count,
            "due_at": self.due_at,
            "at": self.at,
            "status": self.status,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "outcome": self.outcome.value,
            "retry_at": self.retry_at,
            "answer_headers": [list(pair) for pair in self.answer_headers],
            "answer_body": self.answer_body.decode("utf-8", "replace"),
        }
        if body is not None:
            wire["body"] = body.decode("ascii")
        return wire


@dataclass(slots=True)
class _Extra:
    """A send outside a batch's own retries: a duplicate (fault) or a redelivery (asked for)."""

    batch: Batch
    kind: Kind
    next_at: float
    in_flight: bool = False


@dataclass(slots=True, frozen=True)
class OutboxState:
    """An outbox's checkpointed state, read back from its record."""

    batches: dict[int, Batch]
    lanes: dict[tuple[int, Channel], deque[Batch]]
    extras: list[_Extra]
    journal: list[Attempt]
    acknowledged: Counter[tuple[int, Event]]
    next_id: int


def outbox_state_from_record(record: Fields) -> OutboxState:
    batches: dict[int, Batch] = {}
    for each in record.objects("batches"):
        batch = batch_from_record(each)
        batches[batch.id] = batch
    where = record.where

    def known(ident: object, at: str) -> Batch:
        found = batches.get(ident) if isinstance(ident, int) else None
        if found is None:
            raise RecordError(f"{at}: {ident!r} names no batch of the checkpoint")
        return found

    lanes: dict[tuple[int, Channel], deque[Batch]] = {}
    for i, ids in enumerate(record.items("lanes")):
        at = f"{where}.lanes[{i}]"
        if not isinstance(ids, list) or not ids:
            raise RecordError(f"{at}: expected a list of batch ids")
        lane = deque(known(ident, at) for ident in ids)
        if len({b.lane for b in lane}) != 1 or lane[0].lane in lanes:
            raise RecordError(f"{at}: batches of one lane, and one lane once")
        lanes[lane[0].lane] = lane
    extras = [
        _Extra(
            known(e.value("batch"), f"{e.where}.batch"),
            e.choice("kind", Kind),
            e.number("next_at"),
            e.flag("in_flight"),
        )
        for e in record.objects("extras")
    ]
    acknowledged: Counter[tuple[int, Event]] = Counter()
    for each in record.objects("acknowledged"):
        acknowledged[each.integer("campaign"), each.choice("event", Event)] = each.integer("count")
    return OutboxState(
        batches=batches,
        lanes=lanes,
        extras=extras,
        journal=[attempt_from_record(a) for a in record.objects("journal")],
        acknowledged=acknowledged,
        next_id=record.integer("next_id"),
    )


def chunk_to_record(chunk: Chunk) -> dict[str, object]:
    return {
        "channel": chunk.channel.value,
        "event": chunk.event.value,
        "when": chunk.when,
        "first_event": chunk.first_event,
        "addresses": chunk.addresses,
        "closes_at": chunk.closes_at,
        "times": times_to_bytes(chunk.times),
    }


def chunk_from_record(record: Fields) -> Chunk:
    addresses = record.texts("addresses")
    chunk = Chunk(
        channel=record.choice("channel", Channel),
        event=record.choice("event", Event),
        when=record.integer("when"),
        first_event=record.number("first_event"),
        addresses=addresses,
        closes_at=record.number("closes_at"),
    )
    if not record.has("times"):  # written before the times were kept
        return chunk
    times = times_from_bytes(record.blob("times"), record.where)
    if len(times) != len(addresses):
        raise RecordError(f"{record.where}: {len(addresses)} addresses, {len(times)} times")
    return replace(chunk, times=times)


def batch_to_record(batch: Batch) -> dict[str, object]:
    return {
        "id": batch.id,
        "campaign": batch.campaign,
        "url": batch.url,
        "chunk": chunk_to_record(batch.chunk),
        "due_at": batch.due_at,
        "deadline": batch.deadline,
        "next_at": batch.next_at,
        "state": batch.state.value,
        "attempts": batch.attempts,
        "in_flight": batch.in_flight,
    }


def batch_from_record(record: Fields) -> Batch:
    return Batch(
        id=record.integer("id"),
        campaign=record.integer("campaign"),
        url=record.text("url"),
        chunk=chunk_from_record(record.obj("chunk")),
        due_at=record.number("due_at"),
        deadline=record.number("deadline"),
        next_at=record.number("next_at"),
        state=record.choice("state", BatchState),
        attempts=record.integer("attempts"),
        in_flight=record.flag("in_flight"),
    )


def attempt_to_record(attempt: Attempt) -> dict[str, object]:
    return {
        "batch": attempt.batch,
        "attempt": attempt.attempt,
        "kind": attempt.kind.value,
        "campaign": attempt.campaign,
        "channel": attempt.channel.value,
        "event": attempt.event.value,
        "url": attempt.url,
        "when": attempt.when,
        "count": attempt.count,
        "due_at": attempt.due_at,
        "at": attempt.at,
        "status": attempt.status,
        "error": attempt.error,
        "latency_ms": attempt.latency_ms,
        "outcome": attempt.outcome.value,
        "retry_at": attempt.retry_at,
        "answer_headers": [list(pair) for pair in attempt.answer_headers],
        "answer_body": attempt.answer_body,
    }


def _headers_from_record(record: Fields) -> Headers:
    """(name, value) pairs; absent from records written before answers were kept."""
    if not record.has("answer_headers"):
        return ()
    pairs = []
    for i, pair in enumerate(record.items("answer_headers")):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise RecordError(f"{record.where}.answer_headers[{i}]: expected a [name, value] pair")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def attempt_from_record(record: Fields) -> Attempt:
    return Attempt(
        batch=record.integer("batch"),
        attempt=record.integer("attempt"),
        kind=record.choice("kind", Kind),
        campaign=record.integer("campaign"),
        channel=record.choice("channel", Channel),
        event=record.choice("event", Event),
        url=record.text("url"),
        when=record.integer("when"),
        count=record.integer("count"),
        due_at=record.number("due_at"),
        at=record.number("at"),
        status=record.optional("status", record.integer),
        error=record.optional("error", record.text),
        latency_ms=record.number("latency_ms"),
        outcome=record.choice("outcome", Outcome),
        retry_at=record.optional("retry_at", record.number),
        answer_headers=_headers_from_record(record),
        answer_body=record.blob("answer_body") if record.has("answer_body") else b"",
    )


@dataclass(slots=True)
class Outbox:
    """Every batch made, the lanes they wait in, and the journal of attempts. Thread-safe."""

    settings: SimulationSettings
    lock: threading.Condition = field(default_factory=threading.Condition)
    batches: dict[int, Batch] = field(default_factory=dict)
    lanes: dict[tuple[int, Channel], deque[Batch]] = field(default_factory=dict)
    extras: list[_Extra] = field(default_factory=list)
    journal: list[Attempt] = field(default_factory=list)
    acknowledged: Counter[tuple[int, Event]] = field(default_factory=Counter)
    epoch: int = 0
    #: Attempts in flight per destination (`Batch.destination`), for fairness in `take`.
    in_flight: Counter[str] = field(default_factory=Counter)
    _next_id: int = 1
    _cursor: int = 0
    #: A replica (another instance sends): it shows the journal but hands out nothing.
    paused: bool = False
    #: Told the key of each batch acknowledged (a shared store keeps them, store/shared.py).
    on_acknowledged: Callable[[bytes], None] | None = None
    #: Keys of batches acknowledged before this outbox took the sends over: made again,
    #: they count as acknowledged and are not sent twice (C-4).
    acknowledged_before: set[bytes] = field(default_factory=set)

    def to_record(self) -> dict[str, object]:
        """Plain data for a checkpoint (lanes and extras name batches by id); the caller
        holds `lock`."""
        return {
            "batches": [batch_to_record(b) for b in self.batches.values()],
            "lanes": [[b.id for b in lane] for lane in self.lanes.values()],
            "extras": [
                {
                    "batch": e.batch.id,
                    "kind": e.kind.value,
                    "next_at": e.next_at,
                    "in_flight": e.in_flight,
                }
                for e in self.extras
            ],
            "journal": [attempt_to_record(a) for a in self.journal],
            "acknowledged": [
                {"campaign": campaign, "event": event.value, "count": count}
                for (campaign, event), count in self.acknowledged.items()
            ],
            "next_id": self._next_id,
        }

    def load(self, state: OutboxState, *, in_flight_lost: bool) -> None:
        """Takes a checkpoint's state in place; with `in_flight_lost`, attempts in flight then
        are due again (the instance making them is gone), so none is lost."""
        with self.lock:
            self.batches = state.batches
            self.lanes = state.lanes
            self.extras = state.extras
            self.journal = state.journal
            self.acknowledged = state.acknowledged
            self._next_id = state.next_id
            self._cursor = 0
            self.epoch += 1  # outcomes of attempts made before the load are ignored
            self.in_flight.clear()
            if in_flight_lost:
                for batch in self.batches.values():
                    batch.in_flight = False
                self.extras = [e for e in self.extras if not e.in_flight]
            self.lock.notify_all()

    def reset(self) -> None:
        """Forgets everything; attempts still in flight are ignored when they report."""
        with self.lock:
            self.batches.clear()
            self.lanes.clear()
            self.extras.clear()
            self.journal.clear()
            self.acknowledged.clear()
            self.acknowledged_before = set()
            self.in_flight.clear()
            self.epoch += 1
            self._next_id = 1
            self.lock.notify_all()

    def add(self, campaign: int, url: str, chunks: list[Chunk], now: float) -> None:
        """Queues released chunks; each is first due when its window closed (or `now`, if later)."""
        if not chunks:
            return
        settings = self.settings
        faults = settings.faults
        rng = random.Random(f"order:{settings.seed}:{campaign}:{self._next_id}")
        if faults.reorder:
            chunks = list(chunks)
            rng.shuffle(chunks)
        with self.lock:
            for chunk in chunks:
                due = chunk.closes_at + faults.extra_delay
                if not faults.break_contract:
                    due = min(due, chunk.first_event + MAX_REPORT_DELAY)
                due = max(due, chunk.closes_at)
                batch = Batch(
                    id=self._next_id,
                    campaign=campaign,
                    url=url,
                    chunk=chunk,
                    due_at=due,
                    deadline=max(due, now) + settings.retry_window,
                    next_at=due,
                )
                self._next_id += 1
                self.batches[batch.id] = batch
                if self._known_acknowledged(batch):
                    continue
                self.lanes.setdefault(batch.lane, deque()).append(batch)
            self.lock.notify_all()

    def take(self, now: float) -> Delivery | None:
        """The next attempt due at `now`, marked in flight; lanes are served round-robin.

        Fair between receivers: a destination that already has an attempt in flight gets
        another only while one worker more stays free for the others, so slow receivers
        (each attempt up to `timeout`) can never hold every worker.
        """
        with self.lock:
            if self.paused:
                return None
            for extra in self.extras:
                if not extra.in_flight and extra.next_at <= now and self._may_go(extra.batch):
                    extra.in_flight = True
                    extra.batch.attempts += 1
                    attempt = extra.batch.attempts
                    self.in_flight[extra.batch.destination] += 1
                    return Delivery(extra.batch, attempt, extra.kind, now, self.epoch, extra)
            lanes = list(self.lanes.values())
            for turn in range(len(lanes)):
                lane = lanes[(self._cursor + turn) % len(lanes)]
                batch = self._ready_in(lane, now)
                if batch is not None and self._may_go(batch):
                    self._cursor = (self._cursor + turn + 1) % len(lanes)
                    batch.in_flight = True
                    batch.attempts += 1
                    self.in_flight[batch.destination] += 1
                    kind = Kind.FIRST if batch.attempts == 1 else Kind.RETRY
                    return Delivery(batch, batch.attempts, kind, now, self.epoch)
            return None

    def _may_go(self, batch: Batch) -> bool:
        if not self.in_flight[batch.destination]:
            return True
        return sum(self.in_flight.values()) + 1 < self.settings.workers

    def record(
        self,
        delivery: Delivery,
        now: float,
        status: int | None,
        error: str | None,
        latency_ms: float,
        answer_headers: Headers = (),
        answer_body: bytes = b"",
    ) -> Attempt | None:
        """C-4: any 2xx acknowledges; otherwise retry with backoff until the retry window ends.
        The journal keeps the start of the receiver's answer (`ANSWER_*_KEPT`).

        Returns the journal's line for the attempt; None when the outbox was reset or loaded
        while it was in flight (its outcome is ignored)."""
        acknowledged_key: bytes | None = None
        with self.lock:
            if delivery.epoch != self.epoch:
                return None
            batch = delivery.batch
            self.in_flight[batch.destination] -= 1
            if self.in_flight[batch.destination] <= 0:
                del self.in_flight[batch.destination]
            ok = status is not None and 200 <= status < 300
            retry_at: float | None = None
            if delivery.extra is not None:
                self.extras = [e for e in self.extras if e is not delivery.extra]
                outcome = Outcome.ACKNOWLEDGED if ok else Outcome.FAILED
            elif ok:
                outcome = Outcome.ACKNOWLEDGED
                self._finish(batch, BatchState.ACKNOWLEDGED)
                self.acknowledged[batch.campaign, batch.chunk.event] += len(batch.chunk.addresses)
                self._maybe_duplicate(batch, now)
            else:
                retry_at = self._retry_time(batch, now)
                if retry_at is None:
                    outcome = Outcome.GIVEN_UP
                    self._finish(batch, BatchState.GIVEN_UP)
                else:
                    outcome = Outcome.FAILED
                    batch.next_at = retry_at
                    batch.in_flight = False
            chunk = batch.chunk
            if ok and delivery.extra is None:
                acknowledged_key = batch_key(batch.campaign, batch.chunk)
            made = Attempt(
                batch=batch.id,
                attempt=delivery.attempt,
                kind=delivery.kind,
                campaign=batch.campaign,
                channel=chunk.channel,
                event=chunk.event,
                url=batch.url,
                when=chunk.when,
                count=len(chunk.addresses),
                due_at=batch.due_at,
                at=delivery.at,
                status=status,
                error=error,
                latency_ms=latency_ms,
                outcome=outcome,
                retry_at=retry_at,
                answer_headers=tuple(
                    (name, value[:ANSWER_HEADER_CHARS])
                    for name, value in answer_headers[:ANSWER_HEADERS_KEPT]
                ),
                answer_body=bytes(answer_body[:ANSWER_BODY_KEPT]),
            )
            self.journal.append(made)
            self.lock.notify_all()
        if acknowledged_key is not None and self.on_acknowledged is not None:
            self.on_acknowledged(acknowledged_key)
        return made

    def flush(self, now: float) -> None:
        """Everything waiting (a window, a retry's backoff, a fault's delay) becomes due now."""
        with self.lock:
            for lane in self.lanes.values():
                for batch in lane:
                    batch.next_at = min(batch.next_at, now)
            for extra in self.extras:
                extra.next_at = min(extra.next_at, now)
            self.lock.notify_all()

    def redeliver(self, ident: int, now: float) -> Batch | None:
        """Sends batch `ident` once more, whatever its state; None if there is no such batch."""
        with self.lock:
            batch = self.batches.get(ident)
            if batch is not None:
                self.extras.append(_Extra(batch, Kind.REDELIVERY, now))
                self.lock.notify_all()
            return batch

    def busy(self, now: float) -> int:
        """Attempts due at `now` or in flight: 0 means every due callback has been answered."""
        with self.lock:
            count = sum(1 for e in self.extras if e.in_flight or e.next_at <= now)
            for lane in self.lanes.values():
                if self.settings.faults.reorder:
                    count += sum(1 for b in lane if b.in_flight or b.next_at <= now)
                elif lane and (lane[0].in_flight or lane[0].next_at <= now):
                    count += 1  # batches behind a lane's head wait for it, not for the clock
            return count

    def waiting(self) -> int:
        """Attempts waiting to be made, due or not (`/_mock/metrics`): not in flight."""
        with self.lock:
            count = sum(1 for e in self.extras if not e.in_flight)
            return count + sum(1 for lane in self.lanes.values() for b in lane if not b.in_flight)

    def next_due(self) -> float | None:
        """When the earliest waiting attempt falls due, if any is waiting."""
        with self.lock:
            times = [b.next_at for lane in self.lanes.values() for b in lane]
            times += [e.next_at for e in self.extras]
            return min(times, default=None)

    def first_unmade(self, since: float) -> float | None:
        """When the earliest first attempt not yet made fell due (at `since` or later): what
        holds a braked clock (`MockClock.hold`). Batches behind a lane's head in flight on its
        first attempt count (only the workers hold them back); those behind a head that
        failed wait for its retry (C-4), and retries, duplicates and redeliveries are no
        promise of C-3's, so none of them holds the clock."""
        reorder = self.settings.faults.reorder
        with self.lock:
            if self.paused:
                return None
            found: float | None = None
            for lane in self.lanes.values():
                for batch in lane:
                    if batch.attempts == 0:
                        if batch.next_at >= since and (found is None or batch.next_at < found):
                            found = batch.next_at
                            if not reorder:
                                break  # a lane's later batches fall due later
                    elif not reorder and not (batch.in_flight and batch.attempts == 1):
                        break  # the rest of the lane waits for this one's retry
            return found

    def entries(self, campaign: int | None = None) -> list[Attempt]:
        """The journal in a stable order (batch, attempt), whichever worker finished first."""
        with self.lock:
            found = [a for a in self.journal if campaign is None or a.campaign == campaign]
        return sorted(found, key=lambda a: (a.batch, a.attempt))

    def count_acknowledged(self, campaign: int, event: Event) -> int:
        with self.lock:
            return self.acknowledged[campaign, event]

    def _ready_in(self, lane: deque[Batch], now: float) -> Batch | None:
        if not self.settings.faults.reorder:
            head = lane[0] if lane else None
            ready = head is not None and not head.in_flight and head.next_at <= now
            return head if ready else None
        return next((b for b in lane if not b.in_flight and b.next_at <= now), None)

    def adopt_acknowledged(self, keys: set[bytes]) -> None:
        """Batches with these keys were acknowledged elsewhere: pending ones end so, and
        ones made later are born so. The caller holds `lock`."""
        self.acknowledged_before = keys
        for batch in list(self.batches.values()):
            if batch.state is BatchState.PENDING and not batch.in_flight:
                self._known_acknowledged(batch)

    def _known_acknowledged(self, batch: Batch) -> bool:
        if not self.acknowledged_before:
            return False
        if batch_key(batch.campaign, batch.chunk) not in self.acknowledged_before:
            return False
        self._finish(batch, BatchState.ACKNOWLEDGED)
        self.acknowledged[batch.campaign, batch.chunk.event] += len(batch.chunk.addresses)
        return True

    def _finish(self, batch: Batch, state: BatchState) -> None:
        batch.state = state
        batch.in_flight = False
        lane = self.lanes.get(batch.lane)
        if lane is not None and batch in lane:  # not yet in one: born acknowledged
            lane.remove(batch)
            if not lane:
                del self.lanes[batch.lane]

    def _retry_time(self, batch: Batch, now: float) -> float | None:
        """Backoff on the mock's clock; one last try at the deadline; then give up."""
        if now >= batch.deadline:
            return None
        seed = self.settings.seed
        draw = random.Random(f"jitter:{seed}:{batch.campaign}:{batch.id}:{batch.attempts}")
        return min(now + self.settings.backoff(batch.attempts, draw.random()), batch.deadline)

    def _maybe_duplicate(self, batch: Batch, now: float) -> None:
        rate = self.settings.faults.duplicate_rate
        if rate <= 0:
            return
        rng = random.Random(f"duplicate:{self.settings.seed}:{batch.campaign}:{batch.id}")
        if rng.random() < rate:
            self.extras.append(_Extra(batch, Kind.DUPLICATE, now))
