"""M-4 by the callbacks: DONE comes only after every final outcome, never waits for them to be
delivered (a receiver that is down does not hold a send in SENDING), and does come once every
message has its outcome (not ERROR).

DONE is judged on the server's own clock. Its events all happen after its creation, so at
real time `t` the clock read at most `min(when) + speed * (t - posted)` (`posted`: just before
the POST); for a real server (speed 1) also at most `t + clock_skew`. A campaign first seen
DONE at `t` was DONE by then; if that bound is earlier than the `when` of a `delivered` or
`bounced` callback (`when` is its earliest event, so never later than the outcome), DONE came
before that outcome. Later polls only raise the bound, so polling never fails a correct server.
"""

from __future__ import annotations

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_verdicts import fail, no_callback
from campaign_contract.judges.sends import FINAL_EVENTS, Observation, Send, messages, missing_events

#: Server seconds allowed for `when` being a whole second (rounded, not only truncated).
ROUNDING = 2.0
#: M-4: a down receiver holds DONE if the send overruns its twin's time this many times...
HOLD_FACTOR = 3.0
#: ... plus this many server seconds (outcomes are random; the twin is one draw).
HOLD_SLACK = 60.0
#: Real seconds of polling granularity allowed on top (callbacks/observe.py's MAX_POLL).
POLL_SLACK = 1.0


def twin_of(sends: list[Send], outage: Send) -> Send | None:
    """The healthy send to the same list and segments, to tell the send's expected time."""
    return next(
        (
            s
            for s in sends
            if s is not outage
            and not s.down
            and not s.faults
            and not s.racers
            and s.list_id == outage.list_id
            and s.segments == outage.segments
        ),
        None,
    )


def hold_limit(twin: Send, speed: float) -> float | None:
    """Real seconds after its POST past which a send still going is held (None: unknown yet)."""
    if twin.final_at is None or twin.posted_at is None:
        return None
    took = max(0.0, twin.final_at - twin.posted_at)
    return HOLD_FACTOR * took + HOLD_SLACK / speed + POLL_SLACK


def clock_bound(found: Observation, send: Send, speed: float, skew: float) -> float | None:
    """The latest the server's clock can have read when `send` was first seen final."""
    whens = [r.form.when for r in found.of(send) if r.form.when is not None]
    if send.final_at is None or send.posted_at is None or not whens:
        return None
    bound = min(whens) + speed * (send.final_at - send.posted_at)
    if speed == 1.0:
        bound = min(bound, send.final_at + skew)
    return bound


def done_after_outcomes(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """M-4: a campaign is DONE only once every message has its outcome: never before the `when`
    of a `delivered` or `bounced` callback, on the server's clock."""
    if no_callback(v, found, ("M-4",)):
        return
    limits = found.config.limits
    judged = False
    for send in sends:
        finals = [r for r in found.of(send) if r.form.event in FINAL_EVENTS and r.form.when]
        bound = clock_bound(found, send, limits.clock_speed, limits.clock_skew)
        if send.state != "DONE" or bound is None or not finals:
            continue
        judged = True
        v.exercised("M-4.done-not-before-last-outcome")
        last = max(finals, key=lambda r: r.form.when or 0)
        when = last.form.when or 0
        seen = (send.final_at or 0.0) - (send.posted_at or 0.0)
        if bound + ROUNDING < when:
            fail(
                v,
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
        v.unexercised("M-4", why)
        v.cannot("M-4.done-not-before-last-outcome", why)


def not_held_by_a_down_receiver(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """M-4: with its receiver refusing every callback (the `down` send), a send still ends in
    DONE in about the time the same send to a healthy receiver takes: DONE does not wait for
    callback delivery."""
    down = next((s for s in sends if s.down), None)
    if down is None:
        v.skip("the outage campaign was not created")
    twin = twin_of(sends, down)
    speed = found.config.limits.clock_speed
    clause = "M-4.done-not-held-by-callbacks"
    if down.final_at is not None and (down.up_at is None or down.final_at <= down.up_at):
        v.exercised(clause)
        return  # ended while every callback was refused
    if down.up_why != "held" or twin is None:
        why = (
            "its receiver came back before the send could be judged "
            f"({down.up_why or 'never down'}; the healthy twin was {twin and twin.state})"
        )
        v.unexercised("M-4", f"{down.label}: {why}")
        v.cannot(clause, f"{down.label}: {why}")
        return
    v.exercised(clause)
    limit = hold_limit(twin, speed) or 0.0
    took = (twin.final_at or 0.0) - (twin.posted_at or 0.0)
    fail(
        v,
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


def every_outcome_ends_in_done(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """M-4: a send whose every message has its outcome went on to the end: DONE, not ERROR."""
    if no_callback(v, found, ("M-4",)):
        return
    clause = "M-4.done-when-every-outcome"
    judged = False
    for send in sends:
        if send.state not in ("DONE", "ERROR") or not any(send.expected.values()):
            continue
        events = {m: {s.event for s in ss} for m, ss in messages(found.of(send)).items()}
        if missing_events(send, events):
            continue
        judged = True
        v.exercised(clause)
        if send.state == "ERROR":
            fail(
                v,
                "M-4",
                "the send ended in ERROR, though every message had its final outcome "
                "(ERROR is for a send that cannot go on)",
                found,
                send,
                found.of(send),
                read=True,
            )
    if not judged:
        v.cannot(clause, "no send ended with every message's outcome reported")
