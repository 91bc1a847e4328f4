"""Targeted checks of request formats: encodings (Q-1), `when` spellings (Q-2), duplicates (Q-3)."""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import quote

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.shape import campaign_problem
from campaign_contract.schema.target import FUTURE, base_form, base_json, create, segment_ids
from campaign_contract.schema.when import parse_when
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import FORM, JSON

BOUNDARY = "cc-schema-boundary"


def _raw_form(pairs: list[tuple[str, str]], brackets: str = "[]") -> bytes:
    """Form-encode by hand: brackets as given (raw or percent-encoded), values quoted."""
    text = "&".join(
        f"{quote(k, safe='').replace('%5B%5D', brackets)}={quote(v, safe='')}" for k, v in pairs
    )
    return text.encode("utf-8")


def _multipart(pairs: list[tuple[str, str]]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in pairs
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode("utf-8")


def _created(t: Probe, rule: str, answer: Exchange, what: str) -> dict[str, Any] | None:
    """The campaign a POST made, recorded for cleanup; a finding on `rule` when it made none."""
    t.ctx.note_created(answer)
    data = answer.data()
    if answer.success() is not True or campaign_problem(data) is not None:
        t.fail(rule, f"{what} is not accepted: {answer.describe()}", answer)
        return None
    return data


def _expect_segments(t: Probe, rule: str, data: dict[str, Any] | None, want: list[int]) -> None:
    if data is not None and data.get("segments") != want:
        t.fail(rule, f"segments are {data.get('segments')!r}, expected {want!r}", t.exchanges[-1])


@check("Q-1", "Q-1p")
def form_multipart_and_json_bodies(t: Probe) -> None:
    """POST and PUT take form, multipart (`segments[]` repeated, brackets raw or %5B%5D), JSON."""
    segments = segment_ids(t)[:2]
    want = segments
    seg_pairs = [("segments[]", str(s)) for s in segments]
    for label, rule, body, ctype in (
        ("form, raw brackets", "Q-1", _raw_form(base_form(t, "q1 raw") + seg_pairs), FORM),
        ("form, %5B%5D", "Q-1", _raw_form(base_form(t, "q1 pct") + seg_pairs, "%5B%5D"), FORM),
        (
            "multipart",
            "Q-1",
            _multipart(base_form(t, "q1 multi") + seg_pairs),
            f"multipart/form-data; boundary={BOUNDARY}",
        ),
        (
            "indexed keys",
            "Q-1p",
            _raw_form(
                base_form(t, "q1 indexed")
                + [(f"segments[{i}]", str(s)) for i, s in enumerate(segments)]
            ),
            FORM,
        ),
        ("JSON", "Q-1p", json.dumps(base_json(t, "q1 json", segments=segments)).encode(), JSON),
    ):
        t.begin()
        answer = t.post("/campaign", body=body, headers={"Content-Type": ctype})
        _expect_segments(t, rule, _created(t, rule, answer, f"a {label} POST"), want)
    t.begin()
    _answer, ident = create(t, "q1 put")
    if ident is None:
        t.unexercised("Q-1", "no campaign could be created to PUT to")
        return
    for label, rule, body, ctype in (
        (
            "form",
            "Q-1",
            _raw_form([("name", t.ctx.campaign_name("q1 put form")), *seg_pairs]),
            FORM,
        ),
        ("JSON", "Q-1p", json.dumps({"segments": segments[::-1]}).encode(), JSON),
    ):
        answer = t.put(f"/campaign/{ident}", body=body, headers={"Content-Type": ctype})
        if answer.success() is not True:
            t.fail(rule, f"a {label} PUT is not accepted: {answer.describe()}", answer)
        elif rule == "Q-1p":
            _expect_segments(t, rule, answer.data(), segments[::-1])
        else:
            _expect_segments(t, rule, answer.data(), want)


SEED_WHENS: tuple[Any, ...] = (
    1_796_119_200,
    "1796119200",
    "2026-12-01T10:00:00Z",
    "2026-12-01T12:00:00+02:00",
)
PROFILE_WHENS: tuple[Any, ...] = (
    "2026-12-01T10:00:00.75Z",
    "2026-12-01T12:00:00.5+02:00",
    "2026-12-01T10:00:00",
    "2026-12-01",
    "20261201",
)
INVALID_WHENS: tuple[Any, ...] = (
    "-1",
    -1,
    "10000-01-01",
    "10000-01-01T00:00:00Z",
    "tomorrow",
    "2026-13-01",
    "253402300800",
)


@check("Q-2", "Q-2p", "R-2")
def when_spellings(t: Probe) -> None:
    """`when` as integer, digits, RFC 3339 (offset, fractions, none) or date; others invalid."""
    for rule, values in (("Q-2", SEED_WHENS), ("Q-2p", PROFILE_WHENS)):
        for value in values:
            t.begin()
            if isinstance(value, int):
                answer = t.post("/campaign", json=base_json(t, "q2", when=value))
            else:
                answer = t.post("/campaign", form=base_form(t, "q2", when=value))
            data = _created(t, rule, answer, f"when={value!r}")
            if data is None:
                continue
            if not isinstance(data.get("when"), int):
                t.fail("R-2", f"`when` comes back as {data.get('when')!r}", answer)
            elif data["when"] != parse_when(value):
                t.fail(
                    rule,
                    f"when={value!r} is stored as {data['when']}, expected {parse_when(value)}",
                    answer,
                )
    for value in INVALID_WHENS:
        t.begin()
        if isinstance(value, int):
            answer = t.post("/campaign", json=base_json(t, "q2 bad", when=value))
        else:
            answer = t.post("/campaign", form=base_form(t, "q2 bad", when=value))
        t.ctx.note_created(answer)
        if t.expect(answer.success() is False, "Q-2p", f"when={value!r} is accepted", answer):
            t.expect_code("Q-2p", answer, "invalid")


#: ISO 8601 spellings that RFC 3339 does not have (Q-2p: "anything else is invalid").
ISO_OUTSIDE_RFC3339: Final = (
    "2026-12-01T10:00Z",  # no seconds
    "2026-12-01T10Z",  # hours only
    "20261201T100000Z",  # basic format
    "2026-12-01T10:00:00+02",  # offset without minutes
    "2026-12-01T10:00:00+0200",  # basic offset
    "2026-W49-2",  # week date
    "2026-W49-2T10:00:00Z",
    "2026-335",  # ordinal date
    "2026-335T10:00:00Z",
    "2026-12",  # reduced precision
)


@check("Q-2p")
def when_iso_outside_rfc3339(t: Probe) -> None:
    """ISO 8601 spellings outside RFC 3339 (no seconds, basic, +02, week, ordinal): invalid."""
    for value in ISO_OUTSIDE_RFC3339:
        for label, kwargs in (
            ("form", {"form": base_form(t, "q2 iso", when=value)}),
            ("JSON", {"json": base_json(t, "q2 iso", when=value)}),
        ):
            t.begin()
            answer = t.post("/campaign", **kwargs)
            what = f"when={value!r} ({label})"
            if t.expect(
                answer.success() is False,
                "Q-2p",
                f"{what} is accepted: {answer.describe()}",
                answer,
            ):
                t.expect_code("Q-2p", answer, "invalid")


@check("Q-3", "Q-3p")
def duplicate_segments(t: Probe) -> None:
    """`segments[]` may repeat; duplicates collapse in first-occurrence order (form and JSON)."""
    own = segment_ids(t)
    if not own:
        t.skip("the first test list has no segments (config lists[0].segments)")
    first, second = own[-1], own[0]
    sent = [first, second, first, second, first] if first != second else [first, first]
    want = list(dict.fromkeys(sent))
    pairs = base_form(t, "q3") + [("segments[]", str(s)) for s in sent]
    answer = t.post("/campaign", form=pairs)
    _expect_segments(t, "Q-3p", _created(t, "Q-3", answer, "repeated segments[]"), want)
    t.begin()
    answer = t.post("/campaign", json=base_json(t, "q3 json", segments=sent))
    _expect_segments(t, "Q-3p", _created(t, "Q-3p", answer, "repeated JSON segments"), want)
    t.begin()
    _answer, ident = create(t, "q3 put", when=str(FUTURE))
    if ident is not None:
        answer = t.put(f"/campaign/{ident}", form=[("segments[]", str(s)) for s in sent])
        if t.expect(answer.success() is True, "Q-3", f"PUT refused: {answer.describe()}", answer):
            _expect_segments(t, "Q-3p", answer.data(), want)
