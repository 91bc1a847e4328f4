"""A campaign's reported events drawn as a picture: inline SVG, no script, no library.

One panel per channel; in each, a bar per event type and slice of mock time: how many
addresses of that type the callbacks report in it (a callback's `when` is its earliest event,
C-2). Counted from every batch the outbox made for the campaign, sent or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from campaign_mock.domain.aggregation import CHANNEL_EVENTS

#: Line colours by event type; the legend repeats them.
COLOURS = {
    "submitted": "#7a7a7a",
    "delivered": "#1f8a4c",
    "bounced": "#c0392b",
    "opened": "#2d6cc0",
    "clicked": "#8e44ad",
}
WIDTH, PANEL, LEFT, TOP, BOTTOM = 720, 120, 48, 18, 22
SLICES = 24


@dataclass(slots=True, frozen=True)
class TimelinePoint:
    """Addresses of one event type reported in one callback."""

    channel: str
    event: str
    when: int
    count: int


def timeline_svg(points: list[TimelinePoint]) -> str:
    """The picture's markup (already escaped), or a sentence when nothing was reported."""
    if not points:
        return '<p class="empty">No events reported yet.</p>'
    start = min(p.when for p in points)
    end = max(p.when for p in points)
    span = max(end - start, 60)
    step = span / SLICES
    channels = [c.value for c in CHANNEL_EVENTS if any(p.channel == c.value for p in points)]
    height = TOP + len(channels) * (PANEL + BOTTOM) + 16
    parts = [
        f'<svg class="timeline" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Events per type over time, {escape(_short(start))} to {escape(_short(end))}"
        "</title>",
    ]
    for index, channel in enumerate(channels):
        top = TOP + index * (PANEL + BOTTOM)
        parts.append(_panel(channel, [p for p in points if p.channel == channel], top, start, step))
    parts.append(_legend(height - 6))
    parts.append("</svg>")
    return "".join(parts)


def _panel(channel: str, points: list[TimelinePoint], top: int, start: int, step: float) -> str:
    counts: dict[str, list[int]] = {}
    for point in points:
        slot = min(int((point.when - start) / step), SLICES - 1)
        counts.setdefault(point.event, [0] * SLICES)[slot] += point.count
    peak = max(max(c) for c in counts.values()) or 1
    inner = WIDTH - LEFT - 10
    base = top + PANEL

    def y(value: int) -> float:
        return base - (PANEL - 8) * value / peak

    out = [
        f'<g class="channel" data-channel="{escape(channel)}">',
        f'<text x="4" y="{top + 12}" class="axis">{escape(channel)}</text>',
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{base}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="{top + 12}" text-anchor="end" class="axis">{peak}</text>',
        f'<text x="{LEFT - 4}" y="{base}" text-anchor="end" class="axis">0</text>',
        f'<text x="{LEFT}" y="{base + 15}" class="axis">{escape(_short(start))}</text>',
        f'<text x="{WIDTH - 10}" y="{base + 15}" text-anchor="end" class="axis">'
        f"{escape(_short(start + step * SLICES))}</text>",
    ]
    order = [e.value for events in CHANNEL_EVENTS.values() for e in events]
    kinds = sorted(counts, key=order.index)
    bar = inner / SLICES / (len(kinds) + 1)  # the types side by side in each slice, a gap
    for rank, event in enumerate(kinds):
        values = counts[event]
        colour = COLOURS.get(event, "#333")
        out.append(f'<g class="event" data-event="{escape(event)}" data-total="{sum(values)}">')
        for i, value in enumerate(values):
            if value:
                left = LEFT + inner * i / SLICES + bar * (rank + 0.5)
                out.append(
                    f'<rect x="{left:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                    f'height="{base - y(value):.1f}" fill="{colour}">'
                    f"<title>{value} {escape(event)} from "
                    f"{escape(_short(start + step * i))}</title></rect>"
                )
        out.append("</g>")
    out.append("</g>")
    return "".join(out)


def _legend(y: int) -> str:
    items = []
    for index, (event, colour) in enumerate(COLOURS.items()):
        x = LEFT + index * 110
        items.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y}" class="axis">{event}</text>'
        )
    return "".join(items)


def _short(at: float) -> str:
    try:
        return datetime.fromtimestamp(at, UTC).strftime("%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{at:.0f}"
