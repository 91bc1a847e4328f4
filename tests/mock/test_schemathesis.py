"""schemathesis against the mock with openapi.yaml: positive and negative data, envelope-aware.

The checks understand DUO's envelope (V-2, V-3): a request the schema calls invalid must get
`success: false` (a 200 alone proves nothing), and nothing may ever answer 5xx (V-4).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer
from spec import DOCUMENT, pointer, resolve, validator

from .conftest import BASIC, FUTURE, FixedClock

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

ROOT = Path(__file__).resolve().parents[2]
schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    """Over a real socket, so what schemathesis records is exactly what the mock received."""
    server = MockServer(create_app(clock=FixedClock()), port=0).start()
    yield server
    server.stop()


def _envelope(response: Any) -> dict[str, Any]:
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"success", "data"}, body
    assert isinstance(body["success"], bool) and isinstance(body["data"], dict), body
    return body


def _negative_part_was_not_sent(case: Any, response: Any) -> bool:
    """Cases whose only invalid part never reached the server, or that V-4 allows.

    - Our Basic header overrides a mutated credential header or cookie (the operations
      declare no other headers or cookies), and schemathesis may plan a multipart
      Content-Type without boundary yet send a well-formed one.
    - V-4: HEAD and OPTIONS are answered wherever GET is, so those method mutations are valid.
    """
    method = case.method.lower()
    if method in {"head", "options"} and method != case.operation.method.lower():
        return "get" in schema.raw_schema["paths"][case.operation.path]
    negative = {
        location.value
        for location, info in case.meta.components.items()
        if info.mode is GenerationMode.NEGATIVE
    }
    if negative and negative <= {"header", "cookie"}:
        sent = response.request.headers.get("Content-Type")
        return sent is None or _well_formed(sent)
    return negative == {"body"} and _body_valid_under_the_mocks_readings(case, response)


def _body_valid_under_the_mocks_readings(case: Any, response: Any) -> bool:
    """Judges a body by the bytes that went out, read as the mock documents it reads them.

    A form carries only text, and an array as a repeated key: `name: 0` and `name: "0"`,
    `list: []`, `list: {}` and no `list` at all, can be the same bytes on the wire. And
    openapi.yaml is the conservative description: what it leaves out, the mock may still
    accept by one of its own readings (docs/internals.md, "Readings"), applied here.
    """
    content_type = response.request.headers.get("Content-Type", "")
    raw = response.request.body or b""
    if case.media_type == "application/json":
        try:
            sent = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        except ValueError:
            return False
        if not isinstance(sent, dict):
            return False
    elif case.media_type in FORM_TYPES:
        pairs = _form_pairs(content_type, raw)
        if pairs is None:
            return False
        sent = {}
        for key, value in pairs:
            if key.endswith("[]"):
                sent.setdefault(key, []).append(value)
            elif key in sent:
                return False  # a repeated key: the mock's `invalid`
            else:
                sent[key] = value
    else:
        return False
    body = case.operation.definition.raw["requestBody"]
    operation = pointer("paths", case.operation.path, case.method.lower(), "requestBody")
    at = body["$ref"][1:] if "$ref" in body else operation
    at += pointer("content", case.media_type, "schema")
    schema = _schema_at(at)
    read = _as_the_mock_reads(
        sent, set(schema.get("properties", {})), case.media_type, case.method.upper()
    )
    return bool(validator(at).is_valid(read))


def _schema_at(at: str) -> dict[str, Any]:
    node: Any = DOCUMENT
    for step in at.strip("/").split("/"):
        node = node[unquote(step).replace("~1", "/").replace("~0", "~")]
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(node["$ref"])
    return node if isinstance(node, dict) else {}


_DIGITS = re.compile(r"^[0-9]+$")
_LENIENT_WHEN = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[t ]")


def _number(value: Any, json_body: bool) -> Any:
    """The mock's numbers: digit strings (leading zeros too) and integral floats."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value) if json_body else str(int(value))
    return value


def _as_the_mock_reads(
    sent: dict[str, Any], known: set[str], media_type: str, method: str
) -> dict[str, Any]:
    """docs/internals.md's readings: unknown parameters ignored (`list` in a PUT is not one),
    numbers as above, a space or `t`/`z` in `when`, empty values on POST as not sent."""
    json_body = media_type == "application/json"
    read = {k: v for k, v in sent.items() if k in known or k == "list"}
    for name in ("domain", "list"):
        if name in read:
            read[name] = _number(read[name], json_body)
    key = "segments" if json_body else "segments[]"
    if isinstance(read.get(key), list):
        read[key] = [_number(item, json_body) for item in read[key]]
        if method == "POST" and read[key] == [""]:
            del read[key]
    when = read.get("when")
    if isinstance(when, str):
        when = _LENIENT_WHEN.sub(r"\1T", when)
        when = when[:-1] + "Z" if len(when) > 10 and when.endswith("z") else when
    read["when"] = _number(when, json_body)
    if read["when"] is None and "when" not in sent:
        del read["when"]
    for name in ("when", "event_callback"):
        if name in read and read[name] in ("", None):
            if method == "POST":
                del read[name]
            elif json_body:
                read[name] = None
    return read


def _form_pairs(content_type: str, body: bytes | str) -> list[tuple[str, str]] | None:
    """(name, text) pairs of an urlencoded or multipart body; None if it is not one."""
    raw = body.encode() if isinstance(body, str) else body
    mimetype = content_type.split(";")[0].strip().lower()
    if mimetype == "application/x-www-form-urlencoded":
        try:
            return parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        boundary = message.get_boundary()
        if boundary and raw.lstrip(b"\r\n").startswith(f"--{boundary}--".encode()):
            return []  # no part: an empty form, as the mock reads it (docs/internals.md)
        return None
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            return None
        try:
            pairs.append((name, payload.decode()))
        except UnicodeDecodeError:
            return None
    return pairs


def _well_formed(content_type: str) -> bool:
    mimetype = content_type.split(";")[0].strip().lower()
    if mimetype == "multipart/form-data":
        return "boundary=" in content_type
    return mimetype in {"application/json", "application/x-www-form-urlencoded"}


@schemathesis.check
def duo_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """V-2/V-3: every answer is the envelope; a failure carries data.error and data.code."""
    body = _envelope(response)
    if body["success"] is False:
        assert isinstance(body["data"].get("error"), str) and body["data"]["error"], body
        assert isinstance(body["data"].get("code"), str), body
    else:
        assert response.status_code == 200, (response.status_code, body)
    return None


@schemathesis.check
def invalid_input_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """V-3: data the schema rejects must answer success false, never success true."""
    if case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
        if _negative_part_was_not_sent(case, response):
            return None
        body = _envelope(response)
        assert body["success"] is False, f"negative data accepted: {case.body!r} -> {body}"
    return None


@schemathesis.check
def valid_input_is_not_called_invalid(ctx: Any, response: Any, case: Any) -> bool | None:
    """Q-*: data the schema accepts may fail on references or state, never as `invalid`."""
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        body = _envelope(response)
        if body["success"] is False:
            assert body["data"]["code"] != "invalid", (case.body, body)
    return None


@schema.parametrize()
def test_V2_V3_V4_schemathesis_against_the_mock(case: Any, mock: MockServer) -> None:
    """Every operation, positive and negative data: no 5xx, the envelope, and the schema."""
    http = requests.Session()
    assert http.post(f"{mock.url}/_mock/reset", timeout=10).ok
    # A DRAFT campaign with a send time, so PUT, GET and DELETE reach the application.
    seed = http.post(
        f"{mock.url}/campaign",
        json={"name": "seed", "domain": 1, "list": 1, "when": FUTURE},
        headers={"Authorization": BASIC},
        timeout=10,
    )
    assert seed.json()["data"]["id"] == 1
    if case.path_parameters and case.meta.generation.mode is GenerationMode.POSITIVE:
        case.path_parameters["id"] = 1
    # Negative data may add headers of any name; one named Host sends the request to a name
    # the served mock does not serve, whose 421 is its rebinding guard (http/hosts.py,
    # tests/mock/test_control_guard.py), not the API's: the request goes to the mock's own name.
    for name in [n for n in case.headers or {} if n.strip().lower() == "host"]:
        del case.headers[name]
    case.call_and_validate(
        base_url=mock.url,
        session=http,
        headers={"Authorization": BASIC},
        additional_checks=[
            duo_envelope,
            invalid_input_is_refused,
            valid_input_is_not_called_invalid,
        ],
        # DUO answers invalid data with HTTP 200 and success false (V-3); the check above
        # replaces schemathesis' status-based one.
        excluded_checks=[negative_data_rejection],
    )
