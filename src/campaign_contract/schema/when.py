"""The suite's own reading of `when` (Q-2): what a server must make of each spelling."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final

#: 9999-12-31T23:59:59Z, the last second Q-2 allows.
LATEST: Final = 253_402_300_799
_DIGITS = re.compile(r"^[0-9]+$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DATETIME = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)


def parse_when(value: Any) -> int | None:
    """The Unix time a `when` value stands for, or None when Q-2 calls it invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, float) and value.is_integer():
        seconds = int(value)  # JSON Schema's reading: 1.0 is an integer
    elif isinstance(value, str) and _DIGITS.match(value):
        seconds = int(value)
    elif isinstance(value, str):
        found = _iso(value)
        if found is None:
            return None
        seconds = found
    else:
        return None
    return seconds if 0 <= seconds <= LATEST else None


def _iso(text: str) -> int | None:
    try:
        if match := _DATE.match(text):
            day = date(*(int(g) for g in match.groups()))
            return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        match = _DATETIME.match(text)
        if match is None:
            return None
        year, month, dd, hh, mm, ss = (int(g) for g in match.groups()[:6])
        offset = match.group(8)
        zone = UTC
        if offset and offset not in "Zz":
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                return None
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        moment = datetime(year, month, dd, hh, mm, ss, tzinfo=zone)
    except ValueError:
        return None
    # Before 1970 or past 9999 once moved to UTC: `timestamp()` still says which.
    return int(moment.timestamp() // 1)


def is_seed_spelling(value: Any) -> bool:
    """Whether the seed level alone requires this spelling (an integer, digits, full RFC 3339).

    Fractions, dates, a space separator or no offset are the profile's readings (Q-2p).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    match = _DATETIME.match(value)
    if match is not None:
        return match.group(7) is None and match.group(8) is not None and "T" in value.upper()
    return bool(_DIGITS.match(value))
