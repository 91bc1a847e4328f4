"""C-4 over a long outage: nothing refused is lost once the receiver is back, and the retry
intervals grow (exponential backoff) over the consecutive refusals.

Growth is judged as a trend, never interval by interval, so full-jitter backoff (each wait
drawn from 0 up to a growing cap) passes: a retry sequence is *flat* when the median of its
later intervals is under FLAT_RATIO times the median of its earlier ones and no interval is
even SPREAD times another (jitter spreads intervals; a fixed schedule does not). The check
fails only when every sequence it could judge is flat.
"""

from __future__ import annotations

from itertools import pairwise
from statistics import median

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_verdicts import fail
from campaign_contract.judges.sends import FINAL_EVENTS, EventKey, Observation, Report, Send

#: C-4: consecutive refusals of one event that make a retry sequence (the backoff's trend
#: needs them; the suite's outage receiver stays down until one event was refused this often,
#: callbacks/outage.py).
FAILURES = 4
#: A sequence whose later intervals are not this much longer than its earlier ones is flat...
FLAT_RATIO = 1.25
#: ... unless its intervals differ this much (jitter, which a schedule without growth lacks).
SPREAD = 2.0


def _outage_send(v: Verdicts, sends: list[Send]) -> Send:
    down = next((s for s in sends if s.down), None)
    if down is None:
        v.skip("the outage campaign was not created")
    return down


def outage_loses_no_event(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-4: after an outage of `limits.callback_outage` seconds (the `down` send's receiver)
    every refused event is delivered."""
    down = _outage_send(v, sends)
    reports = found.of(down)
    refused = [r for r in reports if not r.received.acknowledged and r.event_keys()]
    if not refused:
        why = f"{down.label}: no callback came while the receiver was down"
        v.unexercised("C-4", why)
        for clause in ("C-4.no-event-lost", "C-4.one-hour"):
            v.cannot(clause, why)
        return
    v.exercised("C-4.no-event-lost")
    if down.up_why in ("outage", "held"):
        v.exercised("C-4.one-hour")  # refused for limits.callback_outage at least
    else:
        v.cannot("C-4.one-hour", f"{down.label}: its receiver came back before "
                 "limits.callback_outage had passed (the wait ran out)")  # fmt: skip
    taken = {k for r in reports if r.received.acknowledged for k in r.event_keys()}
    lost = list(dict.fromkeys(k for r in refused for k in r.event_keys() if k not in taken))
    if down.state == "DONE":
        told = {(k[0], k[1], k[2]) for r in reports for k in r.event_keys()}
        for channel, addresses in down.expected.items():
            for address in sorted(addresses):
                if not any((channel, address, e) in told for e in FINAL_EVENTS):
                    lost.append((channel, address, "delivered or bounced", None))
    if not lost:
        return
    back = (
        f"{found.waited - ((down.up_at or 0) - (down.posted_at or 0)):.0f} s after it came back"
        if down.up_at is not None
        else "while it stayed down"
    )
    outage = found.config.limits.callback_outage
    fail(
        v,
        "C-4",
        f"{len(lost)} event(s) lost over a receiver outage of {outage:g} s (server time): never "
        f"acknowledged {back} (e.g. `{lost[0][2]}` for {lost[0][1]})",
        found,
        down,
        _last_tries(refused, lost[0]),
    )


def _last_tries(refused: list[Report], key: EventKey) -> list[Report]:
    tries = [r for r in refused if key in r.event_keys()]
    return (tries[:1] + tries[-2:]) if len(tries) > 3 else tries


def sequences(reports: list[Report]) -> list[list[Report]]:
    """Per refused event: its first FAILURES or more consecutive refusals and the next try."""
    out: list[list[Report]] = []
    seen: set[tuple[int, ...]] = set()
    for report in reports:
        if report.received.acknowledged:
            continue
        for key in report.event_keys():
            tries = [r for r in reports if key in r.event_keys()]
            if tries[0] is not report:
                continue
            run = 0
            while run < len(tries) and not tries[run].received.acknowledged:
                run += 1
            numbers = tuple(r.received.number for r in tries[: run + 1])
            if run >= FAILURES and run < len(tries) and numbers not in seen:
                seen.add(numbers)
                out.append(tries[: run + 1])
    return out


def flat(intervals: list[float]) -> bool:
    """No growth: later intervals about as long as earlier ones, and no jitter's spread."""
    half = len(intervals) // 2
    early, late = median(intervals[:half]), median(intervals[half:])
    spread = max(intervals) / max(min(intervals), 1e-9)
    return late < FLAT_RATIO * early and spread < SPREAD


def intervals_grow(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-4: over at least four consecutive refusals of one callback (the `down` send's), the
    waits between tries grow."""
    down = _outage_send(v, sends)
    speed = found.config.limits.clock_speed
    judged = sequences(found.of(down))
    if not judged:
        why = (
            f"{down.label}: no callback was refused {FAILURES} times in a row and then tried "
            f"again within the wait (limits.callback_wait)"
        )
        v.unexercised("C-4", why)
        v.cannot("C-4.exponential-backoff", why)
        return
    v.exercised("C-4.exponential-backoff")
    shown = []
    for tries in judged:
        times = [r.received.arrived for r in tries]
        intervals = [speed * (b - a) for a, b in pairwise(times)]
        if not flat(intervals):
            return
        shown.append(", ".join(f"{i:.0f}" for i in intervals))
    fail(
        v,
        "C-4",
        f"retries do not back off: over {FAILURES}+ consecutive refusals the waits between "
        f"tries stay flat ({'; '.join(shown[:3])} s, server time); C-4 asks for exponential "
        "backoff",
        found,
        down,
        judged[0],
    )
