"""What a schemathesis case puts on the wire, read back and judged against openapi.yaml."""

from __future__ import annotations

import email.parser
import email.policy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import requests
import yaml

from campaign_contract.spec import openapi_path

#: The form key that may repeat (Q-1); every other repeated key is `invalid`.
ARRAY_KEY: Final = "segments[]"
POSITIVE_ID: Final = re.compile(r"^0*[1-9][0-9]*$")
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


@functools.cache
def _validator(pointer: str) -> jsonschema.protocols.Validator:
    # The whole document is the root resource, so `#/components/...` references resolve.
    root = {**spec(), "$ref": pointer}
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
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
    """One request as it goes out: path with query, body, Content-Type, and the fields read back."""

    method: str
    path: str
    body: bytes | None
    content_type: str | None
    #: The parameters a server reads from the body; None when the body cannot be read back.
    fields: dict[str, Any] | None = None
    #: Why the body is not what openapi.yaml allows, or None when it is.
    problems: list[str] = field(default_factory=list)
    #: The fields openapi.yaml's errors name (for mapping a finding to a rule).
    bad_fields: set[str] = field(default_factory=set)
    #: False when the suite cannot tell whether the body is valid (read back failed).
    known: bool = True

    @property
    def media_type(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @property
    def valid(self) -> bool:
        return self.known and not self.problems


def prepare(kwargs: Mapping[str, Any], base_url: str) -> Sent:
    """Serialize requests-style kwargs (from `case.as_transport_kwargs`) as `requests` would."""
    request = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        params=kwargs.get("params") or None,
        data=kwargs.get("data"),
        json=kwargs.get("json"),
        files=kwargs.get("files"),
        headers={k: v for k, v in (kwargs.get("headers") or {}).items() if k == "Content-Type"},
    ).prepare()
    url = request.url or kwargs["url"]
    split = urlsplit(url)
    path = split.path + (f"?{split.query}" if split.query else "")
    body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
    return Sent(
        method=str(kwargs["method"]).upper(),
        path=path,
        body=body if body else None,
        content_type=request.headers.get("Content-Type"),
    )


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
            return None  # a repeated key or another array spelling: ARCHITECTURE.md's `invalid`
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
    """Fill in `fields`, `problems` and `bad_fields` of a request with a body."""
    operation = spec()["paths"].get(path, {}).get(method.lower(), {})
    if sent.body is None:
        if "requestBody" in operation:
            # No body is an empty parameter set (ARCHITECTURE.md), judged as a form.
            pointer = body_schema_pointer(path, method, sent.media_type or _FORM)
            sent.fields = {}
            for error in schema_errors(pointer, {}) if pointer else []:
                sent.problems.append(f"body: {error.message[:160]}")
                sent.bad_fields.update(_named_fields(error))
        return
    pointer = body_schema_pointer(path, method, sent.media_type)
    if pointer is None:
        sent.problems.append(f"openapi.yaml takes no {sent.media_type or 'untyped'} body here")
        return
    sent.fields = read_fields(sent.media_type, sent.content_type or "", sent.body)
    if sent.fields is None:
        sent.known = sent.media_type == "application/json" and _broken_json(sent.body)
        if sent.known:
            sent.problems.append("the body is not a JSON object")
        return
    for error in schema_errors(pointer, sent.fields):
        where = "/".join(str(p) for p in error.absolute_path)
        sent.problems.append(f"{where or 'body'}: {error.message[:160]}")
        sent.bad_fields.update(_named_fields(error))


def _broken_json(body: bytes) -> bool:
    try:
        return not isinstance(json.loads(body.decode("utf-8")), dict)
    except ValueError:
        return True


def _named_fields(error: jsonschema.ValidationError) -> set[str]:
    if error.absolute_path:
        return {str(error.absolute_path[0])}
    if error.validator == "required" and isinstance(error.validator_value, list):
        return {str(v) for v in error.validator_value}
    if error.validator == "not":
        return {"list"}
    return {"body"}
