"""Validating campaign parameters into typed fields, naming every bad one (Q-1..Q-5)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.models import State
from campaign_mock.domain.text import is_text
from campaign_mock.domain.timestamp import TimestampError, parse_when

#: The parameters POST and PUT read (Q-4, Q-5); any others are ignored.
CAMPAIGN_FIELDS = frozenset(
    {"name", "domain", "list", "segments", "state", "when", "event_callback"}
)
NAME_MAX = 255
CALLBACK_MAX = 2048
#: Ids longer than this (without leading zeros) match nothing the mock can hold.
ID_DIGITS = 18
_DIGITS = re.compile(r"[0-9]+")
_FORBIDDEN_IN_URL = re.compile(r"[\x00-\x20\x7f]")


class HugeId(int):
    """An id of more than ID_DIGITS digits: worth more than any id held, so it matches none.

    Python refuses to convert more than 4300 digits either way (str to int, int to str); this
    keeps the digits' text for messages, abbreviated, instead of their value.
    """

    text: str

    def __new__(cls, digits: str) -> HugeId:
        ident = super().__new__(cls, 10**ID_DIGITS)
        ident.text = f"{digits[:12]}…({len(digits)} digits)"
        return ident

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)


def parse_id(digits: str) -> int:
    """A string of ASCII digits as an id, however many (a path id, a form field)."""
    significant = digits.lstrip("0")
    if len(significant) > ID_DIGITS:
        return HugeId(significant)
    return int(digits)


@dataclass(slots=True)
class CampaignFields:
    """The parameters a request sent, typed; `present` says which were sent at all."""

    present: frozenset[str] = frozenset()
    name: str = ""
    domain: int = 0
    list_id: int = 0
    segments: list[int] = field(default_factory=list)
    state: State = State.DRAFT
    when: int | None = None
    event_callback: str | None = None


def parse_create(
    raw: Mapping[str, object], errors: dict[str, list[str]] | None = None
) -> CampaignFields:
    """POST: `name`, `domain` and `list` are required (Q-4).

    `errors` holds what the body's reader already found (a key sent twice).
    """
    errors = dict(errors or {})
    for required in ("name", "domain", "list"):
        if required not in raw and required not in errors:
            errors[required] = ["is required"]
    fields = _parse(raw, errors)
    if errors:
        raise InvalidError.from_fields(errors)
    return fields


def parse_update(
    raw: Mapping[str, object], errors: dict[str, list[str]] | None = None
) -> CampaignFields:
    """PUT: a partial update without `list` (Q-5)."""
    errors = dict(errors or {})
    if "list" in raw:
        errors["list"] = ["cannot be changed: PUT has no list parameter"]
    fields = _parse({k: v for k, v in raw.items() if k != "list"}, errors)
    if errors:
        raise InvalidError.from_fields(errors)
    return fields


def _parse(raw: Mapping[str, object], errors: dict[str, list[str]]) -> CampaignFields:
    fields = CampaignFields()
    present: set[str] = set()
    parsers = {
        "name": _name,
        "domain": _identifier,
        "list": _identifier,
        "segments": _segments,
        "state": _state,
        "when": _when,
        "event_callback": _event_callback,
    }
    for key, parse in parsers.items():
        if key not in raw:
            continue
        try:
            setattr(fields, "list_id" if key == "list" else key, parse(raw[key]))
        except ValueError as exc:
            errors.setdefault(key, []).append(str(exc))
        else:
            present.add(key)
    fields.present = frozenset(present)
    return fields


def _text(value: str) -> str:
    """What UTF-8 cannot encode (a lone surrogate) could be stored but never shown again."""
    if not is_text(value):
        raise ValueError("is not text: it cannot be encoded as UTF-8")
    return value


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    _text(value)
    if not value.strip():
        raise ValueError("must not be blank")
    if len(value) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters")
    return value


def _identifier(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema's integer: 1.0 is 1 (openapi.yaml is normative)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        # A JSON number of thousands of digits, as the form's digit strings: abbreviated in
        # every message (an error echoed 4,300 digits back).
        return HugeId(str(value)) if value >= 10**ID_DIGITS else value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return parse_id(value)
    raise ValueError("must be a positive integer id")


def _segments(value: object) -> list[int]:
    if not isinstance(value, list):
        raise ValueError("must be an array of segment ids")
    ids: list[int] = []
    for item in value:
        try:
            ident = _identifier(item)
        except ValueError:
            shown = repr(item) if len(repr(item)) <= 40 else f"{repr(item)[:39]}…"
            raise ValueError(f"item {shown} is not a positive integer id") from None
        if ident not in ids:  # duplicates collapse, first occurrence kept
            ids.append(ident)
    return ids


def _state(value: object) -> State:
    if isinstance(value, str) and value in State.__members__:
        return State(value)
    raise ValueError(f"must be one of {', '.join(State)}")


def _when(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return parse_when(value)
    except TimestampError as exc:
        raise ValueError(str(exc)) from None


def _event_callback(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be a string URL")
    _text(value)
    if len(value) > CALLBACK_MAX:
        raise ValueError(f"must be at most {CALLBACK_MAX} characters")
    if _FORBIDDEN_IN_URL.search(value):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("must be an absolute http or https URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    return value
