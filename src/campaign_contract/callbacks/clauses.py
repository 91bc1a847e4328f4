"""Clauses of C-1, C-2 and M-4 that the other callback checks do not judge alone.

Each check here judges one clause named in campaign_contract/coverage/{C,M}.yaml: every event
of a send that ended is reported, addresses sit under their own channel's key, and a send whose
every message has its outcome ends in DONE, not ERROR.
"""

from __future__ import annotations

from campaign_contract.callbacks.cells import account_channels, account_events
from campaign_contract.callbacks.observe import MAX_DELAY, Observation
from campaign_contract.callbacks.plan import FINAL_EVENTS, Send, address_key
from campaign_contract.callbacks.view import (
    complete,
    fail,
    messages,
    missing_events,
    no_callback,
    sends_for,
)
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check


def _events(t: Probe, send: Send) -> dict[tuple[str, str], set[str]]:
    found, _sends = sends_for(t)
    return {m: {s.event for s in ss} for m, ss in messages(found.of(send)).items()}


def settled(t: Probe, found: Observation, sends: list[Send]) -> list[Send]:
    """DONE sends whose every event must have come by now.

    An event may come up to C-3's 300 s late. A send the wait left uncertain (timed out) counts
    only once that long had passed on the server's clock between DONE (after every outcome,
    M-4) and the wait's end; a certain one had every event acknowledged.
    """
    limits = t.ctx.config.limits
    enough = MAX_DELAY + limits.clock_skew

    def long_enough(send: Send) -> bool:
        since = found.ended_at - (send.final_at or found.ended_at)
        return not send.timed_out or since * limits.clock_speed >= enough

    return [s for s in sends if complete(s) is None and long_enough(s)]


@check("C-1")
def every_event_of_an_ended_send_is_reported(t: Probe) -> None:
    """Once a send is DONE, every message's `submitted` (Email) and outcome came by callback."""
    found, sends = sends_for(t)
    if no_callback(t, found, ("C-1",)):
        return
    judged = settled(t, found, sends)
    if not judged:
        enough = MAX_DELAY + t.ctx.config.limits.clock_skew
        t.unexercised("C-1", f"no send was DONE {enough:g} s (server time) before the wait ended")
    seen: set[tuple[str, str]] = set()
    for send in judged:
        events = _events(t, send)
        seen |= _judged_cells(send, events)
        missing = missing_events(send, events)
        if missing:
            fail(
                t,
                "C-1",
                f"{len(missing)} event(s) of a DONE send never reported in {found.waited:.0f} s: "
                + "; ".join(missing[:4]),
                found,
                send,
                found.of(send),
                read=True,
            )
    account_events(t, ["C-1.every-event"], seen, EVERY_EVENT_CELLS)


#: C-1.every-event's cells: the events every message must report (opens and clicks are
#: judged only where known to happen, C-1.every-event-known-engagement).
EVERY_EVENT_CELLS = (
    ("email", "submitted"),
    ("email", "delivered"),
    ("email", "bounced"),
    ("sms", "delivered"),
    ("sms", "bounced"),
)


def _judged_cells(send: Send, events: dict[tuple[str, str], set[str]]) -> set[tuple[str, str]]:
    """The (channel, event) cells a DONE send let C-1 judge: each email's `submitted` (due for
    every one), and each outcome a message of that channel came to."""
    out: set[tuple[str, str]] = set()
    for channel, addresses in send.expected.items():
        for address in addresses:
            if channel == "email":
                out.add(("email", "submitted"))
            out |= {(channel, e) for e in events.get((channel, address), set()) & FINAL_EVENTS}
    return out


@check("C-2")
def addresses_come_under_their_channel_key(t: Probe) -> None:
    """`email[N]` carries emails and `telephone[N]` telephones, as the config's contacts have."""
    found, _sends = sends_for(t)
    if no_callback(t, found, ("C-2",)):
        return
    contacts = [c for lst in t.ctx.config.lists for c in lst.contacts]
    emails = {address_key("email", c.email) for c in contacts if c.email}
    phones = {address_key("sms", c.telephone) for c in contacts if c.telephone}
    key_of = {"email": ("email", phones - emails), "sms": ("telephone", emails - phones)}
    account_channels(
        t, ["C-2.key-by-channel"], {c for r in found.reports for c in r.form.addresses}
    )
    for report in found.reports:
        for channel, addresses in report.form.addresses.items():
            key, wrong = key_of[channel]
            other = "telephone" if key == "email" else "email"
            stray = [a for a in addresses if address_key(channel, a) in wrong]
            if stray:
                fail(
                    t,
                    "C-2",
                    f"`{key}[N]` carries {other} {stray[0]!r} of a test contact "
                    f"({other} addresses go in `{other}[N]`)",
                    found,
                    report.send,
                    [report],
                )


@check("M-4")
def a_send_with_every_outcome_ends_in_done(t: Probe) -> None:
    """A send whose every message has its outcome went on to the end: DONE, not ERROR."""
    found, sends = sends_for(t)
    if no_callback(t, found, ("M-4",)):
        return
    clause = "M-4.done-when-every-outcome"
    judged = False
    for send in sends:
        if send.state not in ("DONE", "ERROR") or not any(send.expected.values()):
            continue
        if missing_events(send, _events(t, send)):
            continue
        judged = True
        t.exercised(clause)
        if send.state == "ERROR":
            fail(
                t,
                "M-4",
                "the send ended in ERROR, though every message had its final outcome "
                "(ERROR is for a send that cannot go on)",
                found,
                send,
                found.of(send),
                read=True,
            )
    if not judged:
        t.cannot(clause, "no send ended with every message's outcome reported")
