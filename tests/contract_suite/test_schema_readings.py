"""How the schema layer classes a request body: valid under the strictest reading (must be
accepted), invalid under every reading (must be refused), or one servers may read either way
(judged on the wire alone). The four false failures of issue 8 are the last kind."""

from __future__ import annotations

import json
from typing import Any

import pytest

from campaign_contract.judges.requests import Sent, judge_body
from campaign_contract.judges.when import parse_when, relaxed_when

BASE = {"name": "Winter sale", "domain": 1, "list": 1}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _kind(method: str, path: str, body: bytes, content_type: str) -> tuple[str, set[int]]:
    sent = Sent(method, path.replace("{id}", "5"), body, content_type)
    judge_body(sent, path, method)
    if not sent.known:
        return "unknown", sent.wire_statuses
    kind = "valid" if sent.valid else "invalid" if sent.invalid else "either"
    return kind, sent.wire_statuses


def _json(body: dict[str, Any], method: str = "POST") -> str:
    path = "/campaign" if method == "POST" else "/campaign/{id}"
    return _kind(method, path, json.dumps(body).encode(), JSON)[0]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (BASE, "valid"),
        ({**BASE, "when": 1796119200}, "valid"),
        ({**BASE, "when": "2026-12-01T10:00:00Z"}, "valid"),
        # Issue 8's false failures: none of these may be expected accepted.
        ({**BASE, "domain": "1", "list": "1"}, "either"),
        ({**BASE, "when": "2026-12-01 10:00:00"}, "either"),
        ({**BASE, "when": 1796119200.0}, "either"),
        ({**BASE, "when": "2026-12-01t10:00:00z"}, "either"),
        ({**BASE, "segments": ["1"]}, "either"),
        ({**BASE, "colour": "red"}, "either"),
        ({**BASE, "event_callback": None}, "either"),
        ({**BASE, "state": "ready", "when": 1796119200}, "either"),
        # Invalid under every reading.
        ({**BASE, "when": 1796119200.5}, "invalid"),
        ({**BASE, "when": "2026-12-01T10:00Z"}, "invalid"),
        ({**BASE, "when": "20261201T100000Z"}, "invalid"),
        ({**BASE, "when": "2026-W49-2"}, "invalid"),
        ({**BASE, "when": "1970-01-01T00:00:00+01:00"}, "invalid"),  # negative: Q-2
        ({**BASE, "domain": True}, "invalid"),
        ({"name": "x", "domain": 1}, "invalid"),
    ],
)
def test_post_json(body: dict[str, Any], kind: str) -> None:
    assert _json(body) == kind


def test_list_in_a_put_is_invalid_under_every_reading() -> None:
    """`list` is no unknown parameter a lenient server may drop: Q-5p names it invalid."""
    assert _json({"list": 2}, "PUT") == "invalid"
    assert _json({"when": None}, "PUT") == "valid"
    assert _json({"when": ""}, "PUT") == "either"


def test_a_repeated_form_key_is_never_judged_beyond_the_wire() -> None:
    assert _kind("POST", "/campaign", b"name=a&domain=1&list=1&name=b", FORM)[0] == "unknown"


def test_an_empty_multipart_part_name_may_be_a_400() -> None:
    parts = [("name", "x"), ("domain", "1"), ("list", "1"), ("", "q")]
    body = "".join(
        f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts
    )
    kind, statuses = _kind(
        "POST", "/campaign", (body + "--B--\r\n").encode(), "multipart/form-data; boundary=B"
    )
    assert (kind, statuses) == ("either", {400})


def test_form_when_digits_and_leading_zeros_must_be_accepted() -> None:
    """Q-2: in a form, a string of digits is a timestamp, leading zeros and all."""
    body = b"name=x&domain=1&list=1&when=0001796119200"
    assert _kind("POST", "/campaign", body, FORM)[0] == "valid"
    assert _kind("POST", "/campaign", body.replace(b"domain=1", b"domain=01"), FORM)[0] == (
        "either"
    )


def test_the_strict_when_reading_and_its_relaxations() -> None:
    assert parse_when("2026-12-01T10:00:00Z") == 1_796_119_200
    assert parse_when("2026-12-01 10:00:00Z") is None
    assert parse_when(1_796_119_200.0) is None
    assert parse_when(relaxed_when("2026-12-01 10:00:00z")) == 1_796_119_200
    assert relaxed_when(1_796_119_200.0) == 1_796_119_200
    assert relaxed_when(1_796_119_200.5) == 1_796_119_200.5
