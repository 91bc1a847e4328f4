"""E-1 and E-2: which events each message produces and in what order; M-4's silent empty send."""

from __future__ import annotations

from itertools import combinations

from campaign_contract.callbacks.view import (
    Sighting,
    complete,
    fail,
    messages,
    no_callback,
    sends_for,
    unexercised_unless_one_ended,
)
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check

#: E-1: the events each payload's messages produce.
EVENTS = {
    "email": ("submitted", "delivered", "bounced", "opened", "clicked"),
    "sms": ("delivered", "bounced"),
}
#: E-2: an event of a lower rank comes before one of a higher rank, for one message.
RANK = {"submitted": 0, "delivered": 1, "bounced": 1, "opened": 2, "clicked": 2}


@check("E-1")
def events_are_those_of_their_payload(t: Probe) -> None:
    """Email reports only submitted/delivered/bounced/opened/clicked; SMS only delivered/bounced."""
    found, _sends = sends_for(t)
    if no_callback(t, found, ("E-1",)):
        return
    shown: set[tuple[str, str]] = set()
    for report in found.reports:
        event = report.form.event
        if event is None:
            continue  # C-2's business
        for channel in report.form.addresses:
            if event in EVENTS[channel] or (channel, event) in shown:
                continue
            shown.add((channel, event))
            allowed = ", ".join(EVENTS[channel])
            fail(
                t,
                "E-1",
                f"a {channel} callback reports `{event}` (only {allowed})",
                found,
                report.send,
                [report],
            )


@check("E-2")
def each_message_follows_its_lifecycle(t: Probe) -> None:
    """Per message: submitted first (Email), one of delivered/bounced, opens only after delivery."""
    found, sends = sends_for(t)
    if no_callback(t, found, ("E-2",)):
        return
    unexercised_unless_one_ended(t, ("E-2",), sends)
    for send in sends:
        why = complete(send)
        for (channel, address), sightings in messages(found.of(send)).items():
            problem = _lifecycle(channel, {s.event for s in sightings}, ended=why is None)
            if problem:
                fail(
                    t,
                    "E-2",
                    f"{channel} message to {address}: {problem}",
                    found,
                    send,
                    (s.report for s in sightings),
                )
            for first, then in _out_of_order(sightings):
                fail(
                    t,
                    "E-2",
                    f"{channel} message to {address}: `{then.event}` at "
                    f"{then.when} comes before `{first.event}` at {first.when} (each alone in "
                    "its callback, so these are the events' own times)",
                    found,
                    send,
                    [first.report, then.report],
                )


def _lifecycle(channel: str, events: set[str], ended: bool) -> str | None:
    finals = events & {"delivered", "bounced"}
    if len(finals) > 1:
        return "both `delivered` and `bounced`"
    engaged = sorted(events & {"opened", "clicked"})
    if "bounced" in events and engaged:
        return f"`{'` and `'.join(engaged)}` for a bounced message"
    if not ended:
        return None
    if not finals:
        return f"no `delivered` or `bounced`, only {sorted(events)}"
    if engaged and "delivered" not in events:
        return f"`{engaged[0]}` without `delivered`"
    if channel == "email" and "submitted" not in events:
        return "no `submitted` before its outcome"
    return None


def _out_of_order(sightings: list[Sighting]) -> list[tuple[Sighting, Sighting]]:
    """Pairs whose exact times contradict E-2 (the first should come first, but is later)."""
    exact = [s for s in sightings if s.exact and s.when is not None and s.event in RANK]
    out = []
    for a, b in combinations(exact, 2):
        first, then = (a, b) if RANK[a.event] < RANK[b.event] else (b, a)
        if RANK[first.event] < RANK[then.event] and first.when > then.when:  # type: ignore[operator]
            out.append((first, then))
    return out


@check("M-4")
def empty_audience_reports_nothing(t: Probe) -> None:
    """A READY campaign on the empty list goes straight to DONE and no callback ever comes."""
    if t.ctx.config.empty_list is None:
        t.skip("the config names no empty_list")
    found, sends = sends_for(t, audience=False)
    for send in sends:
        reports = found.of(send)
        if reports:
            fail(
                t,
                "M-4",
                f"{len(reports)} callback(s) for a campaign with an empty audience",
                found,
                send,
                reports,
            )
        if send.state != "DONE":
            state = send.state or "unreadable"
            fail(
                t,
                "M-4",
                f"an empty audience is {state}, not DONE, after {found.waited:.0f} s",
                found,
                send,
                read=True,
            )
