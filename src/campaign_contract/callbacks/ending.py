"""M-4 by the callbacks: DONE comes only after every final outcome, and never waits for them
to be delivered (a receiver that is down does not hold a send in SENDING).

DONE is judged on the server's own clock. Its events all happen after its creation, so at
real time `t` the clock read at most `min(when) + speed * (t - posted)` (`posted`: just before
the POST); for a real server (speed 1) also at most `t + clock_skew`. A campaign first seen
DONE at `t` was DONE by then; if that bound is earlier than the `when` of a `delivered` or
`bounced` callback (`when` is its earliest event, so never later than the outcome), DONE came
before that outcome. Later polls only raise the bound, so polling never fails a correct server.
"""

from __future__ import annotations

from campaign_contract.callbacks.observe import Observation
from campaign_contract.callbacks.outage import HOLD_FACTOR, hold_limit, twin_of
from campaign_contract.callbacks.plan import FINAL_EVENTS, Send
from campaign_contract.callbacks.view import fail, no_callback, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check

#: Server seconds allowed for `when` being a whole second (rounded, not only truncated).
ROUNDING = 2.0


def clock_bound(found: Observation, send: Send, speed: float, skew: float) -> float | None:
    """The latest the server's clock can have read when `send` was first seen final."""
    whens = [r.form.when for r in found.of(send) if r.form.when is not None]
    if send.final_at is None or send.posted_at is None or not whens:
        return None
    bound = min(whens) + speed * (send.final_at - send.posted_at)
    if speed == 1.0:
        bound = min(bound, send.final_at + skew)
    return bound


@check("M-4")
def done_only_after_every_outcome(t: Probe) -> None:
    """A campaign is DONE only once every message has its outcome: never before the `when` of a
    `delivered` or `bounced` callback, on the server's clock."""
    found, sends = sends_for(t)
    if no_callback(t, found, ("M-4",)):
        return
    limits = t.ctx.config.limits
    judged = False
    for send in sends:
        finals = [r for r in found.of(send) if r.form.event in FINAL_EVENTS and r.form.when]
        bound = clock_bound(found, send, limits.clock_speed, limits.clock_skew)
        if send.state != "DONE" or bound is None or not finals:
            continue
        judged = True
        t.exercised("M-4.done-not-before-last-outcome")
        last = max(finals, key=lambda r: r.form.when or 0)
        when = last.form.when or 0
        seen = (send.final_at or 0.0) - (send.posted_at or 0.0)
        if bound + ROUNDING < when:
            fail(
                t,
                "M-4",
                f"the campaign was DONE by server time {bound:.0f} at the latest (first seen "
                f"DONE {seen:.1f} s after its POST), but a "
                f"`{last.form.event}` callback says `when` {when}: DONE came "
                f"{when - bound:.0f} s or more before a message had its final outcome",
                found,
                send,
                [last],
                read=True,
            )
    if not judged:
        why = "no send was seen DONE with outcomes reported to compare"
        t.unexercised("M-4", why)
        t.cannot("M-4.done-not-before-last-outcome", why)


@check("M-4")
def a_down_receiver_does_not_hold_done(t: Probe) -> None:
    """With its receiver refusing every callback, a send still ends in DONE in about the time
    the same send to a healthy receiver takes: DONE does not wait for callback delivery."""
    if t.ctx.config.limits.callback_outage <= 0:
        t.skip("limits.callback_outage is 0: no receiver outage was staged")
    found, sends = sends_for(t)
    down = next((s for s in sends if s.down), None)
    if down is None:
        t.skip("the outage campaign was not created")
    twin = twin_of(sends, down)
    speed = t.ctx.config.limits.clock_speed
    clause = "M-4.done-not-held-by-callbacks"
    if down.final_at is not None and (down.up_at is None or down.final_at <= down.up_at):
        t.exercised(clause)
        return  # ended while every callback was refused
    if down.up_why != "held" or twin is None:
        why = (
            "its receiver came back before the send could be judged "
            f"({down.up_why or 'never down'}; the healthy twin was {twin and twin.state})"
        )
        t.unexercised("M-4", f"{down.label}: {why}")
        t.cannot(clause, f"{down.label}: {why}")
        return
    t.exercised(clause)
    limit = hold_limit(twin, speed) or 0.0
    took = (twin.final_at or 0.0) - (twin.posted_at or 0.0)
    fail(
        t,
        "M-4",
        f"not DONE {limit:.1f} s after its POST while its receiver refused every callback "
        f"(it became {down.state} only after the receiver came back), though the same send "
        f"to a healthy receiver was DONE after {took:.1f} s (allowed: {HOLD_FACTOR:g} times "
        "that and a margin): DONE waits for callback delivery",
        found,
        down,
        found.of(down)[:1],
        read=True,
    )
