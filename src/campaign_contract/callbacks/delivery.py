"""C-1, C-2 and C-4: how callbacks reach the receiver, what their bodies hold, and retries;
and M-5's "sends at most once" as the callbacks show it."""

from __future__ import annotations

from urllib.parse import urlsplit

from campaign_contract.callbacks.cells import account_channels, account_events
from campaign_contract.callbacks.form import MAX_ADDRESSES
from campaign_contract.callbacks.observe import EventKey, Observation, Report
from campaign_contract.callbacks.plan import ACK_STATUSES, OTHER_STATUSES, Send
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
from campaign_contract.transport.received import ACK_WITHIN


@check("C-1")
def posts_to_the_url_with_its_query(t: Probe) -> None:
    """Every callback is a POST to the campaign's URL, its query string forwarded byte for byte."""
    found, sends = sends_for(t)
    no_callback(t, found, ("C-1",))  # unless a send that ended shows it (below)
    seen: set[tuple[str, str]] = set()
    for report in found.reports:
        entry = report.received
        if entry.problem is not None:
            continue  # not HTTP at all: C-2's business
        # Each event type of each channel that came was judged on its method, URL and query.
        seen |= {(channel, str(report.form.event)) for channel in report.form.addresses}
        if report.send is None:
            fail(
                t,
                "C-1",
                f"a callback to {entry.path!r}, a URL the suite never handed out",
                found,
                None,
                [report],
            )
            continue
        if entry.method != "POST":
            fail(
                t,
                "C-1",
                f"a callback made with {entry.method}, not POST",
                found,
                report.send,
                [report],
            )
        sent = urlsplit(report.send.url).query.encode("latin-1")
        got = entry.raw_query
        if got != sent:
            told = "dropped" if got is None else f"changed to {got.decode('latin-1')!r}"
            fail(
                t,
                "C-1",
                f"the query string {sent.decode('latin-1')!r} was {told}",
                found,
                report.send,
                [report],
            )
    account_events(t, HOW_CLAUSES, seen)
    for send in sends:
        if any(send.expected.values()) and complete(send) is None and not found.of(send):
            fail(
                t,
                "C-1",
                f"no callback reached {send.url} in {found.waited:.0f} s after "
                "the send (can the server reach callbacks.public_url?)",
                found,
                send,
            )


#: C-1's clauses on how each callback is made: their cells are each channel's event types.
HOW_CLAUSES = ("C-1.by-post", "C-1.to-that-url", "C-1.query-unchanged")
#: C-2's clauses on a body's fields (C-2 and C-2p): their cells are the two channels.
FORM_CLAUSES = (
    "C-2.form-encoded",
    "C-2.event",
    "C-2.when-integer",
    "C-2.indexed-keys",
    "C-2.one-event-type",
    "C-2.one-channel",
    "C-2.indexes-from-0",
    "C-2.no-gaps",
)


@check("C-2", "C-2p")
def bodies_are_forms_of_one_event(t: Probe) -> None:
    """Bodies are forms of `event`, integer `when`, `email[N]`/`telephone[N]`; one type, ≤ 1000."""
    found, sends = sends_for(t)
    if not found.reports:
        t.skip("no callback came to judge")
    for report in found.reports:
        entry = report.received
        if entry.problem is not None:
            fail(t, "C-2", entry.problem, found, report.send, [report])
        elif entry.truncated:
            fail(
                t,
                "C-2",
                "a callback body too large to read (or of a broken length)",
                found,
                report.send,
                [report],
            )
        for problem in report.form.problems:
            fail(t, "C-2", problem, found, report.send, [report])
        for problem in report.form.profile_problems:
            fail(t, "C-2p", problem, found, report.send, [report])
    account_channels(t, FORM_CLAUSES, {c for r in found.reports for c in r.form.addresses})
    _judged_the_limit(t, found, sends)


def _judged_the_limit(t: Probe, found: Observation, sends: list[Send]) -> None:
    """C-2p's "at most 1000" is judged only by a send that gave the server more than 1000
    addresses of one channel to report (whose callbacks came): a run of small lists could
    not have broken it, however its callbacks looked."""
    largest = 0
    for send in sends:
        size = max((len(keys) for keys in send.expected.values()), default=0)
        if size > MAX_ADDRESSES and found.of(send):
            t.exercised("C-2.at-most-1000")
            return
        largest = max(largest, size)
    t.cannot(
        "C-2.at-most-1000",
        f"no audience over {MAX_ADDRESSES} addresses in this run (the largest had {largest})",
    )


#: C-4's clauses judged here, by the cells the receiver's answers give them.
ANY_2XX = "C-4.any-2xx-acknowledges"
OTHER_STATUS = "C-4.other-status-retried"
NO_ANSWER = "C-4.no-answer-retried"
NONE_TWICE = "C-4.none-twice-once-acknowledged"


@check("C-4")
def failed_callbacks_are_retried_and_acknowledged_ones_are_not(t: Probe) -> None:
    """Each other status, no answer and a refused connection are retried until some 2xx; an
    event acknowledged by any 2xx never comes again."""
    found, sends = sends_for(t)
    for send in sends:
        _no_repeats(t, found, send)
    _account_acknowledgements(t, found)
    _refused(t, found, next((s for s in sends if s.refused), None))
    retries = [s for s in sends if s.faults]
    if not retries:
        t.cannot(OTHER_STATUS, "the retry campaign was not created")
        t.cannot(NO_ANSWER, "the retry campaign was not created", failure="no_answer")
        t.skip("the retry campaign was not created")
    _fault_cells(t, found, retries)
    if not any(_refusals(found, send) for send in retries):
        why = "no fault was used" if found.of(retries[0]) else "no callback came to refuse"
        t.unexercised("C-4", f"{retries[0].label}: {why}")
        t.cannot("C-4.no-event-lost", f"{retries[0].label}: {why}")
        return
    t.exercised("C-4.no-event-lost")
    for send in retries:
        _retried(t, found, send)


def _account_acknowledgements(t: Probe, found: Observation) -> None:
    """Every acknowledgement of the run takes the next of ACK_STATUSES (the receiver's turn):
    each status that acknowledged a callback was judged by `_no_repeats`."""
    used = {
        r.received.status
        for r in found.reports
        if r.send is not None and r.received.acknowledged and r.event_keys()
    }
    for status in ACK_STATUSES:
        if status in used:
            t.exercised(ANY_2XX, status=str(status))
        else:
            why = f"no callback was acknowledged with {status} ({len(found.reports)} came)"
            t.cannot(ANY_2XX, why, status=str(status))
    if used:
        t.exercised(NONE_TWICE)
    else:
        t.cannot(NONE_TWICE, "no callback was acknowledged")


@check("M-5")
def racing_puts_send_once(t: Probe) -> None:
    """PUTs racing to make a campaign READY: its messages go out once, so no event comes twice."""
    found, sends = sends_for(t)
    race = next((s for s in sends if s.racers), None)
    if race is None:
        t.skip("the race campaign was not created")
    if not found.of(race):
        t.unexercised("M-5", f"{race.label}: no callback came for the raced campaign")
        return
    _no_repeats(t, found, race, "M-5", f"after {race.racers} PUTs raced it to READY, ")
    t.exercised("M-5.sends-at-most-once")


def _no_repeats(
    t: Probe, found: Observation, send: Send, rule: str = "C-4", lead: str = ""
) -> None:
    acknowledged: dict[EventKey, Report] = {}
    for report in found.of(send):
        for key in report.event_keys():
            earlier = acknowledged.get(key)
            if earlier is not None and earlier is not report:
                fail(
                    t,
                    rule,
                    f"{lead}`{key[2]}` for {key[1]} was reported again after the receiver "
                    f"acknowledged it with HTTP {earlier.received.status}",
                    found,
                    send,
                    [earlier, report],
                )
                break
        if report.received.acknowledged:
            for key in report.event_keys():
                acknowledged.setdefault(key, report)


def _refusals(found: Observation, send: Send) -> list[Report]:
    """The callbacks of `send` its receiver refused (by a status, or by no answer)."""
    return [r for r in found.of(send) if not r.received.acknowledged and r.event_keys()]


def _fault_cells(t: Probe, found: Observation, retries: list[Send]) -> None:
    """Each status and the missing answer is a cell, exercised once a first telling of some
    fault-playing send (the retry send, or a follow-up playing what it left) met it."""
    used = {r.received.status for send in retries for r in _refusals(found, send)}
    came = sum(len(found.of(send)) for send in retries)
    whose = ", ".join(send.label for send in retries)
    for status in OTHER_STATUSES:
        if status in used:
            t.exercised(OTHER_STATUS, status=str(status))
        else:
            t.cannot(OTHER_STATUS, f"{whose}: their {came} callback(s) left no first telling "
                     f"to answer {status}", status=str(status))  # fmt: skip
    if None in used:
        t.exercised(NO_ANSWER, failure="no_answer")
    else:
        t.cannot(NO_ANSWER, f"{whose}: their {came} callback(s) left no first telling to "
                 "leave unanswered", failure="no_answer")  # fmt: skip


def _retried(t: Probe, found: Observation, send: Send) -> None:
    """Each callback the send's receiver refused (by a status, or by no answer within 10 s):
    its events were acknowledged later."""
    reports = found.of(send)
    for bad in _refusals(found, send):
        later = [r for r in reports if r.received.number > bad.received.number]
        taken = {k for r in later if r.received.acknowledged for k in r.event_keys()}
        lost = [k for k in bad.event_keys() if k not in taken]
        if not lost:
            continue
        how = (
            f"answered HTTP {bad.received.status}"
            if bad.received.status is not None
            else f"left unanswered past {ACK_WITHIN:g} s"
        )
        retries = [r for r in later if set(r.event_keys()) & set(lost)]
        told = "retried but never acknowledged" if retries else "never sent again"
        fail(
            t,
            "C-4",
            f"{len(lost)} event(s) of a callback {how} were {told} within "
            f"{found.waited:.0f} s (e.g. `{lost[0][2]}` for {lost[0][1]})",
            found,
            send,
            [bad, *retries],
        )


def _refused(t: Probe, found: Observation, send: Send | None) -> None:
    """The refused send's URL refused every connection until every event's first callback was
    due (outage.listen_when_due): each event must come once it listens."""
    cell = {"failure": "refused_connection"}
    if send is None:
        public = t.ctx.config.callbacks.public_url is not None
        why = (
            "callbacks.public_url is set: the suite has no second address on which to refuse "
            "connections"
            if public
            else "the refused campaign was not created"
        )
        t.cannot(NO_ANSWER, why, **cell)
        return
    if send.up_why != "refused" or send.state != "DONE":
        why = complete(send) or "its port listened before every first callback was due"
        t.cannot(NO_ANSWER, f"{send.label}: {why}", **cell)
        return
    t.exercised(NO_ANSWER, **cell)
    taken = [r for r in found.of(send) if r.received.acknowledged]
    events = {m: {s.event for s in ss} for m, ss in messages(taken).items()}
    missing = missing_events(send, events)
    if missing:
        refused = ((send.up_at or 0.0) - (send.final_at or 0.0)) * t.ctx.config.limits.clock_speed
        after = found.ended_at - (send.up_at or found.ended_at)
        fail(
            t,
            "C-4",
            f"its callback URL refused connections until {refused:.0f} s (server time) after "
            f"the send was DONE, and {len(missing)} event(s) never came in the {after:.0f} s "
            "after it listened again (a refused connection is retried): " + "; ".join(missing[:4]),
            found,
            send,
            found.of(send),
            read=True,
        )
