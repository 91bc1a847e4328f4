"""Loading fixtures from YAML or JSON, refusing a bad document with a message naming the problem."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

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
                            "email": {"type": ["string", "null"], "minLength": 3},
                            "telephone": {"type": ["string", "null"], "minLength": 1},
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
    return fixtures_from_document(yaml.safe_load(text), check_shape=False)


def load_fixtures(path: str | Path) -> Fixtures:
    """Reads a YAML or JSON file (JSON is YAML) and validates it."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise FixturesError(f"{path}: cannot read fixtures ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise FixturesError(f"{path}: fixtures must be UTF-8 text") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise FixturesError(f"{path}: not valid YAML or JSON{line}") from None
    try:
        return fixtures_from_document(document)
    except FixturesError as exc:
        raise FixturesError(f"{path}: {exc}") from None


def fixtures_from_document(document: object, *, check_shape: bool = True) -> Fixtures:
    """Checks shape with JSON Schema, then references and uniqueness."""
    if check_shape:
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


def _check_shape(document: object) -> None:
    import jsonschema  # ~100 ms: imported only when a user's fixtures need checking

    validator = jsonschema.Draft202012Validator(_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise FixturesError(f"fixtures{where}: {error.message}")


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
        try:
            sample = pattern.format(n=1) if pattern is not None else None
        except (KeyError, IndexError, ValueError) as exc:
            raise FixturesError(
                f"fixtures.lists.generate.{key}: {pattern!r} is not a pattern of {{n}} ({exc})"
            ) from None
        if pattern is not None and sample == pattern and generated.count > 1:
            raise FixturesError(f"fixtures.lists.generate.{key}: {pattern!r} does not use {{n}}")
    return generated


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
