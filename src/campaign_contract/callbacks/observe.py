"""One run-wide observation: start the sends, collect their callbacks until the outcome is sure
(into judges/sends.py's `Observation`, which the judges read)."""

from __future__ import annotations

import time
from collections import defaultdict

from campaign_contract.callbacks import outage
from campaign_contract.callbacks.plan import follow_up, plan_sends, start_sends
from campaign_contract.engine.context import RunContext
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.run_report import CALLBACK_LOG, CallbackLog, SeenCallback
from campaign_contract.judges.callback_form import parse_callback
from campaign_contract.judges.delivery import ACK_STATUSES
from campaign_contract.judges.sends import (
    FINAL_EVENTS,
    MAX_DELAY,
    QUIET,
    EventKey,
    Observation,
    Report,
    Send,
)
from campaign_contract.transport.receiver import FOREIGN_STATUS, Receiver, target_sources

#: Longest pause between two reads of a sending campaign's state.
MAX_POLL = 1.0
FINAL_STATES = frozenset({"DONE", "ERROR"})


#: What `RunContext.shared` keeps the observation under.
OBSERVATION = "callbacks.observation"


def begin(ctx: RunContext) -> None:
    """Start the sends and the wait for their callbacks as the run starts: the other layers'
    checks run meanwhile, and the layer's checks find it done or wait for the rest."""
    ctx.begin(OBSERVATION, lambda: _guarded(ctx))


def observation(t: Probe) -> Observation:
    """The run's observation: begun with the run (`begin`), or by the first check to ask."""
    return t.ctx.shared(OBSERVATION, lambda: _guarded(t.ctx))


def _guarded(ctx: RunContext) -> Observation:
    # Made once even if it breaks: a second try would create every campaign again.
    try:
        return _observe(ctx)
    except Exception as error:
        return Observation(
            ctx.config, problem=f"the callbacks layer broke (a suite bug?): {error!r}"
        )


def _observe(ctx: RunContext) -> Observation:
    config = ctx.config.callbacks
    try:
        sources, unresolved = target_sources(ctx.client.base_url, config.sources)
        receiver = Receiver(
            config.listen_host, config.listen_port, config.public_url, sources
        ).start()
    except OSError as error:
        where = f"{config.listen_host}:{config.listen_port}"
        return Observation(
            ctx.config, problem=f"the callback receiver cannot listen on {where}: {error}"
        )
    ctx.on_close(receiver.close)
    receiver.acknowledge_with(ACK_STATUSES)
    sends = plan_sends(ctx.config, lambda rule: rule in ctx.selected)
    found = Observation(ctx.config, receiver.base_url, sends, limit=ctx.config.limits.callback_wait)
    posted = time.time()
    start_sends(ctx, receiver, sends)
    began = time.monotonic()
    _wait(ctx, receiver, found)
    found.waited = time.monotonic() - began
    noise = receiver.noise()
    if noise:
        ctx.warnings.append(
            f"the callback receiver got {noise} request(s) to URLs the suite never handed out "
            "(noise: scanners, forgeries or a misrouted server); they were not judged"
        )
    if unresolved:
        ctx.warnings.append(
            "callbacks from these were not judged: they do not resolve: " + ", ".join(unresolved)
        )
    foreign, peers = receiver.foreign()
    if foreign:
        ctx.warnings.append(
            f"the callback receiver ignored {foreign} request(s) from {', '.join(peers)}, "
            "an address the target's host does not resolve to (answered "
            f"{FOREIGN_STATUS}, not judged: forgeries?); if your server sends its "
            "callbacks from there, list it in callbacks.sources"
        )
    found.ended_at = time.time()
    ctx.shared(CALLBACK_LOG, lambda: _log(found, posted, ctx))
    return found


def _log(found: Observation, posted: float, ctx: RunContext) -> CallbackLog:
    """What the report draws: each callback's arrival, `when`, events and answer."""
    seen = tuple(
        SeenCallback(
            arrived=r.received.arrived - posted,
            when=r.form.when,
            events=tuple(event for _channel, _address, event in r.form.reports()),
            send=r.send.label if r.send is not None else "?",
            status=r.received.status,
            held_back=r.send is not None and r.send.refused,
        )
        for r in found.reports
    )
    limits = ctx.config.limits
    return CallbackLog(
        posted, limits.clock_speed, limits.clock_skew, seen, MAX_DELAY, limits.lag_seconds
    )


def _wait(ctx: RunContext, receiver: Receiver, found: Observation) -> None:
    limits = ctx.config.limits
    deadline = time.monotonic() + found.limit
    #: M-4's limit: a send still READY this long (real seconds) after its POST never sends.
    unsent = min(found.limit, limits.send_wait)
    outage_real = limits.callback_outage / limits.clock_speed
    #: A down receiver comes up by then at the latest; the wait then goes on for its retries.
    give_up = time.monotonic() + outage_real + found.limit
    by_token = {s.token: s for s in found.sends}
    polls: dict[int, tuple[float, float]] = {}  # id -> (next poll, pause)
    followed: set[str] = set()  # tokens of fault-playing sends whose leftovers were handed on
    seen = 0
    while True:
        for entry in receiver.received()[seen:]:
            seen += 1
            if not entry.matched:
                continue  # noise: no URL the suite handed out, so no callback to judge
            if entry.incomplete:
                continue  # the sender gave up mid-request: no callback; C-4's retry comes
            send = by_token.get(entry.token or "")
            form = parse_callback(entry.header("Content-Type") or "", entry.body)
            found.reports.append(Report(entry, form, send))
        now = time.monotonic()
        for send in found.sends:
            _poll(ctx, send, polls, now)
        outage.manage(receiver, found.sends, found.of, limits.callback_outage,
                      limits.clock_speed, give_up)  # fmt: skip
        outage.listen_when_due(receiver, found.sends, (MAX_DELAY + limits.clock_skew) /
                               limits.clock_speed, give_up)  # fmt: skip
        if any((s.down or s.refused) and s.up_at is None for s in found.sends):
            deadline = max(deadline, now + found.limit)  # its retries are waited for after it
        for send in found.sends:
            if send.refused and send.up_at is not None and send.posted_at is not None:
                # A backoff grown over the refusal may wait about as long again (C-4): its
                # retries are waited for that long on top of callback_wait.
                refused_for = send.up_at - send.posted_at
                deadline = max(deadline, now + send.up_at + refused_for + found.limit - time.time())
        for send in found.sends:
            if send.awaits_engagement and send.state == "DONE" and send.final_at is not None:
                # Known opens and clicks may come after DONE (M-4): wait for them, counted
                # from DONE (engagement.py judges what is still missing then).
                deadline = max(deadline, now + send.final_at + found.limit - time.time())
        for send in found.sends:
            if send.settled_at is None and send.id is None:
                send.settled_at = now - QUIET  # never created: nothing to wait for
            elif send.settled_at is None and _certain(send, found.of(send)):
                send.settled_at = now
            elif send.settled_at is None and send.state == "READY" and _unsent(send, unsent):
                send.settled_at, send.timed_out = now - QUIET, True  # M-4's limit: it never sends
        for send in [s for s in found.sends if s.faults and s.settled_at is not None]:
            if send.token in followed or send.timed_out:
                continue
            followed.add(send.token)
            more = follow_up(ctx.config, send, receiver.take_script(send.token), found.sends)
            if more is not None:
                start_sends(ctx, receiver, [more])
                found.sends.append(more)
                by_token[more.token] = more
                deadline = max(deadline, now + found.limit)
        if all(s.settled_at is not None and now >= s.settled_at + QUIET for s in found.sends):
            return
        if now >= deadline or ctx.stopping.is_set():  # stopping: the run ended without it
            for send in found.sends:
                send.timed_out = send.settled_at is None
            return
        receiver.wait_for_more(seen, min(0.2, deadline - now))


def _poll(ctx: RunContext, send: Send, polls: dict[int, tuple[float, float]], now: float) -> None:
    if send.id is None or send.state in FINAL_STATES:
        return
    due, pause = polls.get(send.id, (now, 0.1))
    if now < due:
        return
    answer = ctx.client.get(f"/campaign/{send.id}")
    state = answer.data().get("state") if answer.success() is True else None
    send.state, send.last_read = (state if isinstance(state, str) else None), answer
    if send.state in FINAL_STATES:
        send.final_at = time.time()
    polls[send.id] = (time.monotonic() + pause, min(pause * 2, MAX_POLL))


def _unsent(send: Send, after: float) -> bool:
    return send.posted_at is not None and time.time() >= send.posted_at + after


def _certain(send: Send, reports: list[Report]) -> bool:
    """Ended, every expected outcome acknowledged, and no unacknowledged event left to retry.

    A missing outcome keeps the wait going: late, it is C-3's failure; never, A-1's.
    """
    if send.state not in FINAL_STATES:
        return False
    acknowledged: set[EventKey] = set()
    unacknowledged: set[EventKey] = set()
    for report in reports:
        (acknowledged if report.received.acknowledged else unacknowledged).update(
            report.event_keys()
        )
    if not unacknowledged <= acknowledged:
        return False
    if send.state == "ERROR":
        return True
    events: dict[tuple[str, str], set[str]] = defaultdict(set)
    for channel, address, event, _when in acknowledged:
        events[channel, address].add(event)
    for channel, addresses in send.expected.items():
        for address in addresses:
            got = events[channel, address]
            if not got & FINAL_EVENTS or (channel == "email" and "submitted" not in got):
                return False
    if send.awaits_engagement and send.state == "DONE":
        return all(set(w) <= events["email", a] for a, w in send.engaging.items())
    return True
