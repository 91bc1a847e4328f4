"""Parsing `when`: Unix seconds or an RFC 3339 date-time or date, always to Unix seconds (Q-2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

#: 9999-12-31T23:59:59Z: Q-2 refuses years past 9999.
MAX_TIMESTAMP = 253_402_300_799

_DIGITS = re.compile(r"[0-9]+")
_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt ](?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.[0-9]+)?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?)?"
)


class TimestampError(ValueError):
    """`when` is not a timestamp Q-2 accepts; the message says why."""


def parse_when(value: object) -> int:
    """Returns Unix seconds for a JSON integer, a string of digits or an ISO 8601 string."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema's integer: 1.0 is 1
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TimestampError("must be a Unix timestamp or an ISO 8601 string")
    if isinstance(value, int):
        return _in_range(value)
    if _DIGITS.fullmatch(value):
        return _in_range(int(value))
    return _in_range(_parse_iso(value))


def _parse_iso(text: str) -> int:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise TimestampError(
            "must be a Unix timestamp or an RFC 3339 date-time or date, "
            "e.g. 2026-12-01T10:00:00Z or 2026-12-01"
        )
    try:
        day = datetime.strptime(match["date"], "%Y-%m-%d")
        clock = datetime.strptime(match["time"] or "00:00:00", "%H:%M:%S")
    except ValueError as exc:
        raise TimestampError(f"is not a real date or time ({exc})") from None
    moment = day.replace(hour=clock.hour, minute=clock.minute, second=clock.second, tzinfo=UTC)
    offset = match["offset"]
    if offset and offset not in {"Z", "z"}:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise TimestampError("has an offset out of range")
        # Local time minus its offset is UTC; done on the epoch to survive year 1 and 9999.
        delta = timedelta(hours=hours, minutes=minutes) * sign
        return _epoch(moment) - int(delta.total_seconds())
    return _epoch(moment)


def _epoch(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())


def _in_range(seconds: int) -> int:
    if seconds < 0:
        raise TimestampError("must not be before 1970-01-01T00:00:00Z")
    if seconds > MAX_TIMESTAMP:
        raise TimestampError("must not be past the year 9999")
    return seconds
