"""The fixtures' shape check (fixtures/shape.py) picks the error jsonschema would pick.

The base install has no jsonschema; this compares the two on documents drawn near the fixtures
schema (valid parts, wrong types, missing and unknown keys, out-of-range numbers), so the one
line a user reads stays what it was.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign_mock.domain.errors import FixturesError
from campaign_mock.fixtures.document import _SCHEMA, fixtures_from_document
from campaign_mock.fixtures.shape import KEYWORDS, best_error

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


def near(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Documents that follow `schema` more often than not, and break it in every way."""
    kinds = schema.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "enum" in schema:
        right = st.sampled_from(schema["enum"])
    elif "object" in kinds:
        props = schema.get("properties", {})
        required = schema.get("required", [])
        right = st.fixed_dictionaries(
            {k: near(props[k]) for k in required if k in props},
            optional={
                **{k: near(v) for k, v in props.items() if k not in required},
                "extra": JSON,
            },
        )
    elif "array" in kinds:
        right = st.lists(near(schema["items"]), max_size=3)
    elif "string" in kinds:
        right = st.text(max_size=4) | (st.none() if "null" in kinds else st.nothing())
    elif "integer" in kinds:
        right = st.integers(-1, 3) | st.sampled_from([1.0, 2.5, 10**30, True])
    else:
        right = st.booleans()
    return st.one_of(right, right, right, JSON)


def jsonschema_pick(document: object) -> Any:
    validator = jsonschema.Draft202012Validator(_SCHEMA)
    return jsonschema.exceptions.best_match(validator.iter_errors(document))


@settings(max_examples=400, deadline=None)
@given(near(_SCHEMA))
def test_the_error_is_the_one_jsonschema_picks(document: object) -> None:
    theirs, ours = jsonschema_pick(document), best_error(_SCHEMA, document)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None, theirs.message
    assert (ours.validator, ours.absolute_path) == (theirs.validator, tuple(theirs.absolute_path))
    assert ours.instance == theirs.instance and ours.schema == theirs.schema


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"accounts": [], "domains": []}, "fixtures: 'lists' is a required property"),
        (
            {"accounts": [{"username": "u", "password": ""}], "domains": [], "lists": []},
            "fixtures.accounts[0].password: must be at least 1 characters long",
        ),
        (
            {"accounts": [], "domains": [{"id": True, "name": "d"}], "lists": []},
            "fixtures.domains[0].id: must be an integer",
        ),
        (
            {"accounts": [], "domains": [], "lists": [], "payloads": ["email", "email"]},
            "fixtures.payloads: must not repeat an item",
        ),
        (
            {"accounts": [], "domains": [], "lists": [], "payloads": ["fax"]},
            "fixtures.payloads[0]: must be one of email, sms",
        ),
    ],
)
def test_a_bad_document_is_refused_on_one_line(document: object, message: str) -> None:
    with pytest.raises(FixturesError) as refused:
        fixtures_from_document(document)
    assert str(refused.value) == message


def test_every_keyword_of_the_schema_is_implemented() -> None:
    def keywords(schema: dict[str, Any]) -> set[str]:
        found = set(schema)
        for sub in schema.get("properties", {}).values():
            found |= keywords(sub)
        if isinstance(schema.get("items"), dict):
            found |= keywords(schema["items"])
        return found

    assert keywords(_SCHEMA) <= KEYWORDS
