"""The sends the layer makes: which lists and segments, each with its own callback URL, and
starting them (`Send` and the expected audience, `expected_send`, are judges/sends.py's data)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from campaign_contract.config.model import Config
from campaign_contract.engine.context import RunContext
from campaign_contract.judges.callback_form import parse_callback
from campaign_contract.judges.delivery import OTHER_STATUSES
from campaign_contract.judges.sends import Send, event_keys, expected_send
from campaign_contract.transport.http import RACERS, race_puts
from campaign_contract.transport.received import Answer, Fault, Hang
from campaign_contract.transport.receiver import Receiver

#: C-1: a query string a careless client would re-encode (space, plus, slash, UTF-8, empty).
QUERY = "k=v&x=%20a&plus=a+b&empty=&slash=a%2Fb&u=%C3%A9&tilde=~"
#: C-4's "another status": the retry send's first tellings are refused with each of
#: OTHER_STATUSES and one left unanswered past 10 s (the second); each event is refused once at
#: most (its retry is acknowledged), so the statuses cost one backoff step.
RETRY_SCRIPT: tuple[Fault, ...] = (
    Answer(OTHER_STATUSES[0]),
    Hang(),
    *(Answer(s) for s in OTHER_STATUSES[1:]),
)
#: At most this many sends play RETRY_SCRIPT: a server that gathers many events into each callback
#: leaves faults unplayed, and a follow-up send to the same list plays them (follow_up).
RETRY_SENDS = len(RETRY_SCRIPT)
#: Rules that need sends to the test lists (the audience and everything reported about it).
AUDIENCE_RULES = frozenset(
    {"A-1", "A-2", "A-2p", "E-1", "E-2", "C-1", "C-2", "C-2p", "C-3", "C-3p"}
)


def reported(content_type: str, body: bytes) -> frozenset[object]:
    """The events a raw callback reports (the receiver's script faults first tellings only)."""
    return frozenset(event_keys(parse_callback(content_type, body)))


def plan_sends(config: Config, wants: Callable[[str], bool]) -> list[Send]:
    """The sends the selected rules need, to the config's test lists and segments only."""
    sends: list[Send] = []
    payloads = config.payloads
    if any(wants(r) for r in AUDIENCE_RULES):
        for contacts in config.lists[:2]:
            sends.append(expected_send(f"list-{contacts.id}", contacts, (), payloads))
        segmented = next((c for c in config.lists if c.segments), None)
        if segmented is not None:
            chosen = tuple(s.id for s in segmented.segments[:2])
            sends.append(expected_send(f"segments-{segmented.id}", segmented, chosen, payloads))
    if wants("M-4") and not any(wants(r) for r in AUDIENCE_RULES):
        # engagement.py: opens and clicks after DONE, on the lists holding contacts known to
        # engage (the same sends the audience rules make).
        for contacts in config.lists[:2]:
            if any(c.engages for c in contacts.contacts):
                sends.append(expected_send(f"list-{contacts.id}", contacts, (), payloads))
    if wants("C-4"):
        sends.append(expected_send("retry", config.lists[0], (), payloads, RETRY_SCRIPT))
    if wants("C-4") and config.callbacks.public_url is None:
        # No second address can be handed out through a public URL (delivery.py says so).
        sends.append(replace(expected_send("refused", config.lists[0], (), payloads), refused=True))
    if (wants("C-4") or wants("M-4")) and config.limits.callback_outage > 0:
        first = config.lists[0]
        if not any(s.label == f"list-{first.id}" for s in sends):
            sends.append(expected_send(f"list-{first.id}", first, (), payloads))  # the healthy twin
        sends.append(replace(expected_send("outage", first, (), payloads), down=True))
    if wants("M-5"):
        sends.append(replace(expected_send("race", config.lists[0], (), payloads), racers=RACERS))
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
    return expected_send(f"retry-{played + 1}", contacts, done.segments, tuple(done.expected), left)


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
