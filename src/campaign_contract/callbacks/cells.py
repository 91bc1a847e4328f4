"""Which (channel, event) cells of the A, E and C clauses the run's callbacks let a check judge.

The domains are CONTRACT.md's words: E-1 lists each payload's events, C-1 says "every event"
(so each type on each channel), C-2 names a key per channel. A cell a run never saw is
reported with why, so the report can say what the config could add.
"""

from __future__ import annotations

from collections.abc import Iterable

from campaign_contract.engine.probe import Probe

#: E-1: the events each payload's messages produce (the cells of every per-event clause).
EVENTS: dict[str, tuple[str, ...]] = {
    "email": ("submitted", "delivered", "bounced", "opened", "clicked"),
    "sms": ("delivered", "bounced"),
}
CHANNELS = tuple(EVENTS)
#: What a vendor adds so that a run sees every event type.
WHY_UNSEEN = {
    "opened": "no contact opened its email in this run",
    "clicked": "no contact clicked in its email in this run",
    "bounced": "no message bounced in this run",
}


def unseen(channel: str, event: str) -> str:
    return f"no {channel} `{event}` callback came ({WHY_UNSEEN.get(event, 'none was reported')})"


def account_events(
    t: Probe,
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
                t.exercised(clause, **cell)
            else:
                t.cannot(clause, unseen(channel, event), **cell)


def account_channels(t: Probe, clauses: Iterable[str], seen: set[str]) -> None:
    """For each clause, each channel: exercised if a callback of it was judged, else why not."""
    for clause in clauses:
        for channel in CHANNELS:
            if channel in seen:
                t.exercised(clause, channel=channel)
            else:
                t.cannot(clause, f"no {channel} callback came in this run", channel=channel)
