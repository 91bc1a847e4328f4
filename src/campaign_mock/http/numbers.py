"""Numbers the simulation's control API reads: finite, in range, whole where a count is meant.

Python's JSON reader takes `NaN`, `Infinity` and `1e400` (as infinity), and a float skips the
checks written for integers; a NaN clock or timeout used to poison the mock or spin a thread.
Every number in a control body is checked before anything changes, and a bad one is a V-3
`invalid` naming its field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.timestamp import MAX_TIMESTAMP

#: No number on the control API may exceed this: 9999-12-31T23:59:59Z in Unix seconds,
#: the latest moment Q-2 accepts, so no setting or move can carry time past it.
LARGEST = float(MAX_TIMESTAMP)
#: The same bound for whole numbers (counts, ids, seeds).
LARGEST_WHOLE = MAX_TIMESTAMP


def check_finite(document: object) -> None:
    """Refuses a body holding a non-finite or huge number anywhere, naming every such field.

    Walked with a stack, not recursion: the parser may have nested it nearly as deep as
    the interpreter allows.
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, Mapping):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            errors[path or "body"] = ["must be a finite number"]
        elif isinstance(value, int | float) and not isinstance(value, bool) and _huge(value):
            errors[path or "body"] = ["is out of range"]
    if errors:
        raise InvalidError.from_fields(dict(sorted(errors.items())))


def _huge(value: float) -> bool:
    return abs(value) > LARGEST


def number(
    document: Mapping[str, Any],
    key: str,
    *,
    default: float | None = None,
    low: float = 0.0,
    high: float = LARGEST,
    positive: bool = False,
) -> float:
    """A finite number in [`low`, `high`] (in (0, `high`] if `positive`)."""
    value = document.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(key, "must be a number")
    if not math.isfinite(value):
        raise _invalid(key, "must be a finite number")
    if positive and not value > 0:
        raise _invalid(key, "must be positive")
    if not low <= value <= high:
        raise _invalid(key, f"must be between {_show(low)} and {_show(high)}")
    return float(value)


def whole(document: Mapping[str, Any], key: str) -> int:
    """A JSON integer from 0 to LARGEST_WHOLE; 1.0, true and "1" are not."""
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(key, "must be a whole number")
    if not 0 <= value <= LARGEST_WHOLE:
        raise _invalid(key, f"must be between 0 and {LARGEST_WHOLE}")
    return value


def _invalid(key: str, message: str) -> InvalidError:
    return InvalidError(f"{key}: {message}", {key: [message]})


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
