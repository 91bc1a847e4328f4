"""JSON as RFC 8259 means it, both ways: bodies that could poison the mock never get past here.

Python's `json` reads `NaN`, `Infinity` and `1e400` (infinite), any depth up to a
RecursionError, lone surrogates (`"\\ud800"`, text no UTF-8 encoder can write), and writes
`Infinity` back. Each of these once answered 500, or was stored and made later answers 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider

#: Deeper than any body the mock reads (fixtures are 5 levels), shallow enough to walk.
MAX_DEPTH = 32


class JsonRefused(ValueError):
    """The text is not strict JSON the mock reads; the message says why, without the text."""


class JsonObject(dict[str, Any]):
    """A JSON object that remembers which of its keys occurred more than once."""

    repeated: frozenset[str] = frozenset()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> JsonObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            keys = [k for k, _ in pairs]
            obj.repeated = frozenset(k for k in keys if keys.count(k) > 1)
        return obj


def loads(data: bytes | str) -> Any:
    """The document, or JsonRefused: not UTF-8, not JSON, non-finite, or nested too deeply."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        document = json.loads(
            text,
            object_pairs_hook=JsonObject.from_pairs,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise JsonRefused(f"nested more than {MAX_DEPTH} deep") from None
    except UnicodeDecodeError:
        raise JsonRefused("not UTF-8") from None
    except JsonRefused:
        raise
    except ValueError as exc:
        raise JsonRefused(_short(str(exc))) from None
    if _depth_exceeds(document, MAX_DEPTH):
        raise JsonRefused(f"nested more than {MAX_DEPTH} deep")
    return document


#: The compact encoder every answer uses, made once (json.dumps makes one per call when given
#: options).
_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def dumps(document: object, **kwargs: Any) -> str:
    """Strict JSON text: a non-finite number is a bug here, never `Infinity` on the wire."""
    if not kwargs:
        return _COMPACT.encode(document)
    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(document, ensure_ascii=False, allow_nan=False, **kwargs)


def repeated_keys(document: object, root: str = "") -> list[str]:
    """The paths of keys given more than once in an object, at any depth."""
    found: list[str] = []
    stack: list[tuple[str, object]] = [(root, document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, JsonObject):
            prefix = f"{path}." if path else ""
            found.extend(f"{prefix}{k}" for k in sorted(value.repeated))
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}" if path else k, v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return sorted(found)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's `request.get_json()` and `jsonify` with the rules above."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        return dumps(obj, **kwargs)


def _depth_exceeds(document: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False


def _refuse_constant(name: str) -> object:
    raise JsonRefused(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {_short(text, 40)} is out of range")
    return value


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
