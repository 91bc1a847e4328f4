"""C-1 and M-4 for opens and clicks: what a test contact is known to do is reported, after
DONE too.

Which opens and clicks a send has is its recipients' doing, so a missing one proves nothing
by itself, and no wait after DONE tells a server that drops them from contacts who did not
open. The config can: a contact whose events are known (`engages: [opened, clicked]`, e.g. a
sandbox mailbox that always opens and clicks, or the mock's `clicked@simulator...`). The
observation waits for those events up to `limits.callback_wait` after the send was first seen
DONE (callbacks/observe.py); one still missing then was not reported (C-1). M-4 lets opens and
clicks come after DONE: one whose `when` is past the server's clock at DONE (ending.clock_bound) is
accepted like any other, and is what exercises M-4 here.
"""

from __future__ import annotations

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_verdicts import fail
from campaign_contract.judges.ending import ROUNDING, clock_bound
from campaign_contract.judges.sends import QUIET, Observation, Send, Sighting, complete, messages

RULES = ("C-1", "M-4")
#: The clauses judged, each with one cell per event a contact may be known to do.
REPORTED = "C-1.every-event-known-engagement"
AFTER_DONE = "M-4.opened-clicked-after-done"
EVENTS = ("opened", "clicked")
VERB = {"opened": "open", "clicked": "click"}


def known_engagement(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-1, M-4: a test contact known to open or click (config `engages`) has its `opened` and
    `clicked` reported, also when they come after DONE (M-4 allows that; it is never a
    failure). Judged on the sends that await engagement (a healthy receiver)."""
    judged = [s for s in sends if s.awaits_engagement]
    if not judged:
        v.skip(
            "no send of this run reaches a contact known to engage (the layer sends to the "
            "first two lists and the first list's segments)"
        )
    reported: set[str] = set()
    after_done: set[str] = set()
    for send in judged:
        why = complete(send)
        if why is not None:
            for rule in RULES:
                v.unexercised(rule, why)
            continue
        seen, late = _judge(v, found, send)
        reported, after_done = reported | seen, after_done | late
    for event in EVENTS:
        if event in reported:
            v.exercised(REPORTED, event=event)
        else:
            v.cannot(REPORTED, f"no contact known to {VERB[event]} was judged on it", event=event)
        if event in after_done:
            v.exercised(AFTER_DONE, event=event)
        else:
            v.cannot(AFTER_DONE, f"no known `{event}` came provably after DONE was first "
                     "seen (its `when` past the server's clock then)", event=event)  # fmt: skip
    if not after_done:
        v.unexercised(
            "M-4",
            f"none of the known open(s) and click(s) reported ({', '.join(sorted(reported))}) "
            "came provably after DONE was first seen (their `when` not past the server's clock "
            "then)"
            if reported
            else "no known open or click was reported, so none after DONE to accept",
        )


def _judge(v: Verdicts, found: Observation, send: Send) -> tuple[set[str], set[str]]:
    """Fails C-1 for each known event of `send` missing; (event types judged, those of them
    seen after DONE)."""
    limits = found.config.limits
    bound = clock_bound(found, send, limits.clock_speed, limits.clock_skew)
    since_done = found.ended_at - (send.final_at or found.ended_at)
    sightings = messages(found.of(send))
    seen: set[str] = set()
    late: set[str] = set()
    for address, wanted in sorted(send.engaging.items()):
        mine = sightings.get(("email", address), [])
        events = {s.event for s in mine}
        if "delivered" not in events:
            bounced = "bounced" in events
            outcome = "it bounced, so no open can follow (E-2)" if bounced else "no `delivered`"
            for rule in RULES:
                v.unexercised(rule, f"{send.label}: {address} is known to engage, but {outcome}")
            continue
        for event in wanted:
            got = [s for s in mine if s.event == event]
            if any(_after(s, bound) for s in got):
                late.add(event)
            if got:
                seen.add(event)
                continue
            if since_done + QUIET < found.limit:
                v.unexercised(
                    "C-1",
                    f"{send.label}: the wait ended {since_done:.1f} s after DONE, before "
                    f"limits.callback_wait ({found.limit:g} s)",
                )
                continue
            seen.add(event)  # judged: missing after the whole wait
            fail(
                v,
                "C-1",
                f"{address} is known to engage ({', '.join(wanted)}; config `engages`), yet no "
                f"`{event}` for it came in {since_done:.0f} s after the campaign was first seen "
                "DONE: it was not reported (opens and clicks may come after DONE, M-4, and are "
                "still reported). If this contact engages later, raise limits.callback_wait.",
                found,
                send,
                [s.report for s in mine],
                read=True,
            )
    return seen, late


def _after(sighting: Sighting, bound: float | None) -> bool:
    """The event came after DONE was first seen: its `when` (never later than the event, C-3p)
    is past the latest the server's clock can have read then."""
    return bound is not None and sighting.when is not None and sighting.when > bound + ROUNDING
