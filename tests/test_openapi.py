"""Checks that openapi.yaml is valid OpenAPI 3.1 and encodes CONTRACT.md's rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from spec import DOCUMENT, OPENAPI_PATH
from spec import pointer as _pointer
from spec import resolve as _component
from spec import validator as _validator

OPERATIONS = [
    ("/campaign", "post", "createCampaign"),
    ("/campaign/{id}", "get", "getCampaign"),
    ("/campaign/{id}", "put", "updateCampaign"),
    ("/campaign/{id}", "delete", "deleteCampaign"),
    ("/login/", "post", "login"),
    ("/logout/", "post", "logout"),
]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

#: The nine `data.code` values of CONTRACT.md V-3.
FAILURE_CODES = [
    "invalid",
    "reference",
    "conflict",
    "not_found",
    "method_not_allowed",
    "unauthorized",
    "too_large",
    "unsupported_media_type",
    "malformed",
]
#: The six states of CONTRACT.md M-1.
STATES = ["DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR"]
RULE_IDS = [
    *(f"V-{n}" for n in range(1, 6)),
    *(f"R-{n}" for n in range(1, 4)),
    *(f"Q-{n}" for n in range(1, 7)),
    *(f"M-{n}" for n in range(1, 6)),
    *(f"C-{n}" for n in range(1, 5)),
]
#: V-4: the statuses answered before the application runs, with their `data.code`.
PRE_APPLICATION_STATUSES = {
    "400": "malformed",
    "401": "unauthorized",
    "404": "not_found",
    "405": "method_not_allowed",
    "413": "too_large",
    "415": "unsupported_media_type",
}


def _examples(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str, Any]]:
    """Every example in the document as (where, pointer of its schema, value).

    Media type, parameter and header objects carry `example` or a map of `examples` beside
    their `schema`; JSON Schema objects carry a list of `examples` checked against themselves.
    """
    if isinstance(node, dict):
        if "schema" in node and isinstance(node.get("examples", {}), dict):
            schema = _pointer(*path, "schema")
            if "example" in node:
                yield _pointer(*path, "example"), schema, node["example"]
            for name, example in node.get("examples", {}).items():
                where = _pointer(*path, "examples", name)
                if "$ref" in example:
                    where, example = example["$ref"], _component(example["$ref"])
                if "value" in example:
                    yield where, schema, example["value"]
        elif isinstance(node.get("examples"), list):
            for index, value in enumerate(node["examples"]):
                yield _pointer(*path, "examples", str(index)), _pointer(*path), value
        for key, child in node.items():
            if path[:2] != ("components", "examples"):
                yield from _examples(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _examples(child, (*path, str(index)))


EXAMPLES = list(_examples(DOCUMENT))


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"] == "3.1.0"
    assert DOCUMENT["info"]["version"] == "0.1.0"
    validate(DOCUMENT)


@pytest.mark.parametrize(("path", "method", "operation_id"), OPERATIONS)
def test_operation_exists_with_its_operation_id(path: str, method: str, operation_id: str) -> None:
    """R-1: `/campaign`, `/campaign/{id}`; V-5: `/login/`, `/logout/`."""
    assert DOCUMENT["paths"][path][method]["operationId"] == operation_id


def test_no_other_operations() -> None:
    found = {(path, method) for path, method, _ in _operations()}
    assert found == {(path, method) for path, method, _ in OPERATIONS}


def test_examples_are_found() -> None:
    """Guards the walker below: success, V-3 failures and every V-4 failure have examples."""
    assert len(EXAMPLES) >= 40
    components = {f"#/components/examples/{name}" for name in DOCUMENT["components"]["examples"]}
    checked = {where for where, _, _ in EXAMPLES}
    assert components <= checked, "every component example must be used, hence validated"


@pytest.mark.parametrize(("where", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_validates_against_its_schema(where: str, schema: str, value: Any) -> None:
    errors = [e.message for e in _validator(schema).iter_errors(value)]
    assert not errors, f"{where} does not match {schema}: {errors}"


def test_failure_codes_are_the_nine_of_v3() -> None:
    """V-3 [profile]: `data.code` is one of exactly nine stable reasons."""
    data = DOCUMENT["components"]["schemas"]["Failure"]["properties"]["data"]
    codes = data["properties"]["code"]["enum"]
    assert sorted(codes) == sorted(FAILURE_CODES)
    assert {"error", "code"} <= set(data["required"])


def test_campaign_states_are_the_six_of_m1() -> None:
    """M-1: six states in responses; M-2: clients may ask for only three."""
    schemas = DOCUMENT["components"]["schemas"]
    assert sorted(schemas["CampaignState"]["enum"]) == sorted(STATES)
    assert schemas["Campaign"]["properties"]["state"] == {
        "$ref": "#/components/schemas/CampaignState"
    }
    assert sorted(schemas["ClientState"]["enum"]) == ["DRAFT", "READY", "SCHEDULED"]


def test_campaign_requires_every_r2_field() -> None:
    """R-2: the campaign's fields, and unknown ones allowed."""
    campaign = DOCUMENT["components"]["schemas"]["Campaign"]
    assert set(campaign["required"]) == {
        "id",
        "name",
        "domain",
        "list",
        "segments",
        "state",
        "when",
        "event_callback",
    }
    assert campaign.get("additionalProperties", True) is not False


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_id_is_named(rule: str) -> None:
    """Every rule V-1..V-5, R-1..R-3, Q-1..Q-6, M-1..M-5, C-1..C-4 is named somewhere."""
    text = OPENAPI_PATH.read_text(encoding="utf-8")
    assert re.search(rf"(?<![\w-]){re.escape(rule)}(?!\d)", text), rule


@pytest.mark.parametrize(("path", "method", "operation_id"), OPERATIONS)
def test_operation_documents_200_and_the_v4_statuses(
    path: str, method: str, operation_id: str
) -> None:
    """V-3: 200 is success or failure envelope; V-4: each earlier failure has its status."""
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert set(responses) == {"200", *PRE_APPLICATION_STATUSES}
    schema = responses["200"]["content"]["application/json"]["schema"]
    assert len(schema["oneOf"]) == 2
    for status, code in PRE_APPLICATION_STATUSES.items():
        ref = responses[status]["$ref"]
        content = _component(ref)["content"]["application/json"]
        assert content["schema"]["$ref"] == "#/components/schemas/Failure"
        at = _pointer(*ref[2:].split("/"), "content", "application/json", "schema")
        for other in FAILURE_CODES:
            envelope = {"success": False, "data": {"error": "x", "code": other, "errors": {}}}
            assert _validator(at).is_valid(envelope) is (other == code), (status, other)


def test_application_failure_is_the_envelope_with_three_codes() -> None:
    """V-3: the 200 failure is the one Failure envelope, `invalid`/`reference`/`conflict`,
    with `data.errors`."""
    at = _pointer("components", "schemas", "ApplicationFailure")
    assert _component(f"#{at}")["$ref"] == "#/components/schemas/Failure"
    for code in FAILURE_CODES:
        envelope = {"success": False, "data": {"error": "x", "code": code, "errors": {}}}
        assert _validator(at).is_valid(envelope) is (code in {"invalid", "reference", "conflict"})
    assert not _validator(at).is_valid(
        {"success": False, "data": {"error": "x", "code": "invalid"}}
    )


def test_failures_have_one_named_schema() -> None:
    """Generators make one type of the failure envelope: no inline copy of it anywhere."""
    text = OPENAPI_PATH.read_text(encoding="utf-8")
    assert "allOf" not in text
    assert text.count("$ref: '#/components/schemas/Failure'") == 7  # 6 V-4 responses + V-3


def test_401_carries_www_authenticate() -> None:
    """V-4 step 2: a 401 carries `WWW-Authenticate: Basic`."""
    header = DOCUMENT["components"]["responses"]["Unauthorized"]["headers"]["WWW-Authenticate"]
    assert header["required"] is True
    assert header["schema"]["pattern"] == "^Basic"


def test_security_is_basic_or_session_cookie() -> None:
    """V-5: HTTP Basic or the `sergiosgc_auth` session cookie; `/login/` needs neither."""
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {**schemes["basicAuth"], "type": "http", "scheme": "basic"}
    cookie = schemes["sessionCookie"]
    assert (cookie["type"], cookie["in"], cookie["name"]) == ("apiKey", "cookie", "sergiosgc_auth")
    assert DOCUMENT["security"] == [{"basicAuth": []}, {"sessionCookie": []}]
    assert DOCUMENT["paths"]["/login/"]["post"]["security"] == []


MEDIA_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json"]
BODY_SCHEMAS = {
    "CampaignCreate": ["CampaignCreateForm", "CampaignCreateMultipart", "CampaignCreateJson"],
    "CampaignUpdate": ["CampaignUpdateForm", "CampaignUpdateMultipart", "CampaignUpdateJson"],
    "Login": ["LoginForm", "LoginMultipart", "LoginJson"],
}


@pytest.mark.parametrize("body", ["CampaignCreate", "CampaignUpdate"])
def test_request_bodies_take_forms_and_json(body: str) -> None:
    """Q-1: form-encoded and multipart with a repeated `segments[]`, and JSON."""
    content = DOCUMENT["components"]["requestBodies"][body]["content"]
    assert list(content) == MEDIA_TYPES  # the seed's form first: generators take the first
    for media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        encoding = content[media_type]["encoding"]["segments[]"]
        assert (encoding["style"], encoding["explode"]) == ("form", True)


@pytest.mark.parametrize("body", list(BODY_SCHEMAS))
def test_each_media_type_has_its_own_schema(body: str) -> None:
    """A generator tells the encodings apart by type; multipart reads as the form does."""
    content = DOCUMENT["components"]["requestBodies"][body]["content"]
    refs = [content[media_type]["schema"]["$ref"] for media_type in MEDIA_TYPES]
    assert refs == [f"#/components/schemas/{name}" for name in BODY_SCHEMAS[body]]
    schemas = DOCUMENT["components"]["schemas"]
    form, multipart, _ = (
        {k: v for k, v in schemas[name].items() if k != "description"}
        for name in BODY_SCHEMAS[body]
    )
    assert form == multipart
    assert all("title" not in schemas[name] for name in BODY_SCHEMAS[body])


def test_login_bodies_are_the_same_fields() -> None:
    """V-5: `username` and `password`, whatever the encoding."""
    schemas = DOCUMENT["components"]["schemas"]
    bodies = [
        {k: v for k, v in schemas[n].items() if k != "description"} for n in BODY_SCHEMAS["Login"]
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["required"] == ["username", "password"]
    assert bodies[0]["additionalProperties"] is False
    assert DOCUMENT["paths"]["/login/"]["post"]["requestBody"] == {
        "$ref": "#/components/requestBodies/Login"
    }


CREATE = {"name": "Winter sale", "domain": 3, "list": 5}
FORM_CREATE = {"name": "W", "domain": "3", "list": "5"}


@pytest.mark.parametrize(
    ("schema", "body", "valid"),
    [
        ("CampaignCreateJson", CREATE, True),
        ("CampaignCreateJson", {**CREATE, "segments": [1, 2]}, True),
        # The conservative spec: what servers may read either way is left out (CONTRACT.md,
        # "Where servers may differ"): unknown members, ids as digit strings, empty values.
        ("CampaignCreateJson", {**CREATE, "unknown": 1}, False),
        ("CampaignCreateJson", {**CREATE, "domain": "3"}, False),
        ("CampaignCreateJson", {**CREATE, "segments": ["1"]}, False),
        ("CampaignCreateJson", {**CREATE, "when": "1767225600"}, False),
        ("CampaignCreateJson", {**CREATE, "when": None}, False),
        ("CampaignCreateJson", {**CREATE, "event_callback": ""}, False),
        ("CampaignCreateForm", {**FORM_CREATE, "domain": "03"}, False),
        ("CampaignCreateForm", {**FORM_CREATE, "when": ""}, False),
        ("CampaignCreateForm", {**FORM_CREATE, "segments[]": [""]}, False),
        ("CampaignCreateForm", {**FORM_CREATE, "": "x"}, False),
        ("CampaignUpdateJson", {"when": ""}, False),
        ("CampaignUpdateForm", {"name": "x", "colour": "red"}, False),
        ("CampaignCreateJson", {"name": "x", "domain": 3}, False),  # Q-4 list required
        ("CampaignCreateJson", {**CREATE, "name": " \t"}, False),  # Q-4 blank
        ("CampaignCreateJson", {**CREATE, "name": "x" * 256}, False),  # Q-4 too long
        ("CampaignCreateJson", {**CREATE, "state": "SENDING"}, False),  # M-2
        ("CampaignCreateJson", {**CREATE, "state": "READY"}, False),  # M-3 needs when
        ("CampaignCreateJson", {**CREATE, "state": "READY", "when": 1767225600}, True),
        ("CampaignCreateJson", {**CREATE, "event_callback": "ftp://x.example/"}, False),
        ("CampaignCreateForm", {**FORM_CREATE, "segments[]": ["1"]}, True),
        ("CampaignCreateForm", {**FORM_CREATE, "when": "1.5"}, False),
        ("CampaignUpdateJson", {"state": "SCHEDULED", "when": None}, False),  # M-3
        ("CampaignUpdateJson", {}, True),  # Q-5 partial update
        ("CampaignUpdateJson", {"list": 5}, False),  # Q-5 no list
        ("CampaignUpdateForm", {"list": 5}, False),  # Q-5 no list
        ("CampaignUpdateJson", {"when": None, "event_callback": None, "segments": []}, True),
        ("CampaignUpdateForm", {"when": "", "event_callback": "", "segments[]": [""]}, True),
        ("CampaignUpdateForm", {"when": None}, False),  # null is JSON only
    ],
)
def test_request_schemas_encode_q4_q5_m2_m3(
    schema: str, body: dict[str, Any], *, valid: bool
) -> None:
    assert _validator(_pointer("components", "schemas", schema)).is_valid(body) is valid


@pytest.mark.parametrize(
    ("when", "valid"),
    [
        (0, True),
        (253402300799, True),  # 9999-12-31T23:59:59Z
        (253402300800, False),  # years past 9999
        (-1, False),  # negative
        ("1767225600", False),  # JSON: a digit string is where servers may differ
        ("2026-12-01T10:00:00Z", True),
        ("2026-12-01T10:00:00.123+02:00", True),
        ("2026-12-01T10:00:00", True),  # no offset: UTC
        ("2026-12-01 10:00:00Z", False),  # a space: where servers may differ
        ("2026-12-01t10:00:00z", False),  # lower-case t/z: where servers may differ
        # ISO 8601 spellings outside RFC 3339 are invalid.
        ("2026-12-01T10:00Z", False),
        ("20261201T100000Z", False),
        ("2026-12-01T10:00:00+02", False),
        ("2026-12-01T10:00:00+0200", False),
        ("2026-W49-2", False),
        ("2026-335", False),
        ("2026-12-01", True),
        ("1969-12-31", False),  # a negative timestamp
        ("10000-01-01", False),
        ("2026-13-01", False),
        ("+1767225600", False),
        ("tomorrow", False),
        (1.5, False),
        (None, False),
    ],
)
def test_when_schema_encodes_q2(when: Any, *, valid: bool) -> None:
    assert _validator(_pointer("components", "schemas", "When")).is_valid(when) is valid


@pytest.mark.parametrize(
    ("when", "valid"),
    [
        ("1767225600", True),  # in a form, every `when` is text: digits are a timestamp
        ("0253402300799", True),
        ("253402300800", False),
        ("20261201", True),  # digits, so a timestamp, not a date (Q-2p)
        ("2026-12-01T12:00:00.5+02:00", True),
        ("2026-12-01 10:00:00", False),
        ("2026-12-01T10:00Z", False),
        ("", False),
    ],
)
def test_form_when_schema_encodes_q2(when: str, *, valid: bool) -> None:
    assert _validator(_pointer("components", "schemas", "WhenText")).is_valid(when) is valid


def test_callback_describes_c1_to_c4() -> None:
    """C-1..C-4: a form-encoded POST to `event_callback`, any 2xx acknowledges."""
    post = DOCUMENT["components"]["pathItems"]["CampaignEventDelivery"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
    assert set(post["responses"]) == {"2XX", "default"}
    for path, method in [("/campaign", "post"), ("/campaign/{id}", "put")]:
        callbacks = DOCUMENT["paths"][path][method]["callbacks"]
        # The callback in place (a callback that is a `$ref` stops openapi-python-client).
        assert callbacks == {
            "campaignEvent": {
                "{$request.body#/event_callback}": {
                    "$ref": "#/components/pathItems/CampaignEventDelivery"
                }
            }
        }
    event = _validator(_pointer("components", "schemas", "CallbackEvent"))
    sms = {"event": "bounced", "when": 1767225700, "telephone[0]": "+351912345678"}
    assert event.is_valid(sms)
    assert not event.is_valid({**sms, "event": "opened"})  # E-1: SMS has no opened
    assert not event.is_valid({**sms, "email[0]": "a@example.com"})  # C-2: one channel
    assert not event.is_valid({**sms, "telephone[1000]": "+351900000000"})  # C-2: <= 1000


@pytest.mark.parametrize("package", ["campaign_contract", "campaign_mock"])
def test_the_packaged_copies_are_the_document(package: str) -> None:
    """The suite generates from, and the mock serves, the very document checked here."""
    copy = OPENAPI_PATH.parent / "src" / package / "openapi.yaml"
    assert copy.read_bytes() == OPENAPI_PATH.read_bytes()
