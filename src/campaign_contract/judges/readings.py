"""The most lenient reading of a request body that CONTRACT.md allows ("Where servers may differ").

A body the strict schema refuses but that is valid once read this way is one a conforming
server may accept or call `invalid`: the suite judges it on the wire alone. Only a body still
invalid after every normalization here may be asserted refused.
"""

from __future__ import annotations

import re
from typing import Any, Final

from campaign_contract.judges.when import relaxed_when

#: Ids: a JSON number or a form text standing for a positive integer.
ID_FIELDS: Final = ("domain", "list")
#: Fields a POST may leave empty, which a server may read as "not sent".
EMPTY_MEANS_ABSENT: Final = ("when", "event_callback")
#: `list` is no unknown parameter on a PUT: Q-5 names it, as `invalid`.
NAMED_ELSEWHERE: Final = frozenset({"list"})
_DIGITS = re.compile(r"^[0-9]+$")


def relaxed_id(value: Any, json_body: bool) -> Any:
    """A digit string or integral float as an integer (JSON), leading zeros dropped (form)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value) if json_body else str(int(value))
    return value


def relaxed(
    fields: dict[str, Any], properties: set[str], json_body: bool, method: str
) -> dict[str, Any]:
    """`fields` as the most lenient conforming server reads them: unknown keys dropped, numbers
    as integers, `when` normalized, empty values on POST as absent, state names in any case."""
    out = {k: v for k, v in fields.items() if k in properties or k in NAMED_ELSEWHERE}
    for name in ID_FIELDS:
        if name in out:
            out[name] = relaxed_id(out[name], json_body)
    key = "segments" if json_body else "segments[]"
    items = out.get(key)
    if isinstance(items, list):
        if not json_body and len(items) > 1:
            items = [item for item in items if item != ""]
        out[key] = [relaxed_id(item, json_body) for item in items]
        if method == "POST" and out[key] == [""]:
            del out[key]
    if "when" in out:
        when = relaxed_when(out["when"])
        out["when"] = relaxed_id(when, json_body) if json_body else when
    if isinstance(out.get("state"), str):
        out["state"] = out["state"].upper()
    for name in EMPTY_MEANS_ABSENT:
        if out.get(name, 0) in ("", None):
            if method == "POST":
                del out[name]
            elif json_body:
                out[name] = None
    return out
