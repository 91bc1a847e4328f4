"""Request parameters: encodings, arrays, `when`, partial PUT, references (Q-1..Q-6)."""

from __future__ import annotations

import pytest

from .conftest import FUTURE, Api

FORM = "application/x-www-form-urlencoded"


def _form(api: Api, method: str, path: str, body: str) -> dict[str, object]:
    answer = api.call(method, path, data=body, content_type=FORM)
    assert answer.status == 200
    return dict(answer.body)


def test_Q1_form_urlencoded_with_repeated_segments(api: Api) -> None:
    """Q-1: form-encoded POST with `segments[]` repeated (brackets percent-encoded too)."""
    body = _form(api, "POST", "/campaign", "name=A&domain=1&list=1&segments%5B%5D=2&segments[]=1")
    assert body["success"] is True
    assert body["data"]["segments"] == [2, 1]  # type: ignore[index]


def test_Q1_multipart(api: Api) -> None:
    """Q-1: multipart/form-data with repeated `segments[]`."""
    answer = api.call(
        "POST",
        "/campaign",
        data={"name": "M", "domain": "1", "list": "1", "segments[]": ["1", "2"]},
        content_type="multipart/form-data",
    )
    assert answer.ok and answer.data["segments"] == [1, 2]


def test_Q1_indexed_keys_and_json(api: Api) -> None:
    """Q-1 [profile]: indexed `segments[0]`, `segments[1]` and JSON arrays are accepted."""
    body = _form(api, "POST", "/campaign", "name=I&domain=1&list=1&segments[1]=1&segments[0]=2")
    assert body["data"]["segments"] == [2, 1]  # type: ignore[index]
    assert api.create(segments=[1, 2]).data["segments"] == [1, 2]


def test_Q1_mixed_spellings_are_invalid(api: Api) -> None:
    """Q-1: one array spelled two ways is ambiguous: invalid, naming `segments`."""
    body = _form(api, "POST", "/campaign", "name=I&domain=1&list=1&segments[0]=2&segments[]=1")
    assert body["success"] is False
    assert "segments" in body["data"]["errors"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (1767225600, 1767225600),
        ("1767225600", 1767225600),
        ("2026-01-01T00:00:00Z", 1767225600),
        ("2026-01-01T02:00:00+02:00", 1767225600),
        ("2026-01-01T00:00:00.987Z", 1767225600),
        ("2026-01-01T00:00:00", 1767225600),
        ("2026-01-01", 1767225600),
        ("0", 0),
        (253402300799, 253402300799),
    ],
)
def test_Q2_when_forms(api: Api, when: object, expected: int) -> None:
    """Q-2: Unix seconds (int or digits) or RFC 3339 date-time/date; no offset is UTC."""
    answer = api.create(when=when)
    assert answer.ok, answer.body
    assert answer.data["when"] == expected


@pytest.mark.parametrize(
    "when",
    [
        -1,
        "-1",
        1.5,
        "1.5",
        True,
        "tomorrow",
        "2026-13-01",
        "2026-02-30",
        "2026-01-01T25:00:00Z",
        "10000-01-01",
        253402300800,
        "1969-12-31T23:59:59Z",
        "2026-W01",
        "2026-01-01T00:00Z",
        [],
        {},
    ],
)
def test_Q2_bad_when_is_invalid(api: Api, when: object) -> None:
    """Q-2: negative timestamps, years past 9999 and anything else are invalid."""
    answer = api.create(when=when)
    assert answer.code == "invalid"
    assert "when" in answer.data["errors"]


def test_Q2_form_when_digits(api: Api) -> None:
    """Q-2: in a form body, a string of digits is a Unix timestamp."""
    body = _form(api, "POST", "/campaign", f"name=W&domain=1&list=1&when={FUTURE}")
    assert body["data"]["when"] == FUTURE  # type: ignore[index]


def test_Q3_duplicate_segments_collapse_in_order(api: Api) -> None:
    """Q-3: `segments[]` may repeat; duplicates collapse, first occurrence kept."""
    body = _form(
        api, "POST", "/campaign", "name=D&domain=1&list=1&segments[]=2&segments[]=1&segments[]=2"
    )
    assert body["data"]["segments"] == [2, 1]  # type: ignore[index]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": 5}, "name"),
        ({"domain": None}, "domain"),
        ({"domain": "1a"}, "domain"),
        ({"domain": -3}, "domain"),
        ({"domain": 1.5}, "domain"),
        ({"domain": True}, "domain"),
        ({"list": [1]}, "list"),
        ({"segments": "1"}, "segments"),
        ({"segments": [1, "x"]}, "segments"),
        ({"state": "draft"}, "state"),
        ({"state": "PAUSED"}, "state"),
        ({"event_callback": "ftp://x/"}, "event_callback"),
        ({"event_callback": "/relative"}, "event_callback"),
        ({"event_callback": "http://"}, "event_callback"),
        ({"event_callback": "https://x/" + "a" * 2048}, "event_callback"),
        ({"event_callback": "https://x/a b"}, "event_callback"),
        ({"event_callback": 7}, "event_callback"),
    ],
)
def test_Q4_invalid_fields_are_named(api: Api, fields: dict[str, object], field: str) -> None:
    """Q-4: field types and ranges; the failure names the field (V-3)."""
    answer = api.create(**fields)
    assert answer.code == "invalid", answer.body
    assert field in answer.data["errors"]
    assert api.get(1).status == 404


def test_Q4_integral_json_numbers_are_integers(api: Api) -> None:
    """Q-4: JSON Schema's integer (openapi.yaml) includes 1.0; the mock agrees."""
    answer = api.create(domain=1.0, list=1.0, segments=[2.0], when=1767225600.0)
    assert answer.ok, answer.body
    data = answer.data
    assert (data["domain"], data["segments"], data["when"]) == (1, [2], 1767225600)


def test_Q4_required_fields(api: Api) -> None:
    """Q-4: POST requires name, domain and list; each missing one is named."""
    answer = api.call("POST", "/campaign", json={})
    assert answer.code == "invalid"
    assert set(answer.data["errors"]) == {"name", "domain", "list"}


def test_Q4_accepts_unicode_and_limits(api: Api) -> None:
    """Q-4: 255 characters of any script, a 2048-character callback with a query string."""
    name = "ção 🎉 " + "x" * 248
    callback = "https://hooks.example/cb?k=v&x=%20" + "a" * (2048 - 34)
    answer = api.create(name=name, event_callback=callback)
    assert answer.ok, answer.body
    assert answer.data["name"] == name and answer.data["event_callback"] == callback


def test_Q4_duplicate_keys_are_invalid(api: Api) -> None:
    """Q-4: a key sent twice is ambiguous: invalid, in form and JSON bodies."""
    body = _form(api, "POST", "/campaign", "name=a&name=b&domain=1&list=1")
    assert body["success"] is False and "name" in body["data"]["errors"]  # type: ignore[operator]
    answer = api.call(
        "POST",
        "/campaign",
        data='{"name": "a", "domain": 1, "list": 1, "domain": 1}',
        content_type="application/json",
    )
    assert answer.code == "invalid" and "domain" in answer.data["errors"]


def test_Q5_put_is_partial(api: Api) -> None:
    """Q-5: parameters not sent keep their value."""
    created = api.create(segments=[1], when=FUTURE, event_callback="https://h.example/cb").data
    updated = api.update(created["id"], name="New").data
    assert updated == {**created, "name": "New"}


def test_Q5_list_in_put_is_invalid(api: Api) -> None:
    """Q-5: PUT has no `list` parameter."""
    ident = api.create().data["id"]
    answer = api.update(ident, list=1)
    assert answer.code == "invalid" and "list" in answer.data["errors"]


def test_Q5_clearing_fields(api: Api) -> None:
    """Q-5: empty callback, JSON null, empty segments and empty when clear their field."""
    ident = api.create(segments=[1, 2], when=FUTURE, event_callback="https://h.example/").data["id"]
    cleared = api.update(ident, event_callback=None, segments=[], when=None).data
    assert (cleared["event_callback"], cleared["segments"], cleared["when"]) == (None, [], None)
    ident = api.create(segments=[1], when=FUTURE, event_callback="https://h.example/").data["id"]
    body = _form(api, "PUT", f"/campaign/{ident}", "event_callback=&segments[]=&when=")
    data = body["data"]
    assert (data["event_callback"], data["segments"], data["when"]) == (None, [], None)  # type: ignore[index]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"domain": 2}, "domain"),  # exists, not bouncing
        ({"domain": 99}, "domain"),
        ({"domain": 0}, "domain"),
        ({"list": 99}, "list"),
        ({"list": 99999999999999999999}, "list"),
        ({"segments": [3]}, "segments"),  # segment of list 2
        ({"segments": [1, 42]}, "segments"),
    ],
)
def test_Q6_references_must_resolve(api: Api, fields: dict[str, object], field: str) -> None:
    """Q-6: a bouncing domain, an existing list, segments within it; else code reference."""
    answer = api.create(**fields)
    assert answer.code == "reference", answer.body
    assert field in answer.data["errors"]


def test_Q6_references_checked_on_put(api: Api) -> None:
    """Q-6: PUT checks domain and segments against the campaign's list."""
    ident = api.create(list=2).data["id"]
    assert api.update(ident, segments=[1]).code == "reference"
    assert api.update(ident, domain=2).code == "reference"
    assert api.update(ident, segments=[3]).data["segments"] == [3]


def test_Q1_multipart_part_with_an_unreadable_name_is_ignored(api: Api) -> None:
    """Q-1: a part whose name cannot be read is an unknown parameter: ignored, never a 5xx."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="\x01\\"\r\n\r\ntrue\r\n'
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nN\r\n'
        b'--b\r\nContent-Disposition: form-data; name="domain"\r\n\r\n1\r\n'
        b'--b\r\nContent-Disposition: form-data; name="list"\r\n\r\n1\r\n--b--\r\n'
    )
    answer = api.call(
        "POST", "/campaign", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert answer.ok, answer.body
    assert answer.data["name"] == "N"
