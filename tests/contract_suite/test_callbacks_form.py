"""Reading callback bodies: every departure from C-2 is noted, nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign_contract.judges.callback_form import parse_callback

FORM = "application/x-www-form-urlencoded"


def test_a_good_body_in_either_bracket_spelling() -> None:
    for key in ("email%5B{}%5D", "email[{}]"):
        body = f"event=delivered&when=1767225600&{key.format(0)}=a%40x.pt&{key.format(1)}=b%40x.pt"
        form = parse_callback(FORM, body.encode())
        assert (form.event, form.when, form.addresses) == (
            "delivered",
            1767225600,
            {"email": ["a@x.pt", "b@x.pt"]},
        )
        assert not form.problems and not form.profile_problems
        assert form.reports() == [
            ("email", "a@x.pt", "delivered"),
            ("email", "b@x.pt", "delivered"),
        ]


def test_sms_addresses_are_telephones() -> None:
    form = parse_callback(FORM + "; charset=utf-8", b"event=bounced&when=5&telephone%5B0%5D=%2B351")
    assert form.addresses == {"sms": ["+351"]} and not form.problems


def test_multipart_forms_are_forms_too() -> None:
    boundary = "XyZ"
    parts = [("event", "opened"), ("when", "7"), ("email[0]", "a@x.pt")]
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in parts
        )
        + f"--{boundary}--\r\n"
    )
    form = parse_callback(f"multipart/form-data; boundary={boundary}", body.encode())
    assert (form.event, form.when, form.addresses) == ("opened", 7, {"email": ["a@x.pt"]})
    assert not form.problems


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        ("application/json", b'{"event": "delivered"}', "not form-encoded"),
        (FORM, b"", "empty"),
        (FORM, b"when=1&email%5B0%5D=a", "no `event`"),
        (FORM, b"event=delivered&email%5B0%5D=a", "no `when`"),
        (FORM, b"event=delivered&when=1.5&email%5B0%5D=a", "not an integer"),
        (FORM, b"event=delivered&when=2026-01-01&email%5B0%5D=a", "not an integer"),
        (FORM, b"event=delivered&when=1", "no `email[N]`"),
        (FORM, b"event=delivered&when=1&email%5B%5D=a", "not `email[N]`"),
        (FORM, b"event=delivered&when=1&email=a", "not `email[N]`"),
        (FORM, b"event=delivered&when=1&email%5B0%5D=a&email%5B0%5D=b", "more than once"),
        (FORM, b"event=delivered&when=1&email%5B0%5D=", "is empty"),
        (FORM, b"event=delivered&event=delivered&when=1&email%5B0%5D=a", "more than once"),
        (FORM, "event=delivered&when=1&email[0]=á".encode(), "not ASCII"),
    ],
)
def test_seed_problems(content_type: str, body: bytes, problem: str) -> None:
    form = parse_callback(content_type, body)
    assert any(problem in p for p in form.problems), form.problems


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"event=delivered&when=1&email%5B1%5D=a", "from 0 without gaps"),
        (b"event=delivered&when=1&email%5B0%5D=a&email%5B2%5D=b", "from 0 without gaps"),
        (b"event=delivered&when=1&email%5B0%5D=a&telephone%5B0%5D=1", "both email and telephone"),
        (b"event=delivered&event=bounced&when=1&email%5B0%5D=a", "several event types"),
        (
            b"event=delivered&when=1&"
            + b"&".join(b"email%%5B%d%%5D=a%d" % (i, i) for i in range(1001)),
            "1001 addresses",
        ),
    ],
)
def test_profile_problems(body: bytes, problem: str) -> None:
    form = parse_callback(FORM, body)
    assert any(problem in p for p in form.profile_problems), form.profile_problems


@given(
    st.binary(max_size=300),
    st.sampled_from([FORM, "multipart/form-data; boundary=b", "text/plain", ""]),
)
def test_any_body_is_read_without_raising(body: bytes, content_type: str) -> None:
    form = parse_callback(content_type, body)
    assert form.problems or form.event is not None
