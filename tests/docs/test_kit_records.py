"""The kit's records, as docs/integrator.md (*What the records hold*) lists them: a user who
guessed `callback.url` or `attempt["outcome"]` had nothing to read. Each table there must be
its dataclass's fields, in order, with their types and docstrings; and each field is used
here on what a real send made (the pytest plugin's `campaign_mock` and `callback_sink`)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from tests.serving import AnsweringReceiver, free_port

from campaign_mock import CallbackSink, CampaignMock

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrator.md"
TABLE = re.compile(r"<!-- fields: (?P<name>[\w.]+) -->\n(?P<rows>(?:\|.*\n)+)")
CALLBACK = "campaign_mock.testing.sink.Callback"
EVENT = "campaign_mock.testing.sink.ReceivedEvent"
ATTEMPT = "campaign_mock.domain.deliveries.Attempt"
RECORDS = {CALLBACK, EVENT, ATTEMPT}


def documented() -> dict[str, list[tuple[str, str, str]]]:
    """(field, type, text) of each table of the guide, by the record it names."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    for found in TABLE.finditer(GUIDE.read_text("utf-8")):
        rows = found["rows"].splitlines()[2:]  # past the header and its rule
        cells = [re.split(r"(?<!\\)\|", row)[1:-1] for row in rows]
        tables[found["name"]] = [
            (name.strip().strip("`"), kind.strip().strip("`").replace("\\|", "|"), text.strip())
            for name, kind, text in cells
        ]
    return tables


def record(name: str) -> type:
    module, _, attribute = name.rpartition(".")
    found: type = getattr(importlib.import_module(module), attribute)
    return found


def docstrings(kind: type) -> dict[str, str]:
    """Each field's docstring: the string just below it in the class body."""
    body = ast.parse(textwrap.dedent(inspect.getsource(kind))).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    for field, after in zip(body.body, body.body[1:], strict=False):
        named = isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
        if named and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            assert isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
            found[field.target.id] = " ".join(str(after.value.value).split())
    return found


def test_the_guide_lists_each_records_fields_as_their_docstrings_say() -> None:
    tables = documented()
    assert set(tables) == RECORDS
    for name, rows in tables.items():
        kind = record(name)
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        fields = dataclasses.fields(kind)
        assert [row[0] for row in rows] == [f.name for f in fields], name
        assert [row[1] for row in rows] == [str(f.type) for f in fields], name
        said = docstrings(kind)
        assert [row[2] for row in rows] == [said.get(f.name) for f in fields], name


#: What a real send made: the sink, its callbacks and events, the campaign's attempts.
Made = dict[str, Any]
#: A use of each field of each record: a check on what the send made, by record and field.
USES: dict[str, dict[str, Callable[[Made], None]]] = {}


def uses(name: str, field: str) -> Callable[[Callable[[Made], None]], Callable[[Made], None]]:
    def register(check: Callable[[Made], None]) -> Callable[[Made], None]:
        USES.setdefault(name, {})[field] = check
        return check

    return register


@uses(CALLBACK, "target")
def _callback_target(made: Made) -> None:
    path = urlsplit(made["sink"].url).path
    assert {c.target for c in made["callbacks"]} == {f"{path}?campaign=docs"}


@uses(CALLBACK, "body")
def _callback_body(made: Made) -> None:
    for callback in made["callbacks"]:
        form = parse_qsl(callback.body.decode("ascii"))
        assert form[:2] == [("event", callback.event), ("when", str(callback.when))]


@uses(CALLBACK, "status")
def _callback_status(made: Made) -> None:
    assert [c.status for c in made["callbacks"]][:1] == [503]  # the sink said 503, then 200
    assert {c.status for c in made["callbacks"]} == {503, 200}


@uses(EVENT, "campaign")
def _event_campaign(made: Made) -> None:
    assert {e.campaign for e in made["events"]} == {"docs"}


@uses(EVENT, "event")
def _event_event(made: Made) -> None:
    assert {e.event for e in made["events"]} >= {"submitted", "delivered"}


@uses(EVENT, "channel")
def _event_channel(made: Made) -> None:
    assert {e.channel for e in made["events"]} == {"email", "sms"}


@uses(EVENT, "address")
def _event_address(made: Made) -> None:
    contacts = made["mock"].fixtures.lists[0].contacts
    known = {c.email for c in contacts} | {c.telephone for c in contacts}
    assert {e.address for e in made["events"]} <= known


@uses(EVENT, "when")
def _event_when(made: Made) -> None:
    sent = {(c.event, c.when) for c in made["callbacks"]}
    assert all((e.event, e.when) in sent for e in made["events"])


def first_and_retry(made: Made) -> tuple[Any, Any]:
    """The failed first attempt at the first batch, and its retry."""
    first, retry = [a for a in made["attempts"] if a.batch == made["attempts"][0].batch][:2]
    return first, retry


@uses(ATTEMPT, "batch")
def _attempt_batch(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert first.batch == retry.batch and len({a.batch for a in made["attempts"]}) > 1


@uses(ATTEMPT, "attempt")
def _attempt_attempt(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert (first.attempt, retry.attempt) == (1, 2)


@uses(ATTEMPT, "kind")
def _attempt_kind(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert (first.kind, retry.kind) == ("first", "retry")


@uses(ATTEMPT, "campaign")
def _attempt_campaign(made: Made) -> None:
    assert {a.campaign for a in made["attempts"]} == {made["ident"]}


@uses(ATTEMPT, "channel")
def _attempt_channel(made: Made) -> None:
    assert {a.channel for a in made["attempts"]} == {"email", "sms"}


@uses(ATTEMPT, "event")
def _attempt_event(made: Made) -> None:
    acknowledged = [a for a in made["attempts"] if a.outcome == "acknowledged"]
    assert sorted(a.event for a in acknowledged) == sorted(
        c.event for c in made["callbacks"] if c.status == 200
    )


@uses(ATTEMPT, "url")
def _attempt_url(made: Made) -> None:
    assert {a.url for a in made["attempts"]} == {made["sink"].url_for("docs")}


@uses(ATTEMPT, "when")
def _attempt_when(made: Made) -> None:
    assert {(a.event, a.when) for a in made["attempts"]} == {
        (c.event, c.when) for c in made["callbacks"]
    }


@uses(ATTEMPT, "count")
def _attempt_count(made: Made) -> None:
    assert sum(a.count for a in made["attempts"] if a.outcome == "acknowledged") == len(
        made["events"]
    )


@uses(ATTEMPT, "due_at")
def _attempt_due_at(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert first.due_at == retry.due_at <= first.at


@uses(ATTEMPT, "at")
def _attempt_at(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert first.at < first.retry_at <= retry.at


@uses(ATTEMPT, "status")
def _attempt_status(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert (first.status, retry.status) == (503, 200)
    assert {a.status for a in made["unreachable"]} == {None}


@uses(ATTEMPT, "error")
def _attempt_error(made: Made) -> None:
    assert {a.error for a in made["attempts"]} == {None}  # every one was answered
    assert all(a.error for a in made["unreachable"])  # nothing listened there


@uses(ATTEMPT, "latency_ms")
def _attempt_latency_ms(made: Made) -> None:
    assert all(a.latency_ms >= 0 for a in made["attempts"])


@uses(ATTEMPT, "outcome")
def _attempt_outcome(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert (first.outcome, retry.outcome) == ("failed", "acknowledged")
    assert made["unreachable"][-1].outcome == "given_up"


@uses(ATTEMPT, "retry_at")
def _attempt_retry_at(made: Made) -> None:
    first, retry = first_and_retry(made)
    assert first.retry_at > first.at and retry.retry_at is None
    assert made["unreachable"][-1].retry_at is None


#: What the answering receiver says to every callback: a header of its own, and a body longer
#: than the 1024 bytes an attempt keeps.
SAID = ("X-Receiver", "hooks-7")
ANSWER = b'{"received": true, "note": "' + b"x" * 1500 + b'"}'


@uses(ATTEMPT, "answer_headers")
def _attempt_answer_headers(made: Made) -> None:
    assert made["answered"] and all(SAID in a.answer_headers for a in made["answered"])
    assert all(("Content-Length", "0") in a.answer_headers for a in made["attempts"])  # the sink's
    assert {a.answer_headers for a in made["unreachable"]} == {()}  # no answer came


@uses(ATTEMPT, "answer_body")
def _attempt_answer_body(made: Made) -> None:
    assert {a.answer_body for a in made["answered"]} == {ANSWER[:1024]}
    assert {a.answer_body for a in made["attempts"]} == {b""}  # the sink answers no body
    assert {a.answer_body for a in made["unreachable"]} == {b""}


@pytest.mark.campaign_mock(frozen_at="2030-01-01T09:00:00Z")
def test_each_field_of_each_record_means_what_the_guide_says(
    campaign_mock: CampaignMock, callback_sink: CallbackSink
) -> None:
    assert {name: set(checks) for name, checks in USES.items()} == {
        name: {row[0] for row in rows} for name, rows in documented().items()
    }, "a check per documented field"
    ident = create(campaign_mock, callback_sink.url_for("docs"))
    elsewhere = create(campaign_mock, f"http://127.0.0.1:{free_port()}/hook")  # nobody there
    with AnsweringReceiver(202, [SAID], ANSWER) as receiver:
        answering = create(campaign_mock, receiver.url)
        callback_sink.status = 503  # the first callback fails, and is retried
        campaign_mock.clock.advance(60)
        assert callback_sink.callbacks, "advance() returns once what fell due was answered"
        callback_sink.status = 200
        campaign_mock.settle()
    deliveries = campaign_mock.deliveries
    made: Made = {
        "mock": campaign_mock,
        "sink": callback_sink,
        "ident": ident,
        "callbacks": callback_sink.callbacks,
        "events": callback_sink.events(),
        "attempts": [a for a in deliveries if a.campaign == ident],
        "unreachable": [a for a in deliveries if a.campaign == elsewhere],
        "answered": [a for a in deliveries if a.campaign == answering],
    }
    for name, checks in USES.items():
        for field, check in checks.items():
            try:
                check(made)
            except AssertionError as exc:
                raise AssertionError(f"{name}.{field}: {exc}") from exc


def create(mock: CampaignMock, callback: str) -> int:
    """A READY campaign to list 1 (Email and SMS), sending at once."""
    answer = requests.post(
        f"{mock.url}/campaign",
        auth=mock.auth,
        data={
            "name": "Records",
            "domain": 1,
            "list": 1,
            "state": "READY",
            "when": int(mock.clock.now()),
            "event_callback": callback,
        },
        timeout=10,
    ).json()
    assert answer["success"], answer
    ident: int = answer["data"]["id"]
    return ident
