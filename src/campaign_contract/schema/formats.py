"""Targeted checks of request formats: encodings (Q-1) and duplicates (Q-3); `when`'s
spellings (Q-2) are in spellings.py."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.shape import campaign_problem
from campaign_contract.schema.target import FUTURE, base_form, base_json, create, segment_ids
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import FORM, JSON

BOUNDARY = "cc-schema-boundary"


def _raw_form(pairs: list[tuple[str, str]], brackets: str = "[]") -> bytes:
    """Form-encode by hand: brackets as given (raw or percent-encoded), values quoted."""
    text = "&".join(
        f"{quote(k, safe='').replace('%5B%5D', brackets)}={quote(v, safe='')}" for k, v in pairs
    )
    return text.encode("utf-8")


def multipart(pairs: list[tuple[str, str]]) -> bytes:
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
            multipart(base_form(t, "q1 multi") + seg_pairs),
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
