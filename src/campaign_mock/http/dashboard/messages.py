"""What happened to each message a campaign page lists: per recipient and channel, the events
the mock reported for it (submitted, delivered, bounced, opened, clicked), each at its own
mock time, and the outcome they add up to.

Read from the callback batches the outbox made (copies): the mock draws a message's events
only to report them, so a campaign without an `event_callback` has none to show, and an event
shows here once its batch is made (its window closed, or a flush), as the receiver sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign_mock.domain.aggregation import Chunk, Event
from campaign_mock.domain.models import Channel
from campaign_mock.http.dashboard.views import moment

#: A message's outcome: its furthest event (E-2's order), a bounce above all.
_RANK = {
    Event.SUBMITTED: 1,
    Event.DELIVERED: 2,
    Event.OPENED: 3,
    Event.CLICKED: 4,
    Event.BOUNCED: 5,
}


@dataclass(slots=True, frozen=True)
class MessageEvent:
    event: str
    at: str


@dataclass(slots=True, frozen=True)
class MessageView:
    """One message: to one recipient's address on one channel."""

    recipient: int
    channel: str
    address: str
    outcome: str
    events: list[MessageEvent]


def message_views(
    recipients: list[tuple[str | None, str | None]], chunks: list[Chunk], reported: bool
) -> list[MessageView]:
    """A row per message of `recipients` (email, then SMS), with its events in `chunks`.

    `reported`: whether the campaign reports events at all (it has an `event_callback`)."""
    wanted = {
        (channel, address)
        for email, telephone in recipients
        for channel, address in ((Channel.EMAIL, email), (Channel.SMS, telephone))
        if address is not None
    }
    addresses = {address for _, address in wanted}
    found: dict[tuple[Channel, str], list[tuple[float, Event]]] = {}
    for chunk in chunks:
        if addresses.isdisjoint(chunk.addresses):
            continue
        for index, address in enumerate(chunk.addresses):
            if (chunk.channel, address) in wanted:
                at = chunk.times[index] if index < len(chunk.times) else float(chunk.when)
                found.setdefault((chunk.channel, address), []).append((at, chunk.event))
    rows: list[MessageView] = []
    for number, (email, telephone) in enumerate(recipients, start=1):
        for channel, to in ((Channel.EMAIL, email), (Channel.SMS, telephone)):
            if to is None:
                continue
            events = sorted(found.get((channel, to), []), key=lambda e: (e[0], _RANK[e[1]]))
            if events:
                outcome = max((e for _, e in events), key=_RANK.__getitem__).value
            else:
                outcome = "no event reported yet" if reported else "not reported (no callback)"
            rows.append(
                MessageView(
                    recipient=number,
                    channel=channel.value,
                    address=to,
                    outcome=outcome,
                    events=[MessageEvent(e.value, moment(at)) for at, e in events],
                )
            )
    return rows
