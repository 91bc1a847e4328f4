"""The sends the layer makes: which lists and segments, each with its own callback URL."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from campaign_contract.callbacks.form import CallbackForm, parse_callback
from campaign_contract.config.model import Config, Contact, ContactList
from campaign_contract.engine.context import RunContext
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import RACERS, race_puts
from campaign_contract.transport.received import Answer, Fault, Hang, Received
from campaign_contract.transport.receiver import Receiver

#: C-1: a query string a careless client would re-encode (space, plus, slash, UTF-8, empty).
QUERY = "k=v&x=%20a&plus=a+b&empty=&slash=a%2Fb&u=%C3%A9&tilde=~"
#: C-4's "another status": the retry send's first tellings are refused with each of these
#: (C-4.other-status-retried's domain) and one left unanswered past 10 s (the second); each event is
#: refused once at most (its retry is acknowledged), so the statuses cost one backoff step.
OTHER_STATUSES = (500, 302, 400, 404, 410, 429, 503)
RETRY_SCRIPT: tuple[Fault, ...] = (
    Answer(OTHER_STATUSES[0]),
    Hang(),
    *(Answer(s) for s in OTHER_STATUSES[1:]),
)
#: At most this many sends play RETRY_SCRIPT: a server that gathers many events into each callback
#: leaves faults unplayed, and a follow-up send to the same list plays them (follow_up).
RETRY_SENDS = len(RETRY_SCRIPT)
#: C-4's "any 2xx": every acknowledgement of the run takes these in turn
#: (C-4.any-2xx-acknowledges's domain).
ACK_STATUSES = (200, 201, 202, 204, 299)
#: Rules that need sends to the test lists (the audience and everything reported about it).
AUDIENCE_RULES = frozenset(
    {"A-1", "A-2", "A-2p", "E-1", "E-2", "C-1", "C-2", "C-2p", "C-3", "C-3p"}
)
#: Email messages report `submitted` and a final outcome; SMS only the outcome (E-1, E-2).
FINAL_EVENTS = frozenset({"delivered", "bounced"})


#: A reported event: (payload, address key, event, when for events that may repeat).
EventKey = tuple[str, str, str, int | None]


def event_keys(form: CallbackForm) -> list[EventKey]:
    """The events a callback reports; opens and clicks may repeat, so `when` tells them apart."""
    out = []
    for channel, address, event in form.reports():
        when = None if event in FINAL_EVENTS or event == "submitted" else form.when
        out.append((channel, address_key(channel, address), event, when))
    return out


def reported(content_type: str, body: bytes) -> frozenset[object]:
    """The events a raw callback reports (the receiver's script faults first tellings only)."""
    return frozenset(event_keys(parse_callback(content_type, body)))


def address_key(channel: str, address: str) -> str:
    """Addresses as compared: emails without case, telephones without separators."""
    if channel == "email":
        return address.strip().lower()
    return "".join(c for c in address if c not in " -().")


@dataclass(eq=False)
class Send:
    """One READY campaign the layer creates, its expected messages, and what became of it."""

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
    received: list[Received] = field(default_factory=list)
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


def _send(
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


def plan_sends(config: Config, wants: Callable[[str], bool]) -> list[Send]:
    """The sends the selected rules need, to the config's test lists and segments only."""
    sends: list[Send] = []
    payloads = config.payloads
    if any(wants(r) for r in AUDIENCE_RULES):
        for contacts in config.lists[:2]:
            sends.append(_send(f"list-{contacts.id}", contacts, (), payloads))
        segmented = next((c for c in config.lists if c.segments), None)
        if segmented is not None:
            chosen = tuple(s.id for s in segmented.segments[:2])
            sends.append(_send(f"segments-{segmented.id}", segmented, chosen, payloads))
    if wants("M-4") and not any(wants(r) for r in AUDIENCE_RULES):
        # engagement.py: opens and clicks after DONE, on the lists holding contacts known to
        # engage (the same sends the audience rules make).
        for contacts in config.lists[:2]:
            if any(c.engages for c in contacts.contacts):
                sends.append(_send(f"list-{contacts.id}", contacts, (), payloads))
    if wants("C-4"):
        sends.append(_send("retry", config.lists[0], (), payloads, RETRY_SCRIPT))
    if wants("C-4") and config.callbacks.public_url is None:
        # No second address can be handed out through a public URL (delivery.py says so).
        sends.append(replace(_send("refused", config.lists[0], (), payloads), refused=True))
    if (wants("C-4") or wants("M-4")) and config.limits.callback_outage > 0:
        first = config.lists[0]
        if not any(s.label == f"list-{first.id}" for s in sends):
            sends.append(_send(f"list-{first.id}", first, (), payloads))  # the healthy twin
        sends.append(replace(_send("outage", first, (), payloads), down=True))
    if wants("M-5"):
        sends.append(replace(_send("race", config.lists[0], (), payloads), racers=RACERS))
    if wants("M-4") and config.empty_list is not None:
        sends.append(Send("empty", config.empty_list, (), {p: set() for p in payloads}))
    return sends


def follow_up(
    config: Config, done: Send, left: tuple[Fault, ...], sends: list[Send]
) -> Send | None:
    """A send to `done`'s list that plays the faults `done` left unplayed (its callbacks held
    fewer first tellings than its script has faults). None when nothing is left, when `done`
    played none (another send would not either), or once RETRY_SENDS sends have played."""
    played = sum(1 for s in sends if s.faults)
    contacts = next((c for c in config.lists if c.id == done.list_id), None)
    if not left or len(left) == len(done.faults) or contacts is None or played >= RETRY_SENDS:
        return None
    return _send(f"retry-{played + 1}", contacts, done.segments, tuple(done.expected), left)


def start_sends(ctx: RunContext, receiver: Receiver, sends: list[Send]) -> None:
    """POST each send READY with `when` = now (M-4: it sends at once) and its own callback URL;
    a race send is POSTed SCHEDULED, then made READY by racing PUTs (M-5)."""
    run = ctx.run_tag.strip("[]").removeprefix("cc-")
    for send in sends:
        send.token = f"{run}/{send.label}"
        query = f"{QUERY}&run={run}"
        refusing = receiver.refusing_url(send.token, query) if send.refused else None
        send.url = refusing or receiver.url_for(send.token, query)
        if send.faults:
            receiver.script(send.token, send.faults, reported)
        if send.down:
            receiver.down(send.token)
        fields = [
            ("name", ctx.campaign_name(f"callbacks {send.label}")),
            ("domain", str(ctx.config.domains.bouncing)),
            ("list", str(send.list_id)),
            *(("segments[]", str(s)) for s in send.segments),
            ("state", "SCHEDULED" if send.racers else "READY"),
            ("when", str(int(time.time()))),
            ("event_callback", send.url),
        ]
        send.posted_at = time.time()
        send.creation = ctx.create_campaign(f"callbacks {send.label}", fields)
        ident = send.creation.data().get("id") if send.creation.success() is True else None
        if isinstance(ident, int) and not isinstance(ident, bool):
            send.id = ident
            state = send.creation.data().get("state")
            send.state = state if isinstance(state, str) else None
            if send.state in ("DONE", "ERROR"):
                send.final_at = time.time()  # a fast server: the POST's answer is evidence too
        else:
            send.why = f"creating the campaign failed: {send.creation.describe()}"
    for send in sends:
        if send.racers and send.id is not None:
            race = race_puts(ctx.client, f"/campaign/{send.id}", {"state": "READY"}, send.racers)
            send.race = tuple(race)
            if not any(answer.success() is True for answer in race):
                send.id, send.why = None, f"no racing PUT to READY succeeded: {race[0].describe()}"
