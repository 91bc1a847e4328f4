"""Q-2p on each field of an RFC 3339 `when`: every component at its limit is valid, one past it
invalid (month, day per month and leap year, hour, minute, second, offset)."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.cells import covering
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.when import parse_when
from campaign_contract.schema.target import base_form, base_json, create
from campaign_contract.transport.exchange import Exchange

CLAUSE: Final = "Q-2.each-component-in-range"
#: Per field, (last valid, first invalid). Second 60 is a leap second only at 23:59:60 UTC at
#: the end of June or December, so at 10:00 it is no time at all; a real leap second (which
#: Unix time cannot name) is where servers may differ, and is not tried.
BOUNDS: Final = {
    "month-low": ("2026-01-01T10:00:00Z", "2026-00-01T10:00:00Z"),
    "month-high": ("2026-12-01T10:00:00Z", "2026-13-01T10:00:00Z"),
    "day-low": ("2026-12-01T10:00:00Z", "2026-12-00T10:00:00Z"),
    "day-31": ("2026-01-31T10:00:00Z", "2026-01-32T10:00:00Z"),
    "day-30": ("2026-04-30T10:00:00Z", "2026-04-31T10:00:00Z"),
    "february-common": ("2027-02-28T10:00:00Z", "2027-02-29T10:00:00Z"),
    "february-leap": ("2028-02-29T10:00:00Z", "2028-02-30T10:00:00Z"),
    "february-century": ("2000-02-29T10:00:00Z", "2100-02-29T10:00:00Z"),
    "hour": ("2026-12-01T23:00:00Z", "2026-12-01T24:00:00Z"),
    "minute": ("2026-12-01T10:59:00Z", "2026-12-01T10:60:00Z"),
    "second": ("2026-12-01T10:00:59Z", "2026-12-01T10:00:60Z"),
    "offset-hour": ("2026-12-01T10:00:00+23:59", "2026-12-01T10:00:00+24:00"),
    "offset-minute": ("2026-12-01T10:00:00-00:59", "2026-12-01T10:00:00-00:60"),
}
SIDES: Final = ("valid", "invalid")
#: Axes every run draws each value of (not the clause's cells: the same parser reads them).
METHODS: Final = ("POST", "PUT")
BODIES: Final = ("form", "JSON")


def _send(t: Probe, method: str, body: str, value: str, target: str | None) -> Exchange:
    if method == "PUT" and target is not None:
        fields = {"when": value}
        if body == "JSON":
            return t.put(target, json=fields)
        return t.put(target, form=fields)
    if body == "JSON":
        return t.post("/campaign", json=base_json(t, "q2 field", when=value))
    return t.post("/campaign", form=base_form(t, "q2 field", when=value))


@check("Q-2p")
def when_components_at_their_limits(t: Probe) -> None:
    """Each RFC 3339 component of `when` at its limit is valid, one past it invalid (POST and
    PUT, form and JSON, each drawn at least once per run)."""
    _created, ident = create(t, "q2 field target")
    target = f"/campaign/{ident}" if ident is not None else None
    if target is None:
        t.cannot(CLAUSE, "no DRAFT campaign could be created to PUT `when` to")
    cells = covering(
        t.rng, {"field": list(BOUNDS), "side": SIDES}, {"method": METHODS, "body": BODIES}
    )
    for cell in cells:
        field, side, method, body = cell["field"], cell["side"], cell["method"], cell["body"]
        value = BOUNDS[field][0 if side == "valid" else 1]
        t.begin()
        answer = _send(t, method, body, value, target)
        t.ctx.note_created(answer)
        if method == "PUT" and target is None:
            continue
        t.exercised(CLAUSE, field=field, side=side)
        what = f"{method} when={value!r} ({body}; {field}, {side} side)"
        if side == "invalid":
            if t.expect(
                answer.success() is False,
                "Q-2p",
                f"{what} is accepted: {answer.describe()}",
                answer,
            ):
                t.expect_code("Q-2p", answer, "invalid")
        elif answer.success() is not True:
            t.fail("Q-2p", f"{what} is refused: {answer.describe()}", answer)
        elif answer.data().get("when") != parse_when(value):
            t.fail(
                "Q-2p",
                f"{what} is stored as {answer.data().get('when')!r}, expected {parse_when(value)}",
                answer,
            )
