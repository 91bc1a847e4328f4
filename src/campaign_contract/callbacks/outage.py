"""The outage send's receiver: down from the start, up again once the outage has proved enough.

It comes back up when all of these hold: `limits.callback_outage` server seconds have passed
since the first refused callback (C-4: an outage longer than a minute loses nothing); the
first refused event has been refused FAILURES times (C-4: the backoff's trend needs them);
and the send has ended, or has overrun HOLD_FACTOR times what its healthy twin took (M-4:
DONE does not wait for callback delivery; `judges/ending.py::hold_limit`). It comes up anyway
when the wait runs out.

The refused send's port (C-4: "a refused connection") refuses every connection, so the suite
never sees a refused try: it starts listening once the send has ended and C-3's 300 s (and
`limits.clock_skew`) have passed since on the server's clock, by when every event's first
callback was due, so each was refused at least once (`listen_when_due`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from campaign_contract.judges.ending import hold_limit, twin_of
from campaign_contract.judges.retries import FAILURES
from campaign_contract.judges.sends import EventKey, Report, Send
from campaign_contract.transport.receiver import Receiver


def refusals(reports: list[Report]) -> tuple[EventKey | None, int, float | None]:
    """The first refused event, how often it was refused, and when the first refusal came."""
    first = next((r for r in reports if not r.received.acknowledged and r.event_keys()), None)
    if first is None:
        return None, 0, None
    key = first.event_keys()[0]
    count = sum(1 for r in reports if not r.received.acknowledged and key in r.event_keys())
    return key, count, first.received.arrived


def manage(
    receiver: Receiver,
    sends: list[Send],
    reports_of: Callable[[Send], list[Report]],
    outage_seconds: float,
    speed: float,
    give_up_at: float,
) -> None:
    """Bring each down receiver up once its outage has shown what it must (see module doc)."""
    now = time.time()
    for send in sends:
        if not send.down or send.up_at is not None:
            continue
        why = _ready(send, sends, reports_of(send), outage_seconds / speed, speed, now)
        if why is None and time.monotonic() >= give_up_at:
            why = "limit"
        if why is not None:
            receiver.down(send.token, False)
            send.up_at, send.up_why = now, why


def listen_when_due(
    receiver: Receiver, sends: list[Send], due_after: float, give_up_at: float
) -> None:
    """Open the refusing port `due_after` real seconds after the refused send was first seen
    final (up_why "refused"), or when the wait runs out ("limit")."""
    now = time.time()
    for send in sends:
        if not send.refused or send.up_at is not None:
            continue
        why = None
        if send.final_at is not None and now - send.final_at >= due_after:
            why = "refused"
        elif send.id is None or time.monotonic() >= give_up_at:
            why = "limit"
        if why is not None:
            receiver.listen()
            send.up_at, send.up_why = now, why


def _ready(
    send: Send, sends: list[Send], reports: list[Report], outage: float, speed: float, now: float
) -> str | None:
    if send.id is None:
        return "limit"
    _key, count, first_at = refusals(reports)
    if first_at is None or now - first_at < outage or count < FAILURES:
        return None
    if send.state in ("DONE", "ERROR"):
        return "outage"
    twin = twin_of(sends, send)
    limit = hold_limit(twin, speed) if twin is not None else None
    if limit is not None and send.posted_at is not None and now - send.posted_at >= limit:
        return "held"
    return None
