"""What checks read from the observation: usable sends, each message's events, evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from campaign_contract.callbacks.observe import Observation, Report, observation
from campaign_contract.callbacks.plan import FINAL_EVENTS, Send, address_key
from campaign_contract.engine.probe import Probe

#: Callbacks shown as evidence of one finding.
SHOWN = 4
#: A message: (payload, address key).
Message = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Sighting:
    """One event of one message, as a callback reported it."""

    event: str
    when: int | None
    report: Report

    @property
    def exact(self) -> bool:
        """The request reports this event alone, so its `when` is the event's own time."""
        return self.report.form.size == 1


def sends_for(t: Probe, *, audience: bool = True) -> tuple[Observation, list[Send]]:
    """The observation and its sends that were created (skips the check when there are none)."""
    found = observation(t)
    if found.problem is not None:
        t.skip(found.problem)
    sends = [s for s in found.sends if (s.label != "empty") == audience]
    for send in sends:
        if send.id is None:
            for rule in t.check.rules:
                t.unexercised(rule, f"{send.label}: {send.why}")
    created = [s for s in sends if s.id is not None]
    if not created:
        t.skip(
            "no campaign of this layer could be created"
            if sends
            else "the config gives nothing to send to (lists, or empty_list for M-4)"
        )
    return found, created


def messages(reports: Iterable[Report]) -> dict[Message, list[Sighting]]:
    """Each message's events, in arrival order."""
    out: dict[Message, list[Sighting]] = defaultdict(list)
    for report in reports:
        for channel, address, event in report.form.reports():
            out[channel, address_key(channel, address)].append(
                Sighting(event, report.form.when, report)
            )
    return out


def missing_events(send: Send, events: dict[Message, set[str]]) -> list[str]:
    """Expected events no callback reported: a final outcome per message, `submitted` per email."""
    out = []
    for channel, addresses in sorted(send.expected.items()):
        for address in sorted(addresses):
            got = events.get((channel, address), set())
            if not got & FINAL_EVENTS:
                out.append(f"{channel} {address}: no `delivered` or `bounced`")
            if channel == "email" and "submitted" not in got:
                out.append(f"{channel} {address}: no `submitted`")
    return out


def complete(send: Send) -> str | None:
    """None when every expected event should be in; else why missing ones prove nothing."""
    if send.state == "DONE":
        return None
    if send.state == "ERROR":
        return f"{send.label}: the send ended in ERROR, so not every message went out"
    limit = "limits.send_wait" if send.state == "READY" else "limits.callback_wait"
    return f"{send.label}: still {send.state} after waiting {limit}"


def no_callback(t: Probe, found: Observation, rules: tuple[str, ...]) -> bool:
    """Mark `rules` not exercised when not one callback came (nothing to judge them on)."""
    if found.reports:
        return False
    for rule in rules:
        t.unexercised(rule, f"no callback came in {found.waited:.0f} s")
    return True


def unexercised_unless_one_ended(t: Probe, rules: tuple[str, ...], sends: list[Send]) -> None:
    """Missing events prove something only for a send that ended; say so if none did."""
    whys = [why for s in sends if (why := complete(s)) is not None]
    if len(whys) == len(sends) and whys:
        for rule in rules:
            t.unexercised(rule, whys[0])


def fail(
    t: Probe,
    rule: str,
    message: str,
    found: Observation,
    send: Send | None,
    reports: Iterable[Report] = (),
    *,
    read: bool = False,
) -> None:
    """A finding with the campaign's creation (as curl) and the callbacks that show it (raw).

    `read` adds the last GET of the campaign, which shows its state.
    """
    picked = list(dict.fromkeys(r.received for r in reports))[:SHOWN]
    label = f"{send.label} ({send.audience_text}): " if send is not None else ""
    if send is None:
        evidence = tuple(r.exchange(found.receiver_url) for r in picked)
    else:
        evidence = send.evidence(found.receiver_url, picked)
        if read and send.last_read is not None:
            evidence += (send.last_read,)
    t.fail(rule, label + message, evidence=evidence)
