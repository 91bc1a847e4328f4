"""R-2 and R-3 on every answer that carries a campaign: POST in each body type, GET and DELETE
in each state a client can set, PUT in each body type; with `when`, `event_callback` and
`segments` set and unset."""

from __future__ import annotations

from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.shape import FIELDS
from campaign_contract.schema.bodies import send
from campaign_contract.schema.target import FUTURE, base_json, segment_ids
from campaign_contract.transport.exchange import Exchange

CALLBACK: Final = "https://hooks.example/cb?k=v"
#: Per campaign: the body type it is POSTed and PUT in, its state, and whether its optional
#: fields are set (READY and SCHEDULED need `when`, M-3).
PLAN: Final = (("form", "DRAFT", False), ("multipart", "SCHEDULED", True), ("JSON", "READY", True))
METHODS: Final = ("POST", "GET", "PUT", "DELETE")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_problems(data: dict[str, Any], sent_when: int | None) -> dict[str, str | None]:
    """Each R-2 clause's problem with this campaign (None: it holds)."""
    segments = data.get("segments")
    when = data.get("when")
    callback = data.get("event_callback")
    return {
        "R-2.data-is-the-campaign": (
            None
            if all(name in data for name in FIELDS)
            else f"the campaign lacks {[n for n in FIELDS if n not in data]}"
        ),
        "R-2.id-is-an-integer": None if _is_int(data.get("id")) else "`id` is not an integer",
        "R-2.domain-is-an-integer": None
        if _is_int(data.get("domain"))
        else "`domain` is not an integer",
        "R-2.list-is-an-integer": None if _is_int(data.get("list")) else "`list` is not an integer",
        "R-2.segment-items-are-integers": None
        if isinstance(segments, list) and all(_is_int(s) for s in segments)
        else f"`segments` items are not integers: {segments!r}",
        "R-2.segments-is-always-an-array": None
        if isinstance(segments, list)
        else f"`segments` is {segments!r}, not an array",
        "R-2.when-is-an-integer": None
        if when is None or _is_int(when)
        else f"`when` is {when!r}, not an integer",
        "R-2.when-is-in-seconds": None
        if when == sent_when
        else f"`when` is {when!r}, expected {sent_when!r} (seconds)",
        "R-2.when-is-null-when-unset": None
        if when is None or _is_int(when)
        else f"`when` is {when!r}, neither an integer nor null",
        "R-2.event-callback-is-text-or-null": None
        if callback is None or isinstance(callback, str)
        else f"`event_callback` is {callback!r}, neither a text nor null",
    }


def _judge_shape(t: Probe, answer: Exchange, method: str, sent: dict[str, Any]) -> None:
    data = answer.data()
    set_ = sent.get("when") is not None
    cells = {
        "R-2.when-is-null-when-unset": {"when": "set" if set_ else "unset"},
        "R-2.segments-is-always-an-array": {"segments": "some" if sent["segments"] else "none"},
        "R-2.event-callback-is-text-or-null": {"callback": "set" if set_ else "unset"},
    }
    for clause, problem in _type_problems(data, sent.get("when")).items():
        if clause == "R-2.segment-items-are-integers" and not sent["segments"]:
            continue  # no item to judge
        t.exercised(clause, method=method, **cells.get(clause, {}))
        if problem is not None:
            t.fail("R-2", f"{method}: {problem}: {answer.describe()}", answer)


def _judge_answer(t: Probe, answer: Exchange, method: str, ident: int | None, **cell: str) -> bool:
    """R-3: the campaign (this one), R-3p: HTTP 200; True when R-2 can judge it."""
    kind = method.lower()
    status_clause = f"R-3.{kind}-is-200"
    t.exercised(status_clause, **cell)
    t.expect_status("R-3p", answer, 200)
    data = answer.data()
    clause = (
        "R-3.delete-returns-the-deleted-campaign"
        if kind == "delete"
        else f"R-3.{kind}-returns-the-campaign"
    )
    t.exercised(clause, **cell)
    ok = answer.success() is True and _is_int(data.get("id")) and "state" in data
    if ok and ident is not None:
        ok = data["id"] == ident
    return t.expect(
        ok, "R-3", f"{method} does not return the campaign: {answer.describe()}", answer
    )


@check("R-2", "R-3", "R-3p")
def campaign_on_every_answer(t: Probe) -> None:
    """Every answer carrying a campaign (POST, GET, PUT, DELETE) is the campaign, each field of
    its type, with HTTP 200: created in form, multipart and JSON, in DRAFT, SCHEDULED and
    READY, with `when`, `event_callback` and `segments` set and unset."""
    own = segment_ids(t)
    if not own:
        t.cannot("R-2.segment-items-are-integers", "the first test list has no segments")
        t.cannot("R-2.segments-is-always-an-array", "no segments", segments="some")
    made: list[tuple[str, str, int, dict[str, Any]]] = []
    for body, state, full in PLAN:
        sent: dict[str, Any] = {**base_json(t, f"answers {body}"), "state": state, "segments": []}
        if full:
            sent.update(when=FUTURE, event_callback=CALLBACK, segments=own[:2])
        t.begin()
        answer = send(t, "POST", "/campaign", sent, body)
        if not _judge_answer(t, answer, "POST", None, body=body):
            continue
        _judge_shape(t, answer, "POST", sent)
        made.append((body, state, answer.data()["id"], sent))
    for body, state, ident, sent in made:
        path = f"/campaign/{ident}"
        t.begin()
        answer = t.get(path)
        if _judge_answer(t, answer, "GET", ident, state=state):
            _judge_shape(t, answer, "GET", sent)
        name = t.ctx.campaign_name(f"answers {body} renamed")
        answer = send(t, "PUT", path, {"name": name}, body)
        if _judge_answer(t, answer, "PUT", ident, body=body):
            _judge_shape(t, answer, "PUT", sent)
        answer = t.delete(path)
        if _judge_answer(t, answer, "DELETE", ident, state=state):
            _judge_shape(t, answer, "DELETE", sent)
