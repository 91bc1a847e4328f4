"""A request as it went out (`Sent`), read back and judged against openapi.yaml: what every
server must accept, what every server must refuse, and what lies between."""

from __future__ import annotations

import email.parser
import email.policy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

import jsonschema
import yaml

from campaign_contract.judges import readings
from campaign_contract.judges.when import parse_when
from campaign_contract.spec import openapi_path

#: The form key that may repeat (Q-1); a server may refuse any other repeated key or let the
#: last win, so the suite judges such a body on the wire alone.
ARRAY_KEY: Final = "segments[]"
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


@functools.cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(openapi_path().read_text("utf-8"))
    return document


def resolve(node: Any) -> Any:
    """Follow a local `$ref` (one level at a time) in openapi.yaml."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for step in node["$ref"].lstrip("#/").split("/"):
            target = target[step]
        node = target
    return node


def _strict_integer(_checker: Any, value: Any) -> bool:
    # JSON Schema counts 1.0 as an integer; CONTRACT.md's integers are JSON integers.
    return isinstance(value, int) and not isinstance(value, bool)


@functools.cache
def _validator(pointer: str) -> jsonschema.protocols.Validator:
    # The whole document is the root resource, so `#/components/...` references resolve.
    root = {**spec(), "$ref": pointer}
    base = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    cls = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        base, type_checker=base.TYPE_CHECKER.redefine("integer", _strict_integer)
    )
    validator: jsonschema.protocols.Validator = cls(root)
    return validator


def body_schema_pointer(path: str, method: str, media_type: str) -> str | None:
    """The JSON pointer of the request-body schema openapi.yaml gives this operation."""
    operation = spec()["paths"].get(path, {}).get(method.lower(), {})
    body = resolve(operation.get("requestBody"))
    if not isinstance(body, dict):
        return None
    content = body.get("content", {}).get(media_type)
    if not isinstance(content, dict):
        return None
    ref = content.get("schema", {}).get("$ref")
    return str(ref) if isinstance(ref, str) else None


def schema_errors(pointer: str, value: Any) -> list[jsonschema.ValidationError]:
    """What openapi.yaml's schema at `pointer` says is wrong with `value` (empty: valid)."""
    return sorted(_validator(pointer).iter_errors(value), key=lambda e: list(e.absolute_path))


@dataclass(slots=True)
class Sent:
    """One request as it goes out: path with query, body, Content-Type, and how it is judged.

    `problems` say why the body is not what every server must accept (the strict schema);
    `lenient_problems` why it is invalid even under the most lenient reading CONTRACT.md
    allows. A body with the first and not the second is one servers may read either way.
    """

    method: str
    path: str
    body: bytes | None
    content_type: str | None
    #: The parameters a server reads from the body; None when the body cannot be read back.
    fields: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    lenient_problems: list[str] = field(default_factory=list)
    #: The fields invalid under every reading (for mapping a finding to a rule).
    bad_fields: set[str] = field(default_factory=set)
    #: False when the suite cannot tell whether the body is valid (read back failed).
    known: bool = True
    #: V-4 statuses a server may answer for this body before the application, by a reading
    #: CONTRACT.md leaves open (an empty multipart part name as broken multipart...).
    wire_statuses: set[int] = field(default_factory=set)
    #: openapi.yaml's path the request is judged as (`/campaign/{id}`), set by `judge_body`:
    #: the generator's, or `routes.classify`'s for a request the suite did not make.
    template: str | None = None

    @property
    def media_type(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @property
    def valid(self) -> bool:
        """Every conforming server must accept it (under the strictest reading)."""
        return self.known and not self.problems

    @property
    def invalid(self) -> bool:
        """Every conforming server must refuse it (invalid under every reading)."""
        return self.known and bool(self.lenient_problems)


def read_fields(media_type: str, content_type: str, body: bytes) -> dict[str, Any] | None:
    """The parameters a server reads from this body; None when the suite cannot tell."""
    if media_type == "application/json":
        try:
            value = json.loads(body.decode("utf-8"))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    if media_type == _FORM:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except ValueError:
            return None
    elif media_type == _MULTIPART:
        found = _multipart_pairs(content_type, body)
        if found is None:
            return None
        pairs = found
    else:
        return None
    fields: dict[str, Any] = {}
    for key, value in pairs:
        if key == ARRAY_KEY:
            fields.setdefault(key, []).append(value)
        elif key in fields or key.startswith("segments"):
            return None  # a repeated key or another array spelling: servers may differ
        else:
            fields[key] = value
    return fields


def _multipart_pairs(content_type: str, body: bytes) -> list[tuple[str, str]] | None:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            return None
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        try:
            pairs.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError:
            return None
    return pairs


def judge_body(sent: Sent, path: str, method: str) -> None:
    """Fill in `template`, `fields`, `problems`, `lenient_problems` and `bad_fields` of a
    request made for openapi.yaml's `path` (a template) and `method`."""
    sent.template = path
    operation = spec()["paths"].get(path, {}).get(method.lower(), {})
    if sent.body is None:
        if "requestBody" in operation:
            # No body is an empty parameter set (V-4 names no status for it), judged as a form;
            # without a Content-Type a server may also call it another content type.
            pointer = body_schema_pointer(path, method, sent.media_type or _FORM)
            sent.fields = {}
            if sent.content_type is None:
                sent.wire_statuses.add(415)
            if pointer:
                _judge_fields(sent, pointer, method)
        return
    pointer = body_schema_pointer(path, method, sent.media_type)
    if pointer is None:
        sent.problems.append(f"openapi.yaml takes no {sent.media_type or 'untyped'} body here")
        sent.lenient_problems.extend(sent.problems)
        return
    sent.fields = read_fields(sent.media_type, sent.content_type or "", sent.body)
    if sent.fields is None:
        sent.known = sent.media_type == "application/json" and _broken_json(sent.body)
        if sent.known:
            sent.problems.append("the body is not a JSON object")
            sent.lenient_problems.extend(sent.problems)
        return
    if sent.media_type == _MULTIPART and "" in sent.fields:
        sent.wire_statuses.add(400)  # a part with an empty name may make the body broken
    _judge_fields(sent, pointer, method)


def _judge_fields(sent: Sent, pointer: str, method: str) -> None:
    fields = sent.fields or {}
    sent.problems.extend(_problems(pointer, fields)[0])
    schema = resolve({"$ref": pointer})
    properties = set(schema.get("properties", {})) if isinstance(schema, dict) else set()
    relaxed = readings.relaxed(fields, properties, sent.media_type == "application/json", method)
    sent.lenient_problems, sent.bad_fields = _problems(pointer, relaxed)


def _problems(pointer: str, fields: dict[str, Any]) -> tuple[list[str], set[str]]:
    """Schema errors, and what the schema cannot see (a `when` out of range), of `fields`."""
    problems: list[str] = []
    named: set[str] = set()
    for error in schema_errors(pointer, fields):
        where = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{where or 'body'}: {error.message[:160]}")
        named.update(_named_fields(error, fields))
    when = fields.get("when")
    if when not in ("", None) and "when" not in named and parse_when(when) is None:
        problems.append(f"when: {when!r} is no time Q-2 allows")
        named.add("when")
    return problems, named


def _broken_json(body: bytes) -> bool:
    try:
        return not isinstance(json.loads(body.decode("utf-8")), dict)
    except ValueError:
        return True


def _named_fields(error: jsonschema.ValidationError, fields: Mapping[str, Any]) -> set[str]:
    if error.absolute_path:
        return {str(error.absolute_path[0])}
    if error.validator == "required" and isinstance(error.validator_value, list):
        return {str(v) for v in error.validator_value}
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return {str(k) for k in fields if k not in known} or {"body"}
    if error.validator == "not":
        return {"list"}
    return {"body"}
