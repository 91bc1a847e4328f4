"""R-2's campaign shape, judged field by field, and comparing a campaign with what was asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from campaign_contract.judges.when import LATEST

STATES: Final = ("DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR")
FIELDS: Final = ("id", "name", "domain", "list", "segments", "state", "when", "event_callback")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def campaign_problem(data: Mapping[str, Any]) -> str | None:
    """Why `data` is not a campaign as R-2 describes it, or None."""
    missing = [name for name in FIELDS if name not in data]
    if missing:
        return f"the campaign lacks {', '.join(missing)}"
    for name in ("id", "domain", "list"):
        if not _is_int(data[name]):
            return f"`{name}` is {data[name]!r}, not an integer"
    if data["id"] < 1:
        return f"`id` is {data['id']}, not a positive integer"
    if not isinstance(data["name"], str):
        return f"`name` is {data['name']!r}, not a text"
    segments = data["segments"]
    if not isinstance(segments, list) or not all(_is_int(s) for s in segments):
        return f"`segments` is {segments!r}, not an array of integers"
    if data["state"] not in STATES:
        return f"`state` is {data['state']!r}, not one of {', '.join(STATES)}"
    when = data["when"]
    if when is not None and not (_is_int(when) and 0 <= when <= LATEST):
        return f"`when` is {when!r}, not an integer Unix timestamp or null"
    if data["event_callback"] is not None and not isinstance(data["event_callback"], str):
        return f"`event_callback` is {data['event_callback']!r}, not a text or null"
    return None


def differences(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> dict[str, str]:
    """Each expected field the campaign does not hold, with what it holds instead."""
    return {
        name: f"`{name}` is {actual.get(name)!r}, expected {value!r}"
        for name, value in expected.items()
        if actual.get(name) != value
    }
