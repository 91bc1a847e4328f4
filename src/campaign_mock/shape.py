"""The fixtures' JSON Schema check, without jsonschema: the base install stays small.

Only the keywords `fixtureset._SCHEMA` uses, with JSON Schema 2020-12's meaning (an integer
may be written 1.0, true is no number), and the error `jsonschema.exceptions.best_match`
would pick: the shallowest, then the last sibling path, then one whose instance breaks its
`type` (tests/plugin/test_fixture_shape.py compares the two on generated documents).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

Path = tuple[str | int, ...]

#: Keywords understood here; a schema using any other is a programming error.
KEYWORDS = frozenset(
    {
        "type",
        "additionalProperties",
        "required",
        "properties",
        "items",
        "enum",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "uniqueItems",
    }
)


@dataclass(frozen=True)
class ShapeError:
    """What broke, named as jsonschema names it (`validator` is the keyword)."""

    validator: str
    validator_value: Any
    instance: Any
    schema: Mapping[str, Any]
    absolute_path: Path


def best_error(schema: Mapping[str, Any], document: object) -> ShapeError | None:
    """The most relevant way `document` breaks `schema`, or None if it does not."""
    best: ShapeError | None = None
    best_key: tuple[Any, ...] = ()
    for error in _errors(schema, document, ()):
        key = (-len(error.absolute_path), error.absolute_path, not _matches_type(error))
        if best is None or key > best_key:
            best, best_key = error, key
    return best


def is_type(instance: object, kind: str) -> bool:
    if kind == "object":
        return isinstance(instance, dict)
    if kind == "array":
        return isinstance(instance, list)
    if kind == "string":
        return isinstance(instance, str)
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if kind == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if kind == "number":
        return isinstance(instance, int | float)
    raise ValueError(f"unknown JSON Schema type {kind!r}")


def _errors(schema: Mapping[str, Any], instance: object, path: Path) -> Iterator[ShapeError]:
    for keyword, value in schema.items():
        if keyword not in KEYWORDS:
            raise ValueError(f"shape.py does not implement the keyword {keyword!r}")
        if keyword == "properties":
            if isinstance(instance, dict):
                for name, subschema in value.items():
                    if name in instance:
                        yield from _errors(subschema, instance[name], (*path, name))
        elif keyword == "items":
            if isinstance(instance, list):
                for index, item in enumerate(instance):
                    yield from _errors(value, item, (*path, index))
        elif keyword == "required" and isinstance(instance, dict):
            for _ in (name for name in value if name not in instance):
                yield ShapeError(keyword, value, instance, schema, path)
        elif _breaks(keyword, value, instance, schema):
            yield ShapeError(keyword, value, instance, schema, path)


def _breaks(keyword: str, value: Any, instance: object, schema: Mapping[str, Any]) -> bool:
    if keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        return not any(is_type(instance, kind) for kind in kinds)
    if keyword == "additionalProperties":
        if value is not False or not isinstance(instance, dict):
            return False
        return any(name not in schema.get("properties", {}) for name in instance)
    if keyword == "enum":
        return all(not _equal(each, instance) for each in value)
    if isinstance(instance, str) and keyword in ("minLength", "maxLength"):
        return bool(len(instance) < value if keyword == "minLength" else len(instance) > value)
    if is_type(instance, "number") and keyword in ("minimum", "maximum"):
        number = cast(float, instance)  # an int or a float (is_type); huge ints stay exact
        return bool(number < value if keyword == "minimum" else number > value)
    if keyword == "uniqueItems" and value and isinstance(instance, list):
        return not _unique(instance)
    return False


def _matches_type(error: ShapeError) -> bool:
    expected = error.schema.get("type")
    if expected is None:
        return False
    kinds = expected if isinstance(expected, list) else [expected]
    return any(is_type(error.instance, kind) for kind in kinds)


def _equal(one: object, two: object) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, lists and mappings item by item."""
    return _canonical(one) == _canonical(two)


def _unique(items: list[Any]) -> bool:
    seen = {_canonical(item) for item in items}
    return len(seen) == len(items)


def _canonical(value: object) -> object:
    """A hashable key equal for JSON-equal values (nesting is bounded by the loaders: 32)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_canonical(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    return ("other", repr(value)) if value is not None else ("null",)
