"""E-1 and E-2: which events each message produces and in what order; M-4's silent empty send."""

from __future__ import annotations

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_verdicts import (
    EVENTS,
    account_events,
    fail,
    no_callback,
    unexercised_unless_one_ended,
)
from campaign_contract.judges.sends import (
    Observation,
    Send,
    Sighting,
    complete,
    messages,
    settled,
)

#: E-2: an event of a lower rank comes before one of a higher rank, for one message.
RANK = {"submitted": 0, "delivered": 1, "bounced": 1, "opened": 2, "clicked": 2}


def payload_events(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """E-1: Email reports only submitted/delivered/bounced/opened/clicked; SMS only
    delivered/bounced (over every callback that came, whichever send it is for)."""
    if no_callback(v, found, ("E-1",)):
        return
    shown: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for report in found.reports:
        event = report.form.event
        if event is None:
            continue  # C-2's business
        for channel in report.form.addresses:
            seen.add((channel, event))
            if event in EVENTS[channel] or (channel, event) in shown:
                continue
            shown.add((channel, event))
            allowed = ", ".join(EVENTS[channel])
            fail(
                v,
                "E-1",
                f"a {channel} callback reports `{event}` (only {allowed})",
                found,
                report.send,
                [report],
            )
    # Each event type of each payload, as E-1 lists them, judged where a callback showed it.
    for channel, clause in (("email", EMAIL_CLAUSE), ("sms", SMS_CLAUSE)):
        cells = [(channel, event) for event in EVENTS[channel]]
        account_events(v, [clause], seen, cells, by_channel=False)


#: E-1's clause per payload: its cells are that payload's event types.
EMAIL_CLAUSE, SMS_CLAUSE = "E-1.email-events", "E-1.sms-only-delivered-bounced"


def lifecycle(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """E-2: per message, submitted first (Email), one of delivered/bounced, opens only after
    delivery."""
    if no_callback(v, found, ("E-2",)):
        return
    unexercised_unless_one_ended(v, ("E-2",), sends)
    judged: set[tuple[str, str]] = set()
    channels: dict[str, set[str]] = {}
    for send in sends:
        why = complete(send)
        for (channel, address), sightings in messages(found.of(send)).items():
            channels.setdefault(channel, set()).update(s.event for s in sightings)
            if channel == "email":
                judged |= _judged_pairs(sightings)
            problem = _lifecycle(channel, {s.event for s in sightings}, ended=why is None)
            if problem:
                fail(
                    v,
                    "E-2",
                    f"{channel} message to {address}: {problem}",
                    found,
                    send,
                    (s.report for s in sightings),
                )
            for first, then in _out_of_order(sightings):
                fail(
                    v,
                    "E-2",
                    f"{channel} message to {address}: `{then.event}` at "
                    f"{then.when} (alone in its callback: its own time) comes before "
                    f"`{first.event}` at {first.when} or later",
                    found,
                    send,
                    [first.report, then.report],
                )
    _silent_sms(v, found, sends)
    _account(v, judged, channels)


def _silent_sms(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """An SMS message has no event but its outcome: in a send that had time to report every
    event, an expected SMS with no callback at all had no `delivered` or `bounced`."""
    for send in settled(found, sends):
        seen = {address for channel, address in messages(found.of(send)) if channel == "sms"}
        silent = sorted(send.expected.get("sms", set()) - seen)
        if silent:
            fail(v, "E-2", f"sms message to {silent[0]}: no `delivered` or `bounced` "
                 f"({len(silent)} SMS without an outcome)", found, send, read=True)  # fmt: skip


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
    """Pairs whose times contradict E-2 (the first should come first, but is later).

    A callback's `when` is its earliest event (C-3p), so an event's own time is at least its
    callback's `when`, and equal when it stands alone. The later event needs its own time;
    the earlier one only that bound: whatever it shares its callback with, it came no sooner.
    """
    timed = [s for s in sightings if s.when is not None and s.event in RANK]
    out = []
    for first in timed:
        for then in timed:
            if then.exact and RANK[first.event] < RANK[then.event] and first.when > then.when:  # type: ignore[operator]
                out.append((first, then))
    return out


#: E-2's ordered pairs (earlier, later) and the clause and cell each is judged under.
PAIRS: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("submitted", "delivered"): ("E-2.submitted-before-outcome", {"outcome": "delivered"}),
    ("submitted", "bounced"): ("E-2.submitted-before-outcome", {"outcome": "bounced"}),
    ("delivered", "opened"): ("E-2.opens-only-after-delivered", {"event": "opened"}),
    ("delivered", "clicked"): ("E-2.opens-only-after-delivered", {"event": "clicked"}),
}


def _judged_pairs(sightings: list[Sighting]) -> set[tuple[str, str]]:
    """The ordered pairs this message let E-2 judge: both seen, the later one at its own time."""
    events = {s.event for s in sightings if s.when is not None}
    exact = {s.event for s in sightings if s.exact and s.when is not None}
    return {(a, b) for a, b in PAIRS if a in events and b in exact}


def _account(v: Verdicts, judged: set[tuple[str, str]], channels: dict[str, set[str]]) -> None:
    """Report E-2's cells: each ordered pair seen, each channel's outcomes, the bounced ones."""
    for pair, (clause, cell) in PAIRS.items():
        if pair in judged:
            v.exercised(clause, **cell)
        else:
            v.cannot(
                clause,
                f"no email message showed `{pair[0]}` and then `{pair[1]}` alone in its callback "
                "(so at its own time)",
                **cell,
            )
    for channel in ("email", "sms"):
        seen = channels.get(channel, set())
        for clause in ("E-2.an-outcome", "E-2.not-both-outcomes"):
            if seen & {"delivered", "bounced"}:
                v.exercised(clause, channel=channel)
            else:
                v.cannot(clause, f"no {channel} message reported its outcome", channel=channel)
    if "bounced" in channels.get("email", set()):
        v.exercised("E-2.no-open-after-bounced")
        v.exercised("E-2.no-click-after-bounced")
    if "submitted" in channels.get("email", set()):
        v.exercised("E-2.submitted-first")


def empty_audience(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """M-4: a READY campaign on an empty list (`sends`) goes straight to DONE and no callback
    ever comes."""
    for send in sends:
        # Judged after the whole wait: no callback came, and the state it ended in.
        v.exercised("M-4.empty-no-events")
        v.exercised("M-4.empty-straight-to-done")
        reports = found.of(send)
        if reports:
            fail(
                v,
                "M-4",
                f"{len(reports)} callback(s) for a campaign with an empty audience",
                found,
                send,
                reports,
            )
        if send.state != "DONE":
            state = send.state or "unreadable"
            fail(
                v,
                "M-4",
                f"an empty audience is {state}, not DONE, after {found.waited:.0f} s",
                found,
                send,
                read=True,
            )
