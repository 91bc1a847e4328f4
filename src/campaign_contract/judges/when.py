"""The suite's own reading of `when` (Q-2): what every server must make of each spelling.

`parse_when` is the strictest reading CONTRACT.md allows: an integer, a string of digits, an
RFC 3339 date-time with `T` and `Z` in upper case (offset, fractions or none) or a full date.
`relaxed_when` is the spelling a lenient server may also read ("Where servers may differ": a
space or lower-case `t`/`z`, an integral float); the suite never asserts which way a server
reads those.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final

#: 9999-12-31T23:59:59Z, the last second Q-2 allows.
LATEST: Final = 253_402_300_799
_DIGITS = re.compile(r"^[0-9]+$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_DATETIME = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
_LENIENT_SEPARATOR = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[t ]")


def parse_when(value: Any) -> int | None:
    """The Unix time a `when` value stands for under the strictest reading, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        seconds = value
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


def relaxed_when(value: Any) -> Any:
    """`value` as a lenient server may read it: integral floats as integers, a space or `t`
    as `T`, a final `z` as `Z`. Anything else comes back unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = _LENIENT_SEPARATOR.sub(r"\1T", value)
        return text[:-1] + "Z" if len(text) > 10 and text.endswith("z") else text
    return value


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
        if offset and offset != "Z":
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                return None
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        moment = datetime(year, month, dd, hh, mm, ss, tzinfo=zone)
    except (ValueError, OverflowError):
        return None
    # Before 1970 or past 9999 once moved to UTC: `timestamp()` still says which.
    return int(moment.timestamp() // 1)


def is_seed_spelling(value: Any) -> bool:
    """Whether the seed level alone requires this spelling (an integer, digits, full RFC 3339).

    Fractions, dates or no offset are the profile's readings (Q-2p).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    match = _DATETIME.match(value)
    if match is not None:
        return match.group(7) is None and match.group(8) is not None
    return bool(_DIGITS.match(value))
