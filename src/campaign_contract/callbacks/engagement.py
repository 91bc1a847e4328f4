"""C-1 and M-4 for opens and clicks: what a test contact is known to do is reported, after
DONE too.

Which opens and clicks a send has is its recipients' doing, so a missing one proves nothing
by itself, and no wait after DONE tells a server that drops them from contacts who did not
open. The config can: a contact whose events are known (`engages: [opened, clicked]`, e.g. a
sandbox mailbox that always opens and clicks, or the mock's `clicked@simulator...`). The
observation waits for those events up to `limits.callback_wait` after the send was first seen
DONE (observe.py); one still missing then was not reported (C-1). M-4 lets opens and clicks
come after DONE: one whose `when` is past the server's clock at DONE (ending.clock_bound) is
accepted like any other, and is what exercises M-4 here.
"""

from __future__ import annotations

from campaign_contract.callbacks.ending import ROUNDING, clock_bound
from campaign_contract.callbacks.observe import QUIET, Observation
from campaign_contract.callbacks.plan import Send
from campaign_contract.callbacks.view import Sighting, complete, fail, messages, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check

RULES = ("C-1", "M-4")
#: The clauses judged, each with one cell per event a contact may be known to do.
REPORTED = "C-1.every-event-known-engagement"
AFTER_DONE = "M-4.opened-clicked-after-done"
EVENTS = ("opened", "clicked")
VERB = {"opened": "open", "clicked": "click"}


@check(*RULES)
def known_opens_and_clicks_are_reported(t: Probe) -> None:
    """A test contact known to open or click (config `engages`) has its `opened` and `clicked`
    reported, also when they come after DONE (M-4 allows that; it is never a failure)."""
    config = t.ctx.config
    if not any(c.engages for lst in config.lists for c in lst.contacts):
        t.skip(
            "no test contact is known to open or click (config `engages`): a missing open "
            "proves nothing when recipients may simply not open, so whether opens and clicks "
            "are reported (after DONE too) cannot be judged"
        )
    if "email" not in config.payloads:
        t.skip("`payloads` has no email: opens and clicks are Email events (E-1)")
    found, sends = sends_for(t)
    judged = [s for s in sends if s.awaits_engagement]
    if not judged:
        t.skip(
            "no send of this run reaches a contact known to engage (the layer sends to the "
            "first two lists and the first list's segments)"
        )
    reported: set[str] = set()
    after_done: set[str] = set()
    for send in judged:
        why = complete(send)
        if why is not None:
            for rule in RULES:
                t.unexercised(rule, why)
            continue
        seen, late = _judge(t, found, send)
        reported, after_done = reported | seen, after_done | late
    for event in EVENTS:
        if event in reported:
            t.exercised(REPORTED, event=event)
        else:
            t.cannot(REPORTED, f"no contact known to {VERB[event]} was judged on it", event=event)
        if event in after_done:
            t.exercised(AFTER_DONE, event=event)
        else:
            t.cannot(AFTER_DONE, f"no known `{event}` came provably after DONE was first "
                     "seen (its `when` past the server's clock then)", event=event)  # fmt: skip
    if not after_done:
        t.unexercised(
            "M-4",
            f"none of the known open(s) and click(s) reported ({', '.join(sorted(reported))}) "
            "came provably after DONE was first seen (their `when` not past the server's clock "
            "then)"
            if reported
            else "no known open or click was reported, so none after DONE to accept",
        )


def _judge(t: Probe, found: Observation, send: Send) -> tuple[set[str], set[str]]:
    """Fails C-1 for each known event of `send` missing; (event types judged, those of them
    seen after DONE)."""
    limits = t.ctx.config.limits
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
                t.unexercised(rule, f"{send.label}: {address} is known to engage, but {outcome}")
            continue
        for event in wanted:
            got = [s for s in mine if s.event == event]
            if any(_after(s, bound) for s in got):
                late.add(event)
            if got:
                seen.add(event)
                continue
            if since_done + QUIET < found.limit:
                t.unexercised(
                    "C-1",
                    f"{send.label}: the wait ended {since_done:.1f} s after DONE, before "
                    f"limits.callback_wait ({found.limit:g} s)",
                )
                continue
            seen.add(event)  # judged: missing after the whole wait
            fail(
                t,
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
