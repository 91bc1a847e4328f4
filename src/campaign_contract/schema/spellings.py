"""Q-2's spellings of `when` on every door a `when` comes through: POST and PUT, each in a
form, a multipart and a JSON body (Q-1), as each clause's domain names them.

Each clause has its own values per body: numbers are JSON integers and strings of digits in
form bodies (a digit string in JSON is where servers may differ, so no clause sends one); a
string spelling goes as the same text in every body. A valid spelling must be accepted and
read as `parse_when` reads it; an invalid one is `success: false`, `code: invalid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.shape import campaign_problem
from campaign_contract.judges.when import LATEST, parse_when
from campaign_contract.schema.formats import BOUNDARY, multipart
from campaign_contract.schema.target import base_form, base_json, create
from campaign_contract.transport.exchange import Exchange

FORMS: Final = ("form", "multipart")
EVERY_BODY: Final = (*FORMS, "JSON")


@dataclass(frozen=True, slots=True)
class Spelling:
    """The values one clause is judged on, by body type; `valid` says which way."""

    clause: str
    part: str
    valid: bool
    by_body: Mapping[str, tuple[Any, ...]]


def _same(*values: str, bodies: tuple[str, ...] = EVERY_BODY) -> dict[str, tuple[Any, ...]]:
    return dict.fromkeys(bodies, values)


def _number(*numbers: int) -> dict[str, tuple[Any, ...]]:
    """Numbers as CONTRACT.md spells them: JSON integers, digits (or `-`) in form bodies."""
    text = tuple(str(n) for n in numbers)
    return {"form": text, "multipart": text, "JSON": numbers}


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

SPELLINGS: Final = (
    Spelling("Q-2.integer-timestamp", "Q-2", True, {"JSON": (1_796_119_200,)}),
    Spelling("Q-2.digits-in-forms", "Q-2", True, _same("1796119200", bodies=FORMS)),
    Spelling("Q-2.iso-utc", "Q-2", True, _same("2026-12-01T10:00:00Z")),
    Spelling(
        "Q-2.iso-offset-honoured",
        "Q-2",
        True,
        _same("2026-12-01T12:00:00+02:00", "2026-12-01T05:30:00-04:30"),
    ),
    Spelling("Q-2.digits-are-always-unix", "Q-2p", True, _same("20261201", bodies=FORMS)),
    Spelling(
        "Q-2.fractions-accepted",
        "Q-2p",
        True,
        _same("2026-12-01T10:00:00.75Z", "2026-12-01T12:00:00.5+02:00"),
    ),
    Spelling("Q-2.fractions-dropped", "Q-2p", True, _same("2026-12-01T10:00:07.999Z")),
    Spelling("Q-2.no-offset-is-utc", "Q-2p", True, _same("2026-12-01T10:00:00")),
    Spelling("Q-2.dates-accepted", "Q-2p", True, _same("2026-12-01")),
    Spelling("Q-2.date-is-midnight-utc", "Q-2p", True, _same("2027-02-28")),
    Spelling("Q-2.negative-invalid", "Q-2p", False, _number(-1, -1_796_119_200)),
    Spelling("Q-2.zero-accepted", "Q-2p", True, _number(0)),
    Spelling(
        "Q-2.past-9999-invalid",
        "Q-2p",
        False,
        {
            body: (*_number(LATEST + 1)[body], "10000-01-01", "10000-01-01T00:00:00Z")
            for body in EVERY_BODY
        },
    ),
    Spelling(
        "Q-2.year-9999-accepted",
        "Q-2p",
        True,
        {body: (*_number(LATEST)[body], "9999-12-31T23:59:59Z") for body in EVERY_BODY},
    ),
    Spelling("Q-2.iso-outside-rfc-3339-invalid", "Q-2p", False, _same(*ISO_OUTSIDE_RFC3339)),
    Spelling("Q-2.anything-else-invalid", "Q-2p", False, _same("tomorrow", "2026-13-01")),
)


def _post(t: Probe, body: str, value: Any) -> Exchange:
    if body == "JSON":
        return t.post("/campaign", json=base_json(t, "q2", when=value))
    pairs = base_form(t, "q2", when=str(value))
    if body == "multipart":
        return t.post(
            "/campaign",
            body=multipart(pairs),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    return t.post("/campaign", form=pairs)


def _put(t: Probe, path: str, body: str, value: Any) -> Exchange:
    if body == "JSON":
        return t.put(path, json={"when": value})
    if body == "multipart":
        return t.put(
            path,
            body=multipart([("when", str(value))]),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    return t.put(path, form=[("when", str(value))])


def _judge(t: Probe, spelling: Spelling, what: str, value: Any, answer: Exchange) -> None:
    """One answer against the clause: refused `invalid`, or accepted and read as Q-2 reads."""
    if not spelling.valid:
        t.expect_refused(spelling.part, answer, "invalid", what)
        return
    data = answer.data()
    if answer.success() is not True or campaign_problem(data) is not None:
        t.fail(spelling.part, f"{what} is not accepted: {answer.describe()}", answer)
    elif not isinstance(data.get("when"), int):
        t.fail("R-2", f"`when` comes back as {data.get('when')!r}", answer)
    elif data["when"] != parse_when(value):
        t.fail(
            spelling.part,
            f"{what} is stored as {data['when']}, expected {parse_when(value)}",
            answer,
        )


@check("Q-2", "Q-2p", "R-2")
def when_spellings(t: Probe) -> None:
    """Every Q-2 spelling of `when`, valid and invalid, in POST and PUT, form, multipart, JSON."""
    _made, ident = create(t, "q2 put target")
    target = f"/campaign/{ident}" if ident is not None else None
    for spelling in SPELLINGS:
        if target is None:
            t.cannot(spelling.clause, "no DRAFT campaign could be created to PUT to", method="PUT")
        for method in ("POST", "PUT"):
            if method == "PUT" and target is None:
                continue
            for body, values in spelling.by_body.items():
                for value in values:
                    t.begin()
                    if method == "POST":
                        answer = _post(t, body, value)
                        t.ctx.note_created(answer)
                    else:
                        assert target is not None
                        answer = _put(t, target, body, value)
                    what = f"{method} when={value!r} ({body})"
                    _judge(t, spelling, what, value, answer)
                cell = {"method": method}
                if len(spelling.by_body) > 1:
                    cell["body"] = body
                t.exercised(spelling.clause, **cell)
