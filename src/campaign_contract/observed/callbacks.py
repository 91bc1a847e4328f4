"""The callbacks a server made through the proxy, judged by the A, E and C judges `run` uses
(docs/design/proxy-and-judge.md, 3.5-3.6).

Each campaign whose `event_callback` the proxy rewrote becomes a `Send`: its id from the
answer, its list, segments and state from the last answer that showed it, its audience from
the config's lists (unknown when the config does not describe its list: then only what needs
no audience is judged). Each callback to a handed-out URL becomes a `Report` of its send.

What passive traffic cannot show is not judged, so a FAIL here is one every conforming server
would avoid on the same traffic: a send counts as over (every event due) only once it was seen
DONE and C-3's 300 s (server time, `limits.clock_speed`) plus `limits.clock_skew` have passed
since, or once every event expected of it was acknowledged; a refused callback must have come
again only once C-4's hour (server time) had passed before the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from campaign_contract.config.model import Config
from campaign_contract.engine.outcome import CheckResult
from campaign_contract.engine.verdicts import NotExercisedError, Verdicts
from campaign_contract.judges import audience, delivery, events, timing
from campaign_contract.judges.callback_form import parse_callback
from campaign_contract.judges.routes import classify
from campaign_contract.judges.sends import (
    MAX_DELAY,
    Observation,
    Report,
    Send,
    expected_send,
    messages,
    missing_events,
)
from campaign_contract.transport.received import PREFIX, Received
from campaign_contract.transport.traffic import Seen

#: A judge of the A, E and C layer: (verdicts, observation, sends).
Judge = Callable[[Verdicts, Observation, list[Send]], None]
#: Why A, E and C parts are not judged when no campaign's callback went through the proxy.
NO_CAMPAIGN = (
    "no campaign created or changed through the proxy had an event_callback it could hand "
    "its own receiver for (none set, another host than loopback or --callback-to, or "
    "--no-callbacks)"
)


def token_of(after: str | None) -> str:
    """The proxy's token in what follows `/cb/` (`Received.token`): its first segment, the
    client's own path coming after it (observed/rewrite.py)."""
    return (after or "").split("/", 1)[0]


@dataclass
class _Campaign:
    """A campaign as the traffic showed it."""

    ident: int
    view: dict[str, Any]
    creation: Seen
    #: The latest answer that showed it.
    last: Seen
    #: time.time() when DONE or ERROR was first seen in an answer.
    final_at: float | None = None


@dataclass
class _Handed:
    """A callback URL the proxy handed to the server, and the campaign it was for."""

    url: str
    original: str
    seen: Seen
    ident: int | None = None


def _judges() -> tuple[tuple[str, tuple[str, ...], Judge, bool], ...]:
    """(name, rule parts, judge, needs the audience), one judge per clause as `run` uses."""
    return (
        ("observed.callbacks.url", ("C-1",), delivery.posts_to_the_url, False),
        ("observed.callbacks.every-event", ("C-1",), delivery.every_event_reported, True),
        ("observed.callbacks.bodies", ("C-2", "C-2p"), delivery.bodies, False),
        ("observed.callbacks.keys", ("C-2",), delivery.keys_by_channel, False),
        ("observed.callbacks.lateness", ("C-3", "C-3p"), timing.lateness, False),
        ("observed.callbacks.acknowledged", ("C-4",), delivery.acknowledged_never_again, False),
        ("observed.callbacks.retried", ("C-4",), delivery.retried_within_the_window, False),
        ("observed.callbacks.events", ("E-1",), events.payload_events, False),
        ("observed.callbacks.lifecycle", ("E-2",), events.lifecycle, False),
        ("observed.callbacks.audience", ("A-1",), audience.audience, True),
        ("observed.callbacks.payloads", ("A-2", "A-2p"), audience.payloads_per_address, True),
    )


@dataclass
class CallbackSession:
    """Feed it every exchange (`exchange`) and callback (`callback`), from any thread;
    `results(ended_at)` judges them all."""

    config: Config
    selected: Collection[str]
    receiver_url: str = ""
    handed: dict[str, _Handed] = field(default_factory=dict)
    campaigns: dict[int, _Campaign] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    started: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def exchange(self, seen: Seen) -> None:
        """Remember the URLs it handed out and the campaigns its answer shows."""
        exchange = seen.exchange
        with self.lock:
            self.started = seen.sent_at if self.started is None else self.started
            data = exchange.data() if exchange.success() is True else {}
            found = data.get("id")
            ident = found if isinstance(found, int) and not isinstance(found, bool) else None
            for token, original in seen.rewrites.items():
                if token not in self.handed:
                    self.handed[token] = _Handed(self._url(token, original), original, seen)
                if ident is not None and exchange.method in ("POST", "PUT"):
                    self.handed[token].ident = ident
            template = classify(exchange.method, urlsplit(exchange.url).path).template
            if ident is None or template not in ("/campaign", "/campaign/{id}"):
                return
            campaign = self.campaigns.get(ident)
            if campaign is None:
                campaign = self.campaigns[ident] = _Campaign(ident, data, seen, seen)
            campaign.view, campaign.last = data, seen
            if data.get("state") in ("DONE", "ERROR") and campaign.final_at is None:
                campaign.final_at = seen.answered_at

    def _url(self, token: str, original: str) -> str:
        """The URL the server was handed for `token`: the receiver's, then the client's path
        and query (observed/rewrite.py)."""
        parts = urlsplit(original)
        rest = parts.path + (f"?{parts.query}" if "?" in original else "")
        return f"{self.receiver_url}/{PREFIX}/{token}{rest}"

    def callback(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def campaign_of(self, received: Received) -> int | None:
        """The campaign a callback is for, when the traffic has shown it yet."""
        with self.lock:
            handed = self.handed.get(token_of(received.token))
            return handed.ident if handed is not None else None

    # Judging -----------------------------------------------------------------------------

    def observation(self, ended_at: float) -> tuple[Observation, list[Send], list[Send]]:
        """What the judges read: every send, and those whose audience the config knows."""
        with self.lock:
            handed = dict(self.handed)
            received = [r for r in self.received if r.matched and not r.foreign]
        found = Observation(self.config, receiver_url=self.receiver_url, ended_at=ended_at)
        found.waited = ended_at - (self.started or ended_at)
        sends: dict[str, Send] = {}
        known: list[Send] = []
        for token, given in handed.items():
            campaign = self.campaigns.get(given.ident) if given.ident is not None else None
            if campaign is None:
                continue
            send, audience_known = self._send(token, given, campaign)
            sends[token] = send
            if audience_known:
                known.append(send)
        for entry in received:
            if entry.incomplete:
                continue  # its sender gave up mid-request: no callback (C-4's retry comes)
            form = parse_callback(entry.header("Content-Type") or "", entry.body)
            found.reports.append(Report(entry, form, sends.get(token_of(entry.token))))
        found.sends = list(sends.values())
        for send in found.sends:
            self._settle(found, send)
        return found, found.sends, known

    def _send(self, token: str, given: _Handed, campaign: _Campaign) -> tuple[Send, bool]:
        view = campaign.view
        label = f"campaign {campaign.ident}"
        number = view.get("list")
        list_id = number if isinstance(number, int) else -1
        raw = view.get("segments")
        segments = tuple(s for s in raw if isinstance(s, int)) if isinstance(raw, list) else ()
        contacts = next((c for c in self.config.lists if c.id == list_id), None)
        defined = {s.id for s in contacts.segments} if contacts is not None else set()
        if contacts is not None and set(segments) <= defined:
            send = expected_send(label, contacts, segments, self.config.payloads)
            known = True
        else:
            send = Send(label, list_id, segments, {p: set() for p in self.config.payloads})
            known = False
        send.token, send.url, send.id = token, given.url, campaign.ident
        send.creation = given.seen.exchange
        send.posted_at = given.seen.sent_at
        send.state = view.get("state") if isinstance(view.get("state"), str) else None
        send.final_at = campaign.final_at
        send.last_read = campaign.last.exchange
        return send, known

    def _settle(self, found: Observation, send: Send) -> None:
        """DONE only once every event must have come: C-3's 300 s past the DONE the traffic
        showed, or every expected event acknowledged (then certain)."""
        taken = [r for r in found.of(send) if r.received.acknowledged]
        got = {m: {s.event for s in ss} for m, ss in messages(taken).items()}
        certain = any(send.expected.values()) and not missing_events(send, got)
        send.timed_out = not certain
        if send.state != "DONE" or certain:
            return
        limits = self.config.limits
        since = (found.ended_at - (send.final_at or found.ended_at)) * limits.clock_speed
        if since < MAX_DELAY + limits.clock_skew:
            send.state = "SENDING"  # as far as the callbacks can tell: some may still come

    def results(self, ended_at: float) -> list[CheckResult]:
        """The A, E and C verdicts on the whole session."""
        found, sends, known = self.observation(ended_at)
        out: list[CheckResult] = []
        for name, rules, judge, needs_audience in _judges():
            v = Verdicts(name, rules, self.selected)
            if not any(v.wants(rule) for rule in rules):
                continue
            chosen = known if needs_audience else sends
            if not sends:
                out += v.results(skipped=NO_CAMPAIGN)
                continue
            if needs_audience and not known:
                out += v.results(skipped=_unknown_audience(sends))
                continue
            v.answered = bool(found.reports)
            try:
                judge(v, found, chosen)
            except NotExercisedError as error:
                out += v.results(skipped=str(error))
                continue
            out += v.results(None if found.reports else "no callback came through the proxy")
        return out


def _unknown_audience(sends: list[Send]) -> str:
    lists = sorted({s.list_id for s in sends})
    return (
        f"the config describes none of the lists the campaigns went to ({lists}, with their "
        "segments): who should get a message is not known"
    )
