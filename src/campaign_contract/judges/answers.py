"""Judging one request's answer by what the request was: V-3 refusals, R-2/R-3, the Q rules
and M-2 (`judge_exchange`), for a generated case of the suite's or a client's request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.requests import ARRAY_KEY, Sent
from campaign_contract.judges.routes import path_class
from campaign_contract.judges.shape import FIELDS, campaign_problem, differences
from campaign_contract.judges.when import is_seed_spelling, parse_when
from campaign_contract.judges.wire import judge_answer
from campaign_contract.transport.exchange import Exchange

#: openapi.yaml's failure statuses before the application (V-4).
PRE_APPLICATION = (400, 404, 405, 413, 415)


class Part:
    """Every rule part the judgement of one generated request may report to.

    `schema.generated_requests` declares exactly `JUDGED`, built from this table, and this
    module and fuzz.py name rule parts only through it: no judgement can report to a part the
    check did not declare (`judges/wire.py`'s V-2 and V-4 are `ENVELOPE` and `WIRE`).
    """

    ENVELOPE: Final = "V-2"
    APPLICATION: Final = "V-3"
    WIRE: Final = "V-4"
    SHAPE: Final = "R-2"
    ANSWER: Final = "R-3"
    STATUS: Final = "R-3p"
    FORM: Final = "Q-1"
    JSON: Final = "Q-1p"
    WHEN: Final = "Q-2"
    WHEN_PROFILE: Final = "Q-2p"
    DUPLICATES: Final = "Q-3p"
    FIELDS: Final = "Q-4"
    PARTIAL: Final = "Q-5p"
    STATE: Final = "M-2"


JUDGED: Final[tuple[str, ...]] = tuple(
    value for name, value in vars(Part).items() if name.isupper() and isinstance(value, str)
)


def encoding_part(sent: Sent) -> str:
    return Part.JSON if sent.media_type == "application/json" else Part.FORM


def rules_for_fields(names: Iterable[str], sent: Sent, method: str) -> set[str]:
    """The rule parts (all in JUDGED) that say what a server must make of these fields."""
    found: set[str] = set()
    for name in names:
        value = (sent.fields or {}).get(name)
        if name in ("segments", ARRAY_KEY):
            found.add(encoding_part(sent))
        elif name == "when":
            found.add(Part.WHEN if is_seed_spelling(value) else Part.WHEN_PROFILE)
        elif name == "list" and method == "PUT":
            found.add(Part.PARTIAL)
        elif name == "state":
            found.add(Part.STATE)
        elif name in ("name", "domain", "list", "event_callback"):
            found.add(Part.FIELDS)
        else:
            found.add(encoding_part(sent))
    return found


def judge_invalid(t: Verdicts, sent: Sent, path_ok: bool, answer: Exchange, login: bool) -> None:
    """A request invalid under every reading: never `success: true`; 200 once the application
    ran (with several faults, any of their codes)."""
    what = f"{sent.method} {sent.path} with {'; '.join(sent.lenient_problems) or 'a bad path'}"
    if answer.success() is True:
        t.fail(Part.APPLICATION, f"schema-invalid request accepted: {what}", answer)
        for rule in rules_for_fields(sent.bad_fields, sent, sent.method):
            t.fail(rule, f"accepted although invalid: {what}", answer)
        return
    if not path_ok:
        t.expect_rejected(answer, 404, Part.WIRE)
        return
    if sent.fields is not None and not (login and answer.status == 401):
        if t.expect_status(Part.APPLICATION, answer, 200):
            t.expect_failure(Part.APPLICATION, answer)
    elif answer.status == 200:
        t.expect_failure(Part.APPLICATION, answer)


def judge_refusal(t: Verdicts, sent: Sent, answer: Exchange) -> None:
    """A request valid under the strictest reading may fail on references or state, never as
    `invalid`, and never before the application."""
    data = answer.data()
    what = f"{sent.method} {sent.path} ({sent.media_type or 'no body'})"
    if answer.status != 200:
        t.fail(
            encoding_part(sent),
            f"a valid request is refused before the application: {what}: {answer.describe()}",
            answer,
        )
        return
    if data.get("code") == "invalid":
        errors = data.get("errors")
        names = list(errors) if isinstance(errors, dict) and errors else ["body"]
        for rule in rules_for_fields(names, sent, sent.method):
            t.fail(rule, f"a valid request is called invalid: {what}: {answer.describe()}", answer)


def judge_campaign(t: Verdicts, answer: Exchange, ident: int | None) -> dict[str, Any] | None:
    """R-2 shape, R-3 (the campaign asked about), R-3p (HTTP 200); the campaign if it is one."""
    data = answer.data()
    t.expect_status(Part.STATUS, answer, 200)
    problem = campaign_problem(data)
    if problem is not None:
        t.fail(Part.SHAPE, f"{problem}: {answer.describe()}", answer)
        # A wrong field is R-2's; an answer without most of the campaign (only its id, say)
        # is no campaign at all, which R-3 forbids too.
        missing = [name for name in FIELDS if name not in data]
        if not isinstance(data.get("id"), int) or len(missing) * 2 >= len(FIELDS):
            t.fail(Part.ANSWER, f"the answer is not the campaign: {answer.describe()}", answer)
        return None
    if ident is not None and data["id"] != ident:
        t.fail(Part.ANSWER, f"asked about campaign {ident}, got {data['id']}", answer)
        return None
    return data


def expected_campaign(
    sent: Sent, before: Mapping[str, Any] | None, method: str
) -> dict[str, tuple[Any, str]]:
    """What each field must hold after a successful POST or PUT, and the rule that says so."""
    fields = sent.fields or {}
    json_body = sent.media_type == "application/json"
    out: dict[str, tuple[Any, str]] = {}
    keep = Part.PARTIAL

    def number(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return int(value) if isinstance(value, str) and value.isdigit() else value

    for name in ("domain", "list"):
        if name in fields and not (name == "list" and method == "PUT"):
            out[name] = (number(fields[name]), Part.ANSWER)
        elif before is not None:
            out[name] = (before[name], keep)
    if "name" in fields and sent.media_type != "multipart/form-data":
        out["name"] = (fields["name"], Part.ANSWER)
    elif "name" not in fields and before is not None:
        out["name"] = (before["name"], keep)
    raw_segments = fields.get("segments" if json_body else ARRAY_KEY)
    if raw_segments is not None:
        items = [number(s) for s in raw_segments if s != ""]
        deduped = list(dict.fromkeys(items))
        rule = Part.DUPLICATES if len(deduped) < len(items) else encoding_part(sent)
        out["segments"] = (deduped, rule)
    else:
        out["segments"] = (before["segments"], keep) if before is not None else ([], Part.ANSWER)
    if "state" in fields:
        out["state"] = (fields["state"], Part.STATE)
    else:
        out["state"] = (before["state"], keep) if before is not None else ("DRAFT", Part.FIELDS)
    if "when" in fields:
        raw = fields["when"]
        rule = (
            Part.WHEN
            if is_seed_spelling(raw)
            else (Part.PARTIAL if raw in ("", None) else Part.WHEN_PROFILE)
        )
        out["when"] = (None if raw in ("", None) else parse_when(raw), rule)
    elif before is not None:
        out["when"] = (before["when"], keep)
    if "event_callback" in fields:
        raw = fields["event_callback"]
        rule = Part.PARTIAL if not raw else Part.ANSWER
        out["event_callback"] = (None if raw in ("", None) else raw, rule)
    elif before is not None:
        out["event_callback"] = (before["event_callback"], keep)
    return out


def judge_echo(
    t: Verdicts, answer: Exchange, data: Mapping[str, Any], expected: Mapping[str, tuple[Any, str]]
) -> None:
    """Each field of the returned campaign holds what the request asked for (or kept)."""
    values = {name: value for name, (value, _rule) in expected.items()}
    sent_name, held_name = values.get("name"), data.get("name")
    if isinstance(sent_name, str) and isinstance(held_name, str):
        # CONTRACT.md does not say whether a server keeps surrounding whitespace of a name.
        values["name"] = held_name if held_name.strip() == sent_name.strip() else sent_name
    for name, message in differences(data, values).items():
        t.fail(expected[name][1], f"after {answer.method} {answer.url}: {message}", answer)


#: Where a READY campaign may go by itself (M-4), so an answer may already show it.
SERVER_MOVES = frozenset({"SENDING", "DONE", "ERROR"})


def judge_exchange(
    v: Verdicts,
    sent: Sent,
    answer: Exchange,
    before: Mapping[str, Any] | None,
    ident: int | None,
    *,
    server_moves: bool = False,
) -> bool:
    """Judge one request (`sent`, read by `judge_body`) by its answer: the wire, then routing,
    the readings of the body, and a success's campaign. `before` is the campaign `ident` as
    last seen (a PUT's fields are kept from it), `ident` the campaign the path names when the
    judge knows it. `server_moves`: a READY asked for may already show SENDING, DONE or
    ERROR (M-4: its `when` may have come; the suite's own requests set a future one). False
    when the answer was no envelope to judge past the wire."""
    template = sent.template or ""
    path_ok, path_known = path_class(template, sent.path, ident)
    login = template == "/login/"
    if not judge_answer(v, answer):
        return False
    if not path_ok:
        judge_invalid(v, sent, path_ok, answer, login)
    elif not path_known:
        pass  # an id some server may route and another answer 404: the wire alone
    elif answer.status in sent.wire_statuses:
        v.expect_failure(Part.WIRE, answer)  # a reading that refuses before the application
    elif sent.invalid:
        judge_invalid(v, sent, path_ok, answer, login)
    elif sent.valid and answer.success() is False and not login:
        judge_refusal(v, sent, answer)
    elif sent.valid and answer.success() is True and template.startswith("/campaign"):
        data = judge_campaign(v, answer, ident)
        # A PUT keeps what it does not name: judged only against a campaign seen before it.
        if data is not None and (sent.method == "POST" or (sent.method == "PUT" and before)):
            kept = before if sent.method == "PUT" else None
            expected = expected_campaign(sent, kept, sent.method)
            asked = expected.get("state", ("",))[0]
            if server_moves and asked == "READY" and data.get("state") in SERVER_MOVES:
                expected = {k: e for k, e in expected.items() if k != "state"}
            judge_echo(v, answer, data, expected)
    return True
