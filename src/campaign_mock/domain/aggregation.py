"""Time aggregation (C-3): one campaign's events grouped by channel, type and window.

Events land in buckets on a fixed grid of windows from the send's start. A bucket is released
when its window closes, so every event waits at most one window (≤ 300 s) before it is
reported; it is cut into chunks of at most `batch_size` addresses (C-2) and each chunk's
`when` is the time of its earliest event. Addresses and times are kept in a list and an
`array('d')`, not an object per event, so millions of events stay cheap.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass, field
from enum import StrEnum

from campaign_mock.domain.models import Channel
from campaign_mock.domain.reading import Fields, RecordError


class Event(StrEnum):
    """Event types; values are the wire strings of a callback's `event` (E-1)."""

    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    OPENED = "opened"
    CLICKED = "clicked"


#: E-1: which events each channel produces, in the order E-2 lets them happen.
CHANNEL_EVENTS: dict[Channel, tuple[Event, ...]] = {
    Channel.EMAIL: (Event.SUBMITTED, Event.DELIVERED, Event.BOUNCED, Event.OPENED, Event.CLICKED),
    Channel.SMS: (Event.DELIVERED, Event.BOUNCED),
}

#: One window's events of one type: addresses, and their times at the same indexes.
Bucket = tuple[list[str], array]  # type: ignore[type-arg]
#: Buckets by window index, for one channel and event type.
Slot = dict[int, Bucket]


def put(slot: Slot, window: int, address: str, at: float) -> None:
    """Adds one event; the hot path of the simulation."""
    bucket = slot.get(window)
    if bucket is None:
        bucket = slot[window] = ([], array("d"))
    bucket[0].append(address)
    bucket[1].append(at)


@dataclass(slots=True, frozen=True)
class Chunk:
    """Events of one type and channel ready to be reported in one callback (C-2, C-3)."""

    channel: Channel
    event: Event
    when: int
    first_event: float
    addresses: list[str]
    closes_at: float
    #: When each address's event happened, in the mock's time, at the same indexes as
    #: `addresses` (the body says only `when`; the dashboard shows each message's events);
    #: empty for a chunk read from a record written before it was kept.
    times: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]


class EventBuckets:
    """The not-yet-reported events of one campaign, on a window grid from `start`."""

    def __init__(self, start: float, window: float, batch_size: int) -> None:
        self.start = start
        self.window = window
        self.batch_size = batch_size
        self.slots: dict[tuple[Channel, Event], Slot] = {
            (channel, event): {} for channel, events in CHANNEL_EVENTS.items() for event in events
        }
        self._next_window = 0

    def to_record(self) -> dict[str, object]:
        """Plain data for a checkpoint; event times as little-endian float64 bytes."""
        return {
            "start": self.start,
            "window": self.window,
            "batch_size": self.batch_size,
            "next_window": self._next_window,
            "slots": [
                {
                    "channel": channel.value,
                    "event": event.value,
                    "windows": [
                        {"window": w, "addresses": b[0], "times": times_to_bytes(b[1])}
                        for w, b in slot.items()
                    ],
                }
                for (channel, event), slot in self.slots.items()
                if slot
            ],
        }

    @classmethod
    def from_record(cls, record: Fields) -> EventBuckets:
        window, batch_size = record.number("window"), record.integer("batch_size")
        if not window > 0 or batch_size < 1:
            raise RecordError(f"{record.where}: window {window} and batch size {batch_size}")
        buckets = cls(record.number("start"), window, batch_size)
        buckets._next_window = record.integer("next_window")
        for found in record.objects("slots"):
            key = (found.choice("channel", Channel), found.choice("event", Event))
            if key not in buckets.slots:
                raise RecordError(f"{found.where}: {key[0]} has no {key[1]} events")
            slot = buckets.slots[key]
            for each in found.objects("windows"):
                addresses = each.texts("addresses")
                times = times_from_bytes(each.blob("times"), each.where)
                if len(times) != len(addresses):
                    raise RecordError(
                        f"{each.where}: {len(addresses)} addresses, {len(times)} times"
                    )
                slot[each.integer("window")] = (addresses, times)
        return buckets

    def window_of(self, at: float) -> int:
        return int((at - self.start) / self.window)

    def is_empty(self) -> bool:
        return not any(self.slots.values())

    def pending_events(self) -> int:
        return sum(len(b[0]) for slot in self.slots.values() for b in slot.values())

    def release(self, limit: float, budget: int | None = None) -> tuple[list[Chunk], bool]:
        """Chunks of every window that has closed by `limit`, in window then E-2 order.

        With a `budget`, stops after the window that reaches that many events; the flag says
        whether closed windows are left for another call. Only windows holding events are
        visited, so a clock jumped years ahead costs what the events cost, not the empty
        windows between them.
        """
        last = math.floor((limit - self.start) / self.window) - 1
        if last < self._next_window:
            return [], False
        first = self._next_window
        closed = sorted({w for slot in self.slots.values() for w in slot if first <= w <= last})
        chunks: list[Chunk] = []
        released = 0
        for window in closed:
            closes_at = self.start + (window + 1) * self.window
            for (channel, event), slot in self.slots.items():
                if budget is not None and released >= budget:
                    # Resume this window later: the slots done are gone, the order is kept.
                    self._next_window = window
                    return chunks, True
                bucket = slot.pop(window, None)
                if bucket is not None:
                    released += len(bucket[0])
                    chunks.extend(self._cut(channel, event, bucket, closes_at))
        self._next_window = last + 1
        return chunks, False

    def release_until(self, now: float) -> list[Chunk]:
        """Flush: every event at or before `now`, its window closed or not."""
        chunks, _ = self.release(now)
        for (channel, event), slot in self.slots.items():
            for window in sorted(w for w in slot if self.start + w * self.window <= now):
                addresses, times = slot[window]
                keep = [i for i, at in enumerate(times) if at > now]
                if len(keep) == len(times):
                    continue
                gone = [i for i, at in enumerate(times) if at <= now]
                chunks.extend(
                    self._cut(
                        channel,
                        event,
                        ([addresses[i] for i in gone], array("d", (times[i] for i in gone))),
                        now,
                    )
                )
                if keep:
                    slot[window] = (
                        [addresses[i] for i in keep],
                        array("d", (times[i] for i in keep)),
                    )
                else:
                    del slot[window]
        return chunks

    def drop_after(self, moment: float) -> None:
        """Forgets every event later than `moment` (the send broke off then)."""
        for slot in self.slots.values():
            for window in [w for w in slot if self.start + (w + 1) * self.window > moment]:
                addresses, times = slot[window]
                keep = [i for i, at in enumerate(times) if at <= moment]
                if keep:
                    slot[window] = (
                        [addresses[i] for i in keep],
                        array("d", (times[i] for i in keep)),
                    )
                else:
                    del slot[window]

    def _cut(self, channel: Channel, event: Event, bucket: Bucket, closes_at: float) -> list[Chunk]:
        addresses, times = bucket
        size = self.batch_size
        chunks = []
        for offset in range(0, len(addresses), size):
            first = min(times[offset : offset + size])
            chunks.append(
                Chunk(
                    channel=channel,
                    event=event,
                    when=math.floor(first),
                    first_event=first,
                    addresses=addresses[offset : offset + size],
                    closes_at=closes_at,
                    times=times[offset : offset + size],
                )
            )
        return chunks


def times_to_bytes(times: array) -> bytes:  # type: ignore[type-arg]
    """float64, little-endian whatever the machine, so a store may be read by another."""
    if sys.byteorder == "little":
        return times.tobytes()
    swapped = array("d", times)
    swapped.byteswap()
    return swapped.tobytes()


def times_from_bytes(data: bytes, where: str) -> array:  # type: ignore[type-arg]
    if len(data) % 8:
        raise RecordError(f"{where}.times: {len(data)} bytes is not a whole number of float64")
    times = array("d")
    times.frombytes(data)
    if sys.byteorder != "little":
        times.byteswap()
    return times
