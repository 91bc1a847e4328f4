"""C-1, C-2 and C-4: how callbacks reach the receiver, what their bodies hold, and retries;
and M-5's "sends at most once" as the callbacks show it."""

from __future__ import annotations

from urllib.parse import urlsplit

from campaign_contract.callbacks.cells import account_channels, account_events
from campaign_contract.callbacks.form import MAX_ADDRESSES
from campaign_contract.callbacks.observe import EventKey, Observation, Report
from campaign_contract.callbacks.plan import Send
from campaign_contract.callbacks.receiver import ACK_WITHIN
from campaign_contract.callbacks.view import complete, fail, no_callback, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check


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


@check("C-4")
def failed_callbacks_are_retried_and_acknowledged_ones_are_not(t: Probe) -> None:
    """A 500 or no answer is retried until some 2xx; an acknowledged event never comes again."""
    found, sends = sends_for(t)
    for send in sends:
        _no_repeats(t, found, send)
    retry = next((s for s in sends if s.faults), None)
    if retry is None:
        t.skip("the retry campaign was not created")
    _retried(t, found, retry)


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


def _retried(t: Probe, found: Observation, send: Send) -> None:
    reports = found.of(send)
    failed = [r for r in reports if not r.received.acknowledged and r.event_keys()]
    if not failed:
        why = "no callback came for the receiver to refuse" if not reports else "no fault was used"
        t.unexercised("C-4", f"{send.label}: {why}")
        return
    for bad in failed:
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
