"""openapi.yaml loaded once for the tests, with validators for any schema in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import referencing
import yaml
from referencing.jsonschema import DRAFT202012

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
BASE_URI = "urn:campaign-kit:openapi"


def _load() -> dict[str, Any]:
    with OPENAPI_PATH.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.safe_load(stream)
    return document


DOCUMENT = _load()
REGISTRY: referencing.Registry[Any] = referencing.Registry().with_resource(
    BASE_URI, DRAFT202012.create_resource(DOCUMENT)
)


def pointer(*segments: str) -> str:
    """A JSON pointer (RFC 6901), percent-encoded to sit in a URI fragment."""
    escaped = (s.replace("~", "~0").replace("/", "~1") for s in segments)
    return "".join("/" + quote(s, safe="~") for s in escaped)


def validator(at: str) -> jsonschema.Draft202012Validator:
    """A Draft 2020-12 validator for the schema at pointer `at`, resolving `$ref`s."""
    return jsonschema.Draft202012Validator(
        {"$ref": f"{BASE_URI}#{at}"},
        registry=REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def resolve(ref: str) -> Any:
    """The node a local `#/...` reference points at."""
    assert ref.startswith("#/"), ref
    node: Any = DOCUMENT
    for segment in ref[2:].split("/"):
        node = node[segment.replace("~1", "/").replace("~0", "~")]
    return node
