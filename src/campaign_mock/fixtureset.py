"""Loading fixtures from YAML or JSON, refusing a bad document with a message naming the problem."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from .domain.errors import FixturesError
from .domain.models import (
    Account,
    Channel,
    Contact,
    ContactList,
    Domain,
    Fixtures,
    GeneratedContacts,
    Segment,
)
from .domain.text import bad_text
from .fixture_yaml import MAX_FILE, load_yaml
from .shape import ShapeError, best_error

#: A `generate` pattern's length, and the widest field it may format `n` into.
PATTERN_MAX = 200
WIDTH_MAX = 32
_NUMBERS = re.compile(r"[0-9]+")

_ID = {"type": "integer", "minimum": 1}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["accounts", "domains", "lists"],
    "properties": {
        "accounts": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["username", "password"],
                "properties": {
                    "username": {"type": "string", "minLength": 1},
                    "password": {"type": "string", "minLength": 1},
                    "api_keys": {"type": "array", "items": {"type": "string", "minLength": 1}},
                },
            },
        },
        "domains": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name"],
                "properties": {
                    "id": _ID,
                    "name": {"type": "string", "minLength": 1},
                    "is_sending": {"type": "boolean"},
                    "is_bouncing": {"type": "boolean"},
                },
            },
        },
        "lists": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name"],
                "properties": {
                    "id": _ID,
                    "name": {"type": "string"},
                    "contacts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["id"],
                            "properties": {
                                "id": _ID,
                                "email": {"type": ["string", "null"], "minLength": 3},
                                "telephone": {"type": ["string", "null"], "minLength": 1},
                            },
                        },
                    },
                    "segments": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["id", "name"],
                            "properties": {
                                "id": _ID,
                                "name": {"type": "string"},
                                "contacts": {"type": "array", "items": _ID},
                            },
                        },
                    },
                    # Contacts made from patterns, so a huge list needs no huge file:
                    # {count: N, first_id: 1000, email: "user{n}@example.com",
                    #  telephone: "+3519{n:08d}"}; n runs from 1 to count.
                    "generate": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["count", "first_id"],
                        "properties": {
                            "count": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
                            "first_id": _ID,
                            "email": {
                                "type": ["string", "null"],
                                "minLength": 3,
                                "maxLength": PATTERN_MAX,
                            },
                            "telephone": {
                                "type": ["string", "null"],
                                "minLength": 1,
                                "maxLength": PATTERN_MAX,
                            },
                        },
                    },
                },
            },
        },
        "payloads": {
            "type": "array",
            "items": {"enum": [c.value for c in Channel]},
            "uniqueItems": True,
        },
    },
}


def default_fixtures() -> Fixtures:
    """The built-in set that the README's curl session relies on."""
    text = resources.files("campaign_mock").joinpath("fixtures/default.yaml").read_text("utf-8")
    # The shipped file's shape is checked by the tests, not at every start (the fixture's
    # first-start budget); references and uniqueness are still checked.
    return fixtures_from_document(load_yaml(text), check_shape=False)


def load_fixtures(path: str | Path) -> Fixtures:
    """Reads a YAML or JSON file (JSON is YAML) of at most MAX_FILE bytes and validates it."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_FILE + 1)  # not stat(): a FIFO or /dev/zero has no size
    except OSError as exc:
        raise FixturesError(f"{path}: cannot read fixtures ({exc.strerror})") from None
    if len(data) > MAX_FILE:
        raise FixturesError(
            f"{path}: larger than {MAX_FILE // 2**20} MiB; make big lists with `generate`"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FixturesError(f"{path}: fixtures must be UTF-8 text") from None
    try:
        return fixtures_from_document(load_yaml(text))
    except FixturesError as exc:
        raise FixturesError(f"{path}: {exc}") from None


def fixtures_from_document(document: object, *, check_shape: bool = True) -> Fixtures:
    """Checks shape with JSON Schema, then references and uniqueness."""
    if check_shape:
        _check_text(document)
        _check_shape(document)
    assert isinstance(document, Mapping)
    fixtures = Fixtures(
        accounts=tuple(
            Account(a["username"], a["password"], tuple(a.get("api_keys", ())))
            for a in document["accounts"]
        ),
        domains=tuple(
            Domain(d["id"], d["name"], d.get("is_sending", True), d.get("is_bouncing", True))
            for d in document["domains"]
        ),
        lists=tuple(_contact_list(c) for c in document["lists"]),
        payloads=tuple(Channel(p) for p in document.get("payloads", ["email", "sms"])),
    )
    _check_consistency(fixtures)
    return fixtures


def _check_text(document: object) -> None:
    bad = bad_text(document, "fixtures")
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise FixturesError(f"{bad[0]}: is not text: it cannot be encoded as UTF-8{more}")


def _check_shape(document: object) -> None:
    error = best_error(_SCHEMA, document)  # shape.py: JSON Schema without jsonschema
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise FixturesError(f"fixtures{where}: {_problem(error)}")


def _problem(error: ShapeError) -> str:
    """jsonschema's message showed the instance (once 312 MB on one line); this names the rule."""
    rule, expected, instance = error.validator, error.validator_value, error.instance
    if rule == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return f"must be {' or '.join(str(_KINDS.get(k, k)) for k in kinds)}"
    if rule == "required":
        missing = [k for k in expected if isinstance(instance, dict) and k not in instance]
        return ", ".join(f"{k!r} is a required property" for k in missing) or "a key is missing"
    if rule == "additionalProperties" and isinstance(instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(_short(repr(k), 40) for k in instance if k not in allowed)
        shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        return f"unknown {'key' if len(extra) == 1 else 'keys'} {shown}"
    if rule == "enum" and isinstance(expected, list):
        return f"must be one of {', '.join(map(str, expected))}"
    messages = {
        "minLength": "must be at least {} characters long",
        "maxLength": "must be at most {} characters long",
        "minimum": "must be at least {}",
        "maximum": "must be at most {}",
        "uniqueItems": "must not repeat an item",
    }
    return messages.get(rule, f"breaks the rule {rule!r}").format(expected)


_KINDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a text",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fixtures_to_document(fixtures: Fixtures) -> dict[str, object]:
    """The inverse of `fixtures_from_document`, for GET /_mock/fixtures."""
    return {
        "accounts": [
            {"username": a.username, "password": a.password, "api_keys": list(a.api_keys)}
            for a in fixtures.accounts
        ],
        "domains": [
            {"id": d.id, "name": d.name, "is_sending": d.is_sending, "is_bouncing": d.is_bouncing}
            for d in fixtures.domains
        ],
        "lists": [
            {
                "id": c.id,
                "name": c.name,
                "contacts": [
                    {"id": p.id, "email": p.email, "telephone": p.telephone} for p in c.contacts
                ],
                "segments": [
                    {"id": s.id, "name": s.name, "contacts": sorted(s.contact_ids)}
                    for s in c.segments
                ],
                **_generated_to_document(c.generated),
            }
            for c in fixtures.lists
        ],
        "payloads": [p.value for p in fixtures.payloads],
    }


def _generated_to_document(generated: GeneratedContacts | None) -> dict[str, object]:
    if generated is None:
        return {}
    spec = {"count": generated.count, "first_id": generated.first_id}
    return {"generate": {**spec, "email": generated.email, "telephone": generated.telephone}}


def _generated(raw: Mapping[str, Any] | None) -> GeneratedContacts | None:
    if raw is None:
        return None
    generated = GeneratedContacts(
        raw["count"], raw["first_id"], raw.get("email"), raw.get("telephone")
    )
    for key in ("email", "telephone"):
        pattern = getattr(generated, key)
        if pattern is None:
            continue
        where = f"fixtures.lists.generate.{key}"
        _check_pattern(pattern, where)
        try:
            sample = pattern.format(n=1)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise FixturesError(
                f"{where}: {_short(repr(pattern), 60)} is not a pattern of {{n}} "
                f"({_short(str(exc), 80)})"
            ) from None
        if sample == pattern and generated.count > 1:
            raise FixturesError(f"{where}: {_short(repr(pattern), 60)} does not use {{n}}")
    return generated


def _check_pattern(pattern: str, where: str) -> None:
    """Before formatting: `{n:>100000000}` once cost 100 MB a contact."""
    try:
        fields = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise FixturesError(f"{where}: not a pattern of {{n}} ({exc})") from None
    for _, name, given, _ in fields:
        spec = given or ""
        if name is None:
            continue
        if name != "n":
            raise FixturesError(f"{where}: only {{n}} may be formatted, not {{{_short(name, 20)}}}")
        if "{" in spec:
            raise FixturesError(f"{where}: a nested field in {{n:...}} is not allowed")
        if any(int(w) > WIDTH_MAX for w in _NUMBERS.findall(spec)[:4]):
            raise FixturesError(f"{where}: a width over {WIDTH_MAX} in {{n:{_short(spec, 20)}}}")


def _contact_list(raw: Mapping[str, Any]) -> ContactList:
    return ContactList(
        generated=_generated(raw.get("generate")),
        id=raw["id"],
        name=raw["name"],
        contacts=tuple(
            Contact(c["id"], c.get("email"), c.get("telephone")) for c in raw.get("contacts", ())
        ),
        segments=tuple(
            Segment(s["id"], s["name"], frozenset(s.get("contacts", ())))
            for s in raw.get("segments", ())
        ),
    )


def _check_consistency(fixtures: Fixtures) -> None:
    _unique("accounts", [a.username for a in fixtures.accounts], "username")
    _unique("domains", [d.id for d in fixtures.domains], "id")
    _unique("lists", [c.id for c in fixtures.lists], "id")
    _unique("segments", [s.id for c in fixtures.lists for s in c.segments], "id")
    _unique("contacts", [p.id for c in fixtures.lists for p in c.contacts], "id")
    _no_overlap(fixtures)
    for i, contact_list in enumerate(fixtures.lists):
        members = {p.id for p in contact_list.contacts}
        generated = contact_list.generated.ids if contact_list.generated else range(0)
        for j, segment in enumerate(contact_list.segments):
            stray = sorted(c for c in segment.contact_ids - members if c not in generated)
            if stray:
                raise FixturesError(
                    f"fixtures.lists[{i}].segments[{j}]: contacts {stray} "
                    f"are not in list {contact_list.id}"
                )


def _no_overlap(fixtures: Fixtures) -> None:
    """Generated ids must not collide with each other or with listed contacts."""
    ranges = [c.generated.ids for c in fixtures.lists if c.generated and c.generated.count]
    for i, first in enumerate(ranges):
        for second in ranges[i + 1 :]:
            if first.start < second.stop and second.start < first.stop:
                raise FixturesError(
                    f"fixtures.lists: generated contact ids {first} and {second} overlap"
                )
        for contact_list in fixtures.lists:
            for contact in contact_list.contacts:
                if contact.id in first:
                    raise FixturesError(
                        f"fixtures.contacts: id {contact.id} is also a generated contact's id"
                    )


def _unique(what: str, values: list[Any], key: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise FixturesError(f"fixtures.{what}: {key} {value!r} is used twice")
        seen.add(value)
