"""What the A, E and C judges read: the sends (a campaign, its expected messages and what became of
it), the callbacks that came for them, and each message's events, as plain data. The callbacks
layer fills them by driving a server (callbacks/observe.py); a proxy or a recording can fill
them from traffic it saw, and the same judges run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from campaign_contract.config.model import Config, Contact, ContactList
from campaign_contract.judges.callback_form import CallbackForm
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.received import Fault, Received

#: C-3: a callback is made at most this many seconds (server time) after each event it reports.
MAX_DELAY = 300.0
#: Seconds the observation keeps listening once a send's outcome is sure (a late duplicate
#: would show here).
QUIET = 1.0
#: Email messages report `submitted` and a final outcome; SMS only the outcome (E-1, E-2).
FINAL_EVENTS = frozenset({"delivered", "bounced"})

#: A reported event: (payload, address key, event, when for events that may repeat).
EventKey = tuple[str, str, str, int | None]
#: A message: (payload, address key).
Message = tuple[str, str]


def address_key(channel: str, address: str) -> str:
    """Addresses as compared: emails without case, telephones without separators."""
    if channel == "email":
        return address.strip().lower()
    return "".join(c for c in address if c not in " -().")


def event_keys(form: CallbackForm) -> list[EventKey]:
    """The events a callback reports; opens and clicks may repeat, so `when` tells them apart."""
    out = []
    for channel, address, event in form.reports():
        when = None if event in FINAL_EVENTS or event == "submitted" else form.when
        out.append((channel, address_key(channel, address), event, when))
    return out


@dataclass(eq=False)
class Send:
    """One campaign sent to a test list, its expected messages, and what became of it."""

    label: str
    list_id: int
    segments: tuple[int, ...]
    #: Expected messages: payload -> address keys (A-1, A-2p).
    expected: dict[str, set[str]]
    audience: tuple[Contact, ...] = ()
    #: Contacts of the list left out by the segments.
    others: tuple[Contact, ...] = ()
    faults: tuple[Fault, ...] = ()
    #: M-5: made READY by this many PUTs at once (created SCHEDULED), instead of created READY.
    racers: int = 0
    #: The racing PUTs' answers.
    race: tuple[Exchange, ...] = ()
    #: C-4/M-4: its receiver is down (every callback refused) until the observation says up.
    down: bool = False
    #: C-4: its URL is on a port that refuses connections until the observation says up.
    refused: bool = False
    #: time.time() when the receiver came back up (None: still down, or never down).
    up_at: float | None = None
    #: Why it came back up: "outage" (outage over, send ended), "held" (the send overran its
    #: expected time while down), "limit" (the wait ran out first).
    up_why: str = ""
    token: str = ""
    url: str = ""
    creation: Exchange | None = None
    id: int | None = None
    why: str = ""
    state: str | None = None
    last_read: Exchange | None = None
    #: time.monotonic() when the outcome was first certain; None while waiting.
    settled_at: float | None = None
    #: time.time() when the campaign was first seen DONE or ERROR.
    final_at: float | None = None
    #: time.time() just before its creation was sent (the server's clock then is before
    #: every event of the send: M-4's DONE is judged by it).
    posted_at: float | None = None
    timed_out: bool = False
    #: Email address keys of audience contacts known to engage -> those events (`engages`).
    engaging: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def awaits_engagement(self) -> bool:
        """Whether its known opens and clicks are waited for and judged: only with a healthy
        receiver (C-4's scripted and down receivers hold events back on purpose)."""
        return bool(self.engaging) and not self.faults and not self.down and not self.refused

    @property
    def held_back(self) -> bool:
        """Whether its receiver refuses callbacks on purpose (C-4), so they come late."""
        return bool(self.faults) or self.down or self.refused

    @property
    def audience_text(self) -> str:
        segments = ", ".join(str(s) for s in self.segments)
        return f"list {self.list_id}" + (f", segments {segments}" if segments else "")

    def evidence(self, receiver_url: str, picked: list[Received]) -> tuple[Exchange, ...]:
        """The creation request (and racing PUTs), then the callbacks that show a finding."""
        head = (self.creation,) if self.creation is not None else ()
        return head + self.race + tuple(r.exchange(receiver_url) for r in picked)


def contact_keys(contact: Contact, payloads: tuple[str, ...]) -> set[tuple[str, str]]:
    """The messages a contact should get: (payload, address key) per address it has."""
    pairs = [("email", contact.email), ("sms", contact.telephone)]
    return {(p, address_key(p, a)) for p, a in pairs if a and p in payloads}


def expected_send(
    label: str,
    contacts: ContactList,
    segments: tuple[int, ...],
    payloads: tuple[str, ...],
    faults: tuple[Fault, ...] = (),
) -> Send:
    """A send to a list (A-1: limited to the union of `segments` when there are any)."""
    members = {m for s in contacts.segments if s.id in segments for m in s.members}
    audience = tuple(c for c in contacts.contacts if not segments or c.address in members)
    expected: dict[str, set[str]] = {p: set() for p in payloads}
    for contact in audience:
        for payload, key in contact_keys(contact, payloads):
            expected[payload].add(key)
    chosen = set(audience)  # a set: a list of thousands of contacts (a C-2p test) is common
    others = tuple(c for c in contacts.contacts if c not in chosen)
    engaging = {
        address_key("email", c.email): c.engages
        for c in audience
        if c.engages and c.email and "email" in payloads
    }
    return Send(label, contacts.id, segments, expected, audience, others, faults, engaging=engaging)


@dataclass(eq=False)
class Report:
    """One received callback, read, and the send it belongs to (None: a URL never handed out)."""

    received: Received
    form: CallbackForm
    send: Send | None

    def event_keys(self) -> list[EventKey]:
        """The events it reports; opens and clicks may repeat, so their `when` tells them apart."""
        return event_keys(self.form)


@dataclass
class Observation:
    """Everything the A, E and C judges judge, and the config they judge it by."""

    config: Config
    receiver_url: str = ""
    sends: list[Send] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    #: Why nothing could be observed (the receiver could not listen), else None.
    problem: str | None = None
    waited: float = 0.0
    #: time.time() when the wait ended: nothing that came later is in `reports`.
    ended_at: float = 0.0
    limit: float = 0.0

    def of(self, send: Send) -> list[Report]:
        return [r for r in self.reports if r.send is send]


@dataclass(frozen=True, slots=True)
class Sighting:
    """One event of one message, as a callback reported it."""

    event: str
    when: int | None
    report: Report

    @property
    def exact(self) -> bool:
        """The request reports this event alone, so its `when` is the event's own time."""
        return self.report.form.size == 1


def messages(reports: Iterable[Report]) -> dict[Message, list[Sighting]]:
    """Each message's events, in arrival order."""
    out: dict[Message, list[Sighting]] = defaultdict(list)
    for report in reports:
        for channel, address, event in report.form.reports():
            out[channel, address_key(channel, address)].append(
                Sighting(event, report.form.when, report)
            )
    return out


def missing_events(send: Send, events: dict[Message, set[str]]) -> list[str]:
    """Expected events no callback reported: a final outcome per message, `submitted` per email."""
    out = []
    for channel, addresses in sorted(send.expected.items()):
        for address in sorted(addresses):
            got = events.get((channel, address), set())
            if not got & FINAL_EVENTS:
                out.append(f"{channel} {address}: no `delivered` or `bounced`")
            if channel == "email" and "submitted" not in got:
                out.append(f"{channel} {address}: no `submitted`")
    return out


def complete(send: Send) -> str | None:
    """None when every expected event should be in; else why missing ones prove nothing."""
    if send.state == "DONE":
        return None
    if send.state == "ERROR":
        return f"{send.label}: the send ended in ERROR, so not every message went out"
    limit = "limits.send_wait" if send.state == "READY" else "limits.callback_wait"
    return f"{send.label}: still {send.state} after waiting {limit}"


def settled(found: Observation, sends: list[Send]) -> list[Send]:
    """DONE sends whose every event must have come by now.

    An event may come up to C-3's 300 s late. A send the wait left uncertain (timed out) counts
    only once that long had passed on the server's clock between DONE (after every outcome,
    M-4) and the wait's end; a certain one had every event acknowledged.
    """
    limits = found.config.limits
    enough = MAX_DELAY + limits.clock_skew

    def long_enough(send: Send) -> bool:
        since = found.ended_at - (send.final_at or found.ended_at)
        return not send.timed_out or since * limits.clock_speed >= enough

    return [s for s in sends if complete(s) is None and long_enough(s)]
