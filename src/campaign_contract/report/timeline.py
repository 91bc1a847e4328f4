"""The callbacks the receiver got, drawn as inline SVG: events per type over time, and C-3.

Two panels share the time axis (server seconds after the sends were posted: real seconds
times `limits.clock_speed`). Above, the events the callbacks reported, stacked by type per
time slot. Below, each callback at least how late after its `when` (as C-3 reads the
server's clock), with C-3's 300 s drawn: a dot above that line is a late callback. Retries
and what waited behind a refused callback are drawn hollow: C-4 lets them be late.
No script: each bar and dot carries a `<title>`, which browsers show on hover.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from html import escape

from campaign_contract.config.model import slack_said
from campaign_contract.engine.run_report import CallbackLog, SeenCallback

WIDTH, LEFT, RIGHT = 900, 56, 16
COUNTS_TOP, COUNTS_HEIGHT = 22, 150
LATE_TOP, LATE_HEIGHT = 230, 130
HEIGHT = LATE_TOP + LATE_HEIGHT + 44
SLOTS = 40
#: Callbacks drawn as dots at most (the first ones); the bars count every one.
MAX_DOTS = 2000
COLOURS = {
    "submitted": "#8c959f",
    "delivered": "#1a7f37",
    "bounced": "#cf222e",
    "failed": "#bc4c00",
    "opened": "#0969da",
    "clicked": "#8250df",
}
OTHER, UNREADABLE = "#9a6700", "#57606a"


def _colour(event: str) -> str:
    return COLOURS.get(event, UNREADABLE if event == "(unreadable)" else OTHER)


def _order(log: CallbackLog) -> list[str]:
    """Event types as a send goes (submitted, outcomes, engagement), then any others."""
    seen = dict.fromkeys(e for c in log.callbacks for e in _events(c))
    return [e for e in COLOURS if e in seen] + [e for e in seen if e not in COLOURS]


def _events(callback: SeenCallback) -> tuple[str, ...]:
    return callback.events or ("(unreadable)",)


def _judged(log: CallbackLog) -> list[bool]:
    """Which callbacks C-3 judges: acknowledged, and no callback of their send refused before
    (nor a connection to its receiver: `held_back`), as judges/timing.py judges them."""
    refused: set[str] = set()
    out = []
    for callback in log.callbacks:
        acknowledged = callback.status is not None and 200 <= callback.status < 300
        out.append(acknowledged and not callback.held_back and callback.send not in refused)
        if not acknowledged:
            refused.add(callback.send)
    return out


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    raw = max(top, 1e-9) / count
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1.0
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(count + 2) if step * i <= top * 1.0001 + step]


def _number(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:.0f}"


def render_timeline(log: CallbackLog) -> str:
    """An HTML <figure> with the picture and a one-line summary, or a sentence if none came."""
    if not log.callbacks:
        return '<p class="timeline-empty">No callback reached the suite\'s receiver.</p>'
    xs = [log.speed * c.arrived for c in log.callbacks]
    delays = log.delays()
    judged = _judged(log)
    span = max(max(xs), 1.0)
    x_ticks = _ticks(span)
    x_top = x_ticks[-1]
    plot = WIDTH - LEFT - RIGHT

    def x_of(value: float) -> float:
        return LEFT + plot * value / x_top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="timeline" '
        'aria-label="callbacks over time, and how late each came against C-3\'s 300 s">'
    ]
    out += _counts_panel(log, xs, x_top, x_of)
    out += _late_panel(log, xs, delays, judged, x_of)
    for tick in x_ticks:
        x = x_of(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{LATE_TOP + LATE_HEIGHT}" x2="{x:.1f}" '
            f'y2="{LATE_TOP + LATE_HEIGHT + 4}" stroke="#555"/>'
            f'<text x="{x:.1f}" y="{LATE_TOP + LATE_HEIGHT + 16}" text-anchor="middle">'
            f"{_number(tick)}</text>"
        )
    speed = f" (real seconds times clock speed {log.speed:g})" if log.speed != 1.0 else ""
    out.append(
        f'<text x="{LEFT + plot / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"server seconds after the sends were posted{escape(speed)}</text>"
    )
    out.append("</svg>")
    return (
        '<figure class="timeline">'
        + "".join(out)
        + f"<figcaption>{escape(_summary(log, delays, judged))}</figcaption>"
        + _legend(log)
        + "</figure>"
    )


def _counts_panel(
    log: CallbackLog, xs: list[float], x_top: float, x_of: Callable[[float], float]
) -> list[str]:
    slot = x_top / SLOTS
    stacks: list[Counter[str]] = [Counter() for _ in range(SLOTS)]
    for callback, x in zip(log.callbacks, xs, strict=True):
        stacks[min(int(x / slot), SLOTS - 1)].update(_events(callback))
    tallest = max(sum(s.values()) for s in stacks)
    y_ticks = [t for t in _ticks(tallest, 3) if t == int(t)]
    y_top = max(y_ticks[-1], 1)
    bottom = COUNTS_TOP + COUNTS_HEIGHT
    out = [
        f'<g class="counts"><text x="{LEFT}" y="{COUNTS_TOP - 10}" font-weight="bold">'
        f"Events the callbacks reported, per {_number(slot)} s, by type</text>"
    ]
    for tick in y_ticks:
        y = bottom - COUNTS_HEIGHT * tick / y_top
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    order = _order(log)
    for index, stack in enumerate(stacks):
        left, right = x_of(index * slot), x_of((index + 1) * slot)
        y = float(bottom)
        for event in order:
            count = stack.get(event, 0)
            if not count:
                continue
            height = COUNTS_HEIGHT * count / y_top
            y -= height
            out.append(
                f'<rect class="bar" data-event="{escape(event)}" x="{left + 0.5:.1f}" '
                f'y="{y:.1f}" width="{max(right - left - 1, 1):.1f}" height="{height:.1f}" '
                f'fill="{_colour(event)}"><title>{escape(event)}: {count} between '
                f"{_number(index * slot)} s and {_number((index + 1) * slot)} s</title></rect>"
            )
    out.append(
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#555"/>'
        f'<text x="14" y="{COUNTS_TOP + COUNTS_HEIGHT / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {COUNTS_TOP + COUNTS_HEIGHT / 2:.1f})">events</text></g>'
    )
    return out


def _late_panel(
    log: CallbackLog,
    xs: list[float],
    delays: list[float | None],
    judged: list[bool],
    x_of: Callable[[float], float],
) -> list[str]:
    known = [d for d in delays if d is not None]
    allowed = log.allowed
    y_ticks = _ticks(max([allowed, *known]) * 1.05, 4)
    y_top = y_ticks[-1]
    bottom = LATE_TOP + LATE_HEIGHT

    def y_of(value: float) -> float:
        return bottom - LATE_HEIGHT * max(value, 0.0) / y_top

    out = [
        f'<g class="late"><text x="{LEFT}" y="{LATE_TOP - 10}" font-weight="bold">'
        "Each callback: at least how many seconds after its `when` it came</text>"
    ]
    for tick in y_ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    bound = y_of(log.bound)
    out.append(
        f'<line class="c3-bound" x1="{LEFT}" y1="{bound:.1f}" x2="{WIDTH - RIGHT}" '
        f'y2="{bound:.1f}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 4">'
        f"<title>C-3: a callback comes at most {log.bound:g} s after its events</title></line>"
        f'<text class="c3-label" x="{WIDTH - RIGHT - 4}" y="{bound - 5:.1f}" '
        f'text-anchor="end" fill="#cf222e">C-3: {log.bound:g} s</text>'
    )
    if allowed > log.bound:
        skew = y_of(allowed)
        out.append(
            f'<line class="c3-allowed" x1="{LEFT}" y1="{skew:.1f}" x2="{WIDTH - RIGHT}" '
            f'y2="{skew:.1f}" '
            f'stroke="#cf222e" stroke-opacity=".45" stroke-dasharray="2 4"><title>'
            f"{log.bound:g} s + {slack_said(log.skew, log.lag)}: what the suite fails"
            "</title></line>"
        )
    for number, (callback, x, late, counted) in enumerate(
        zip(log.callbacks, xs, delays, judged, strict=True), 1
    ):
        if late is None or number > MAX_DOTS:
            continue
        colour = _colour(_events(callback)[0])
        fill = colour if counted else "none"
        events = Counter(_events(callback))
        told = ", ".join(f"{n} {e}" for e, n in events.items())
        note = "" if counted else "; not judged by C-3 (a retry, or held behind a refusal)"
        title = (
            f"callback {number} ({callback.send}): {told}; `when` {callback.when}; came "
            f"{_number(round(x, 1))} s in, at least {late:.0f} s after its `when`; "
            f"answered {callback.status if callback.status is not None else 'nothing'}{note}"
        )
        out.append(
            f'<circle class="callback" cx="{x_of(x):.1f}" cy="{y_of(late):.1f}" r="3.5" '
            f'fill="{fill}" stroke="{colour}" stroke-width="1.5"><title>{escape(title)}'
            "</title></circle>"
        )
    out.append(
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#555"/>'
        f'<text x="14" y="{LATE_TOP + LATE_HEIGHT / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {LATE_TOP + LATE_HEIGHT / 2:.1f})">late (s)</text></g>'
    )
    return out


def _summary(log: CallbackLog, delays: list[float | None], judged: list[bool]) -> str:
    events = sum(len(_events(c)) for c in log.callbacks)
    counted = [d for d, j in zip(delays, judged, strict=True) if d is not None and j]
    worst = (
        f"; the latest judged came at least {max(counted):.0f} s after its `when`"
        if (counted)
        else ""
    )
    late = sum(1 for d in counted if d > log.allowed)
    drawn = f" (the first {MAX_DOTS} drawn as dots)" if len(log.callbacks) > MAX_DOTS else ""
    return (
        f"{len(log.callbacks)} callbacks{drawn} reporting {events} events{worst}; {late} "
        f"past C-3's {log.bound:g} s (+ {slack_said(log.skew, log.lag)})."
    )


def _legend(log: CallbackLog) -> str:
    totals = Counter(e for c in log.callbacks for e in _events(c))
    items = "".join(
        f'<li><span class="swatch" style="background:{_colour(e)}"></span>'
        f"{escape(e)} {totals[e]}</li>"
        for e in _order(log)
    )
    return (
        f'<ul class="legend">{items}<li><span class="swatch hollow"></span>'
        "retry or held back (not judged by C-3)</li></ul>"
    )
