"""How the A, E and C judges record: which (channel, event) cells of their clauses the callbacks
let them judge, and findings shown by the campaign's creation and the callbacks themselves.

The domains are CONTRACT.md's words: E-1 lists each payload's events, C-1 says "every event"
(so each type on each channel), C-2 names a key per channel. A cell a run never saw is
reported with why, so the report can say what the config could add.
"""

from __future__ import annotations

from collections.abc import Iterable

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.sends import Observation, Report, Send, complete

#: E-1: the events each payload's messages produce (the cells of every per-event clause).
EVENTS: dict[str, tuple[str, ...]] = {
    "email": ("submitted", "delivered", "bounced", "opened", "clicked"),
    "sms": ("delivered", "bounced"),
}
CHANNELS = tuple(EVENTS)
#: Callbacks shown as evidence of one finding.
SHOWN = 4
#: What a vendor adds so that a run sees every event type.
WHY_UNSEEN = {
    "opened": "no contact opened its email in this run",
    "clicked": "no contact clicked in its email in this run",
    "bounced": "no message bounced in this run",
}


def unseen(channel: str, event: str) -> str:
    return f"no {channel} `{event}` callback came ({WHY_UNSEEN.get(event, 'none was reported')})"


def account_events(
    v: Verdicts,
    clauses: Iterable[str],
    seen: set[tuple[str, str]],
    cells: Iterable[tuple[str, str]] | None = None,
    *,
    by_channel: bool = True,
) -> None:
    """For each clause, each (channel, event) cell: exercised if seen, else why not.

    `by_channel` False: the clause's only axis is `event` (one clause per channel).
    """
    wanted = list(cells) if cells is not None else [(c, e) for c in CHANNELS for e in EVENTS[c]]
    for clause in clauses:
        for channel, event in wanted:
            cell = {"channel": channel, "event": event} if by_channel else {"event": event}
            if (channel, event) in seen:
                v.exercised(clause, **cell)
            else:
                v.cannot(clause, unseen(channel, event), **cell)


def account_channels(v: Verdicts, clauses: Iterable[str], seen: set[str]) -> None:
    """For each clause, each channel: exercised if a callback of it was judged, else why not."""
    for clause in clauses:
        for channel in CHANNELS:
            if channel in seen:
                v.exercised(clause, channel=channel)
            else:
                v.cannot(clause, f"no {channel} callback came in this run", channel=channel)


def no_callback(v: Verdicts, found: Observation, rules: tuple[str, ...]) -> bool:
    """Mark `rules` not exercised when not one callback came (nothing to judge them on)."""
    if found.reports:
        return False
    for rule in rules:
        v.unexercised(rule, f"no callback came in {found.waited:.0f} s")
    return True


def unexercised_unless_one_ended(v: Verdicts, rules: tuple[str, ...], sends: list[Send]) -> None:
    """Missing events prove something only for a send that ended; say so if none did."""
    whys = [why for s in sends if (why := complete(s)) is not None]
    if len(whys) == len(sends) and whys:
        for rule in rules:
            v.unexercised(rule, whys[0])


def fail(
    v: Verdicts,
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
    v.fail(rule, label + message, evidence=evidence)
