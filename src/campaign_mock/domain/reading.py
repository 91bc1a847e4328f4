"""Reading plain-data records back: typed field access that names what is wrong.

A record is what `to_record()` functions make: dicts with str keys, lists, str, int, float,
bool, bytes and None, nothing else, so any encoder of data can carry it and reading it back
never runs code. Everything here raises `RecordError` naming the field and what was found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class RecordError(ValueError):
    """A record that is not what its kind says; the message names the field."""


def as_object(value: object, where: str) -> dict[str, object]:
    """`value` as a record object (a dict with str keys)."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise RecordError(f"{where}: expected an object, found {_kind(value)}")
    return value


def as_list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise RecordError(f"{where}: expected a list, found {_kind(value)}")
    return value


class Fields:
    """One record object, read field by field; `where` prefixes every error."""

    def __init__(self, value: object, where: str) -> None:
        self.where = where
        self.record = as_object(value, where)

    def _raw(self, name: str) -> object:
        if name not in self.record:
            raise RecordError(f"{self.where}: field {name!r} is missing")
        return self.record[name]

    def has(self, name: str) -> bool:
        """Whether the record holds `name`: a field added later is absent from older ones."""
        return name in self.record

    def value(self, name: str) -> object:
        """The field as it is, for a reader of its own (a nested record)."""
        return self._raw(name)

    def integer(self, name: str) -> int:
        value = self._raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecordError(f"{self.where}.{name}: expected an integer, found {_kind(value)}")
        return value

    def number(self, name: str) -> float:
        value = self._raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordError(f"{self.where}.{name}: expected a number, found {_kind(value)}")
        return float(value)

    def text(self, name: str) -> str:
        value = self._raw(name)
        if not isinstance(value, str):
            raise RecordError(f"{self.where}.{name}: expected a string, found {_kind(value)}")
        return value

    def flag(self, name: str) -> bool:
        value = self._raw(name)
        if not isinstance(value, bool):
            raise RecordError(f"{self.where}.{name}: expected true or false, found {_kind(value)}")
        return value

    def blob(self, name: str) -> bytes:
        value = self._raw(name)
        if not isinstance(value, bytes):
            raise RecordError(f"{self.where}.{name}: expected bytes, found {_kind(value)}")
        return value

    def optional(self, name: str, read: Callable[[str], T]) -> T | None:
        """`read(name)`, or None where the field holds null."""
        return None if self._raw(name) is None else read(name)

    def obj(self, name: str) -> Fields:
        return Fields(self._raw(name), f"{self.where}.{name}")

    def items(self, name: str) -> list[object]:
        return as_list(self._raw(name), f"{self.where}.{name}")

    def objects(self, name: str) -> list[Fields]:
        return [Fields(v, f"{self.where}.{name}[{i}]") for i, v in enumerate(self.items(name))]

    def integers(self, name: str) -> list[int]:
        found = self.items(name)
        if not set(map(type, found)) <= {int}:  # exactly int: a bool is not one here
            raise RecordError(f"{self.where}.{name}: expected a list of integers")
        return found  # type: ignore[return-value]  # checked just above

    def texts(self, name: str) -> list[str]:
        found = self.items(name)
        if not set(map(type, found)) <= {str}:  # in C: lists of a million addresses
            raise RecordError(f"{self.where}.{name}: expected a list of strings")
        return found  # type: ignore[return-value]  # checked just above

    def choice(self, name: str, kind: Callable[[str], T]) -> T:
        """A member of the str enum `kind` by its value."""
        value = self.text(name)
        try:
            return kind(value)
        except ValueError:
            raise RecordError(f"{self.where}.{name}: {value!r} is not a known value") from None

    def choices(self, name: str, kind: Callable[[str], T]) -> tuple[T, ...]:
        """Members of the str enum `kind` by their values."""
        found = self.texts(name)
        try:
            return tuple(kind(v) for v in found)
        except ValueError:
            raise RecordError(f"{self.where}.{name}: {found!r} holds an unknown value") from None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return type(value).__name__
