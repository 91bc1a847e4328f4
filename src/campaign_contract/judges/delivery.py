"""C-1, C-2 and C-4: how callbacks reach the receiver, what their bodies hold, that every event
of an ended send comes, and retries; and M-5's "sends at most once" as the callbacks show it."""

from __future__ import annotations

from urllib.parse import urlsplit

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_form import MAX_ADDRESSES
from campaign_contract.judges.callback_verdicts import (
    account_channels,
    account_events,
    fail,
    no_callback,
)
from campaign_contract.judges.sends import (
    FINAL_EVENTS,
    MAX_DELAY,
    EventKey,
    Observation,
    Report,
    Send,
    address_key,
    complete,
    messages,
    missing_events,
    settled,
)
from campaign_contract.transport.received import ACK_WITHIN

#: C-4's "another status": the suite's retry sends refuse first tellings with each of these
#: (callbacks/plan.py; C-4.other-status-retried's domain).
OTHER_STATUSES = (500, 302, 400, 404, 410, 429, 503)
#: C-4's "any 2xx": the suite's receiver takes these in turn for every acknowledgement
#: (C-4.any-2xx-acknowledges's domain).
ACK_STATUSES = (200, 201, 202, 204, 299)


def posts_to_the_url(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-1: every callback is a POST to the campaign's URL, its query string forwarded byte for
    byte."""
    no_callback(v, found, ("C-1",))  # unless a send that ended shows it (below)
    seen: set[tuple[str, str]] = set()
    for report in found.reports:
        entry = report.received
        if entry.problem is not None:
            continue  # not HTTP at all: C-2's business
        # Each event type of each channel that came was judged on its method, URL and query.
        seen |= {(channel, str(report.form.event)) for channel in report.form.addresses}
        if report.send is None:
            fail(
                v,
                "C-1",
                f"a callback to {entry.path!r}, a URL the suite never handed out",
                found,
                None,
                [report],
            )
            continue
        if entry.method != "POST":
            fail(
                v,
                "C-1",
                f"a callback made with {entry.method}, not POST",
                found,
                report.send,
                [report],
            )
        sent = urlsplit(report.send.url).query.encode("latin-1")
        got = entry.raw_query
        if (got or b"") != sent:  # no query and an empty one are the same query
            told = "dropped" if got is None else f"changed to {got.decode('latin-1')!r}"
            fail(
                v,
                "C-1",
                f"the query string {sent.decode('latin-1')!r} was {told}",
                found,
                report.send,
                [report],
            )
    account_events(v, HOW_CLAUSES, seen)
    for send in sends:
        if any(send.expected.values()) and complete(send) is None and not found.of(send):
            fail(
                v,
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


def bodies(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-2, C-2p: bodies are forms of `event`, integer `when`, `email[N]`/`telephone[N]`; one
    type, ≤ 1000."""
    if not found.reports:
        v.skip("no callback came to judge")
    for report in found.reports:
        entry = report.received
        if entry.problem is not None:
            fail(v, "C-2", entry.problem, found, report.send, [report])
        elif entry.truncated:
            fail(
                v,
                "C-2",
                "a callback body too large to read (or of a broken length)",
                found,
                report.send,
                [report],
            )
        for problem in report.form.problems:
            fail(v, "C-2", problem, found, report.send, [report])
        for problem in report.form.profile_problems:
            fail(v, "C-2p", problem, found, report.send, [report])
    account_channels(v, FORM_CLAUSES, {c for r in found.reports for c in r.form.addresses})
    _judged_the_limit(v, found, sends)


def _judged_the_limit(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-2p's "at most 1000" is judged only by a send that gave the server more than 1000
    addresses of one channel to report (whose callbacks came): a run of small lists could
    not have broken it, however its callbacks looked."""
    largest = 0
    for send in sends:
        size = max((len(keys) for keys in send.expected.values()), default=0)
        if size > MAX_ADDRESSES and found.of(send):
            v.exercised("C-2.at-most-1000")
            return
        largest = max(largest, size)
    v.cannot(
        "C-2.at-most-1000",
        f"no audience over {MAX_ADDRESSES} addresses in this run (the largest had {largest})",
    )


#: C-4's clauses judged here, by the cells the receiver's answers give them.
ANY_2XX = "C-4.any-2xx-acknowledges"
OTHER_STATUS = "C-4.other-status-retried"
NO_ANSWER = "C-4.no-answer-retried"
NONE_TWICE = "C-4.none-twice-once-acknowledged"


def retried_until_acknowledged(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-4: each other status, no answer and a refused connection are retried until some 2xx;
    an event acknowledged by any 2xx never comes again."""
    acknowledged_never_again(v, found, sends)
    _refused(v, found, next((s for s in sends if s.refused), None))
    retries = [s for s in sends if s.faults]
    if not retries:
        v.cannot(OTHER_STATUS, "the retry campaign was not created")
        v.cannot(NO_ANSWER, "the retry campaign was not created", failure="no_answer")
        v.skip("the retry campaign was not created")
    _fault_cells(v, found, retries)
    if not any(_refusals(found, send) for send in retries):
        why = "no fault was used" if found.of(retries[0]) else "no callback came to refuse"
        v.unexercised("C-4", f"{retries[0].label}: {why}")
        v.cannot("C-4.no-event-lost", f"{retries[0].label}: {why}")
        return
    v.exercised("C-4.no-event-lost")
    for send in retries:
        _retried(v, found, send)


def acknowledged_never_again(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-4: an event acknowledged by any 2xx at once (`Received.acknowledged_promptly`) never
    comes again (each 2xx status that acknowledged is a cell). Traffic a proxy saw is judged
    by this part of C-4 alone: a refused callback's retries may take the hour C-4 allows."""
    for send in sends:
        _no_repeats(v, found, send)
    _account_acknowledgements(v, found)


#: C-4's retry window: a refused callback is retried for at least this many seconds.
RETRY_WINDOW = 3600.0


def retried_within_the_window(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-4 on callbacks a receiver refused by its own choice (traffic a proxy saw): the
    server retries for at least an hour, so each refused callback's events come again
    within it (acknowledged or not: the receiver may refuse again). Judged only on refusals
    a whole window (server time, `limits.clock_speed`, plus `clock_skew`) before the end."""
    limits = found.config.limits
    window = RETRY_WINDOW + limits.clock_skew
    judged = False
    for send in sends:
        reports = found.of(send)
        for bad in _refusals(found, send):
            if (found.ended_at - bad.received.arrived) * limits.clock_speed < window:
                continue
            judged = True
            status = bad.received.status
            if status is None:
                v.exercised(NO_ANSWER, failure="no_answer")
            elif str(status) in [str(s) for s in OTHER_STATUSES]:
                v.exercised(OTHER_STATUS, status=str(status))
            later = {k for r in reports if r.received.number > bad.received.number
                     for k in r.event_keys()}  # fmt: skip
            lost = [k for k in bad.event_keys() if k not in later]
            if lost:
                how = f"answered HTTP {status}" if status is not None else "left unanswered"
                fail(v, "C-4", f"{len(lost)} event(s) of a callback the receiver {how} were "
                     f"never sent again in the {RETRY_WINDOW:g} s (server time) that followed "
                     f"(e.g. `{lost[0][2]}` for {lost[0][1]})", found, send, [bad])  # fmt: skip
    if not judged:
        v.unexercised("C-4", "no callback was refused an hour (server time) before the end")


def _account_acknowledgements(v: Verdicts, found: Observation) -> None:
    """Every acknowledgement of the run takes the next of ACK_STATUSES (the receiver's turn):
    each status that acknowledged a callback was judged by `_no_repeats`."""
    speed = found.config.limits.clock_speed
    used = {
        r.received.status
        for r in found.reports
        if r.send is not None and r.received.acknowledged_promptly(speed) and r.event_keys()
    }
    for status in ACK_STATUSES:
        if status in used:
            v.exercised(ANY_2XX, status=str(status))
        else:
            why = f"no callback was acknowledged with {status} at once ({len(found.reports)} came)"
            v.cannot(ANY_2XX, why, status=str(status))
    if used:
        v.exercised(NONE_TWICE)
    else:
        v.cannot(NONE_TWICE, "no callback was acknowledged at once")


def sends_once(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """M-5: PUTs racing to make a campaign READY: its messages go out once, so no event comes
    twice."""
    race = next((s for s in sends if s.racers), None)
    if race is None:
        v.skip("the race campaign was not created")
    if not found.of(race):
        v.unexercised("M-5", f"{race.label}: no callback came for the raced campaign")
        return
    _no_repeats(v, found, race, "M-5", f"after {race.racers} PUTs raced it to READY, ")
    v.exercised("M-5.sends-at-most-once")


def _no_repeats(
    v: Verdicts, found: Observation, send: Send, rule: str = "C-4", lead: str = ""
) -> None:
    # Only a prompt 2xx binds: one written late may have met the server's timeout (C-4).
    speed = found.config.limits.clock_speed
    acknowledged: dict[EventKey, Report] = {}
    for report in found.of(send):
        for key in report.event_keys():
            earlier = acknowledged.get(key)
            if earlier is not None and earlier is not report:
                fail(
                    v,
                    rule,
                    f"{lead}`{key[2]}` for {key[1]} was reported again after the receiver "
                    f"acknowledged it with HTTP {earlier.received.status}{_took(earlier)}",
                    found,
                    send,
                    [earlier, report],
                )
                break
        if report.received.acknowledged_promptly(speed):
            for key in report.event_keys():
                acknowledged.setdefault(key, report)


def _took(report: Report) -> str:
    latency = report.received.latency
    return "" if latency is None else f" {latency * 1000:.0f} ms after it came"


def _refusals(found: Observation, send: Send) -> list[Report]:
    """The callbacks of `send` its receiver refused (by a status, or by no answer)."""
    return [r for r in found.of(send) if not r.received.acknowledged and r.event_keys()]


def _fault_cells(v: Verdicts, found: Observation, retries: list[Send]) -> None:
    """Each status and the missing answer is a cell, exercised once a first telling of some
    fault-playing send (the retry send, or a follow-up playing what it left) met it."""
    used = {r.received.status for send in retries for r in _refusals(found, send)}
    came = sum(len(found.of(send)) for send in retries)
    whose = ", ".join(send.label for send in retries)
    for status in OTHER_STATUSES:
        if status in used:
            v.exercised(OTHER_STATUS, status=str(status))
        else:
            v.cannot(OTHER_STATUS, f"{whose}: their {came} callback(s) left no first telling "
                     f"to answer {status}", status=str(status))  # fmt: skip
    if None in used:
        v.exercised(NO_ANSWER, failure="no_answer")
    else:
        v.cannot(NO_ANSWER, f"{whose}: their {came} callback(s) left no first telling to "
                 "leave unanswered", failure="no_answer")  # fmt: skip


def _retried(v: Verdicts, found: Observation, send: Send) -> None:
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
            v,
            "C-4",
            f"{len(lost)} event(s) of a callback {how} were {told} within "
            f"{found.waited:.0f} s (e.g. `{lost[0][2]}` for {lost[0][1]})",
            found,
            send,
            [bad, *retries],
        )


def _refused(v: Verdicts, found: Observation, send: Send | None) -> None:
    """The refused send's URL refused every connection until every event's first callback was
    due (outage.listen_when_due): each event must come once it listens."""
    cell = {"failure": "refused_connection"}
    if send is None:
        public = found.config.callbacks.public_url is not None
        why = (
            "callbacks.public_url is set: the suite has no second address on which to refuse "
            "connections"
            if public
            else "the refused campaign was not created"
        )
        v.cannot(NO_ANSWER, why, **cell)
        return
    if send.up_why != "refused" or send.state != "DONE":
        why = complete(send) or "its port listened before every first callback was due"
        v.cannot(NO_ANSWER, f"{send.label}: {why}", **cell)
        return
    v.exercised(NO_ANSWER, **cell)
    taken = [r for r in found.of(send) if r.received.acknowledged]
    events = {m: {s.event for s in ss} for m, ss in messages(taken).items()}
    missing = missing_events(send, events)
    if missing:
        refused = ((send.up_at or 0.0) - (send.final_at or 0.0)) * found.config.limits.clock_speed
        after = found.ended_at - (send.up_at or found.ended_at)
        fail(
            v,
            "C-4",
            f"its callback URL refused connections until {refused:.0f} s (server time) after "
            f"the send was DONE, and {len(missing)} event(s) never came in the {after:.0f} s "
            "after it listened again (a refused connection is retried): " + "; ".join(missing[:4]),
            found,
            send,
            found.of(send),
            read=True,
        )


def _events(found: Observation, send: Send) -> dict[tuple[str, str], set[str]]:
    return {m: {s.event for s in ss} for m, ss in messages(found.of(send)).items()}


def every_event_reported(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-1: once a send is DONE, every message's `submitted` (Email) and outcome came by
    callback."""
    if no_callback(v, found, ("C-1",)):
        return
    judged = settled(found, sends)
    if not judged:
        enough = MAX_DELAY + found.config.limits.clock_skew
        v.unexercised("C-1", f"no send was DONE {enough:g} s (server time) before the wait ended")
    seen: set[tuple[str, str]] = set()
    for send in judged:
        events = _events(found, send)
        seen |= _judged_cells(send, events)
        missing = missing_events(send, events)
        if missing:
            fail(
                v,
                "C-1",
                f"{len(missing)} event(s) of a DONE send never reported in {found.waited:.0f} s: "
                + "; ".join(missing[:4]),
                found,
                send,
                found.of(send),
                read=True,
            )
    account_events(v, ["C-1.every-event"], seen, EVERY_EVENT_CELLS)


#: C-1.every-event's cells: the events every message must report (opens and clicks are
#: judged only where known to happen, C-1.every-event-known-engagement).
EVERY_EVENT_CELLS = (
    ("email", "submitted"),
    ("email", "delivered"),
    ("email", "bounced"),
    ("sms", "delivered"),
    ("sms", "bounced"),
)


def _judged_cells(send: Send, events: dict[tuple[str, str], set[str]]) -> set[tuple[str, str]]:
    """The (channel, event) cells a DONE send let C-1 judge: each email's `submitted` (due for
    every one), and each outcome a message of that channel came to."""
    out: set[tuple[str, str]] = set()
    for channel, addresses in send.expected.items():
        for address in addresses:
            if channel == "email":
                out.add(("email", "submitted"))
            out |= {(channel, e) for e in events.get((channel, address), set()) & FINAL_EVENTS}
    return out


def keys_by_channel(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """C-2: `email[N]` carries emails and `telephone[N]` telephones, as the config's contacts
    have."""
    if no_callback(v, found, ("C-2",)):
        return
    contacts = [c for lst in found.config.lists for c in lst.contacts]
    emails = {address_key("email", c.email) for c in contacts if c.email}
    phones = {address_key("sms", c.telephone) for c in contacts if c.telephone}
    key_of = {"email": ("email", phones - emails), "sms": ("telephone", emails - phones)}
    account_channels(
        v, ["C-2.key-by-channel"], {c for r in found.reports for c in r.form.addresses}
    )
    for report in found.reports:
        for channel, addresses in report.form.addresses.items():
            key, wrong = key_of[channel]
            other = "telephone" if key == "email" else "email"
            stray = [a for a in addresses if address_key(channel, a) in wrong]
            if stray:
                fail(
                    v,
                    "C-2",
                    f"`{key}[N]` carries {other} {stray[0]!r} of a test contact "
                    f"({other} addresses go in `{other}[N]`)",
                    found,
                    report.send,
                    [report],
                )
