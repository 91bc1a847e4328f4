"""C-3 and C-3p: how late callbacks come, on the server's clock as the callbacks reveal it."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from campaign_contract.config.model import slack_said
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_verdicts import account_events, fail
from campaign_contract.judges.events import RANK
from campaign_contract.judges.sends import (
    FINAL_EVENTS,
    MAX_DELAY,
    EventKey,
    Observation,
    Report,
    Send,
    messages,
)


def _first_reports(found: Observation) -> list[Report]:
    """Reports judged for lateness: first tellings, before the receiver first refused one.

    A retry is late by design (C-4), and so is what waited behind a failing callback, whatever
    made the receiver refuse (a scripted fault, an outage).
    """
    out = []
    told: set[tuple[int, EventKey]] = set()
    faulted: set[int] = set()
    for report in found.reports:
        send = report.send
        if send is None or report.form.when is None or id(send) in faulted or send.refused:
            continue  # the refused send's port let nothing through before it was late
        keys = {(id(send), k) for k in report.event_keys()}
        fresh = bool(keys) and not keys <= told
        told.update(keys)
        if not report.received.acknowledged:
            faulted.add(id(send))
        elif fresh:
            out.append(report)
    return out


# The suite cannot read the server's clock, but every callback S bounds it: at its arrival
# (real time t_S) the clock had passed `when_S`. With the clock running `clock_speed` times
# real time, R is at least max_S(when_S + speed * (t_R - t_S)) - when_R late. For a real
# server this machine's clock is one more bound (within `clock_skew`); for a sped-up one, a
# campaign seen DONE is one (M-4: its clock had passed every outcome). See README.md.


@dataclass(frozen=True, slots=True)
class Anchor:
    """At real time `at` the server's clock read at least `reading` (for `why`)."""

    at: float
    reading: float
    why: str
    report: Report | None = None


def anchors(found: Observation, speed: float, skew: float) -> list[Anchor]:
    """Every lower bound on the server's clock the run saw."""
    out = [
        Anchor(r.received.arrived, r.form.when, "a callback with that `when` had come", r)
        for r in found.reports
        if r.form.when is not None and (speed != 1.0 or r.form.when <= r.received.arrived + skew)
    ]  # a real server's `when` in the future bounds nothing
    if speed == 1.0:
        return out  # this machine's clock is the better bound (below)
    for send in found.sends:
        finals = [r.form.when for r in found.of(send) if r.form.event in FINAL_EVENTS and
                  r.form.when is not None]  # fmt: skip
        if send.state == "DONE" and send.final_at is not None and finals:
            # M-4: DONE once every message has its outcome, so the clock had passed them all.
            why = f"campaign {send.id} was already DONE"
            out.append(Anchor(send.final_at, max(finals), why))
    return out


def lateness(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-3, C-3p: each callback is made at most 300 s after its events; `when` is the earliest
    of them (over every callback that came, whichever send it is for)."""
    limits = found.config.limits
    speed, skew = limits.clock_speed, limits.clock_skew
    lag = limits.lag_seconds
    judged = _first_reports(found)
    known = anchors(found, speed, skew)
    # C-3 speaks of "each event it reports": each event type of each channel is a cell.
    account_events(v, ("C-3.within-300-s",), _kinds(judged) if known else set())
    if not judged or not known:
        v.unexercised("C-3", "no callback came to judge")
    else:
        best = max(known, key=lambda a: a.reading - speed * a.at)
        base = best.reading - speed * best.at
        if speed == 1.0:
            base, best = max(base, 0.0), best if base > 0 else Anchor(0, 0, "this machine's clock")
        for report in judged:
            when = report.form.when or 0
            late = base + speed * report.received.arrived - when
            if late > MAX_DELAY + skew + lag:
                fail(v, "C-3", f"a `{report.form.event}` callback came at least {late:.0f} s "
                     f"after its `when` {when}, by the server's clock ({best.why}); C-3 allows "
                     f"{MAX_DELAY:g} s (+ {slack_said(skew, lag)})",
                     found, report.send,
                     [report] + ([best.report] if best.report is not None else []))  # fmt: skip
    _earliest(v, found)


def _kinds(reports: list[Report]) -> set[tuple[str, str]]:
    """The (channel, event type) of each report."""
    return {(channel, str(r.form.event)) for r in reports for channel in r.form.addresses}


#: C-3p's cells: the event types a later event of the same message can be compared with
#: (E-2: submitted before the outcome, delivered before opened and clicked; SMS messages
#: have one event each, so no order within a message to judge them by).
EARLIER_EVENTS = ("submitted", "delivered")


def _earliest(v: Verdicts, found: Observation) -> None:
    """C-3p: an event known to come before another of its message cannot be later than it."""
    judged = False
    compared: set[str] = set()
    for send in found.sends:
        for (_channel, address), sightings in messages(found.of(send)).items():
            for a, b in combinations(
                [s for s in sightings if s.when is not None and s.event in RANK], 2
            ):
                first, then = (a, b) if RANK[a.event] < RANK[b.event] else (b, a)
                if RANK[first.event] == RANK[then.event] or not then.exact:
                    continue
                judged = True
                compared.add(str(first.event))
                if first.exact or first.when <= then.when:  # type: ignore[operator]
                    continue  # both exact: E-2's business
                fail(
                    v,
                    "C-3p",
                    f"the callback with `{first.event}` for {address} says `when` "
                    f"{first.when}, but that message was `{then.event}` at {then.when} "
                    "(reported alone): the request's `when` is not its earliest event",
                    found,
                    send,
                    [first.report, then.report],
                )
    for event in EARLIER_EVENTS:
        if event in compared:
            v.exercised("C-3.earliest-when", event=event)
        else:
            v.cannot("C-3.earliest-when", f"no email `{event}` callback had a later event "
                     "of its message reported alone to compare with", event=event)  # fmt: skip
    if not judged:
        v.unexercised("C-3p", "no message had a later event reported alone to compare with")
