"""Q-1 and Q-3 in every cell: each array spelling in each body type, on POST and PUT, and
repeated `segments` collapsed in first-occurrence order the same way everywhere."""

from __future__ import annotations

from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.schema.target import base_json, create, segment_ids
from campaign_contract.transport.exchange import Exchange

#: (body, spelling): each way Q-1 lets a client send the `segments` array.
SPELLINGS: Final = (
    ("form", "repeated"),
    ("form", "percent-encoded"),
    ("form", "indexed"),
    ("multipart", "repeated"),
    ("multipart", "indexed"),
    ("JSON", "repeated"),
)
METHODS: Final = ("POST", "PUT")


def _clauses(method: str, body: str, spelling: str) -> tuple[str, list[tuple[str, dict[str, str]]]]:
    """The rule part a refusal breaks, and the clause cells one request exercises."""
    cells: list[tuple[str, dict[str, str]]] = []
    if body == "JSON":
        cells += [("Q-1.json-bodies", {"method": method}),
                  ("Q-1.json-segments-array", {"method": method})]  # fmt: skip
        return "Q-1p", cells
    if spelling == "indexed":
        return "Q-1p", [("Q-1.indexed-keys", {"method": method, "body": body})]
    brackets = "raw" if spelling == "repeated" else "percent-encoded"
    cells.append(("Q-1.arrays-as-repeated-key", {"method": method, "body": body,
                                                  "brackets": brackets}))  # fmt: skip
    if body == "multipart":
        cells.append(("Q-1.takes-multipart", {"method": method}))
    else:
        clause = "Q-1.post-takes-urlencoded" if method == "POST" else "Q-1.put-takes-urlencoded"
        cells.append((clause, {"brackets": brackets}))
    return "Q-1", cells


def _fields(t: Probe, method: str, segments: list[int]) -> dict[str, Any]:
    base = base_json(t, "q1 cells") if method == "POST" else {}
    return {**base, "segments": segments}


def _segments(t: Probe, rule: str, answer: Exchange, want: list[int], what: str) -> bool:
    if answer.success() is not True:
        t.fail(rule, f"{what} is refused: {answer.describe()}", answer)
        return False
    got = answer.data().get("segments")
    return t.expect(got == want, rule, f"{what}: segments are {got!r}, expected {want!r}", answer)


@check("Q-1", "Q-1p", "Q-3", "Q-3p")
def arrays_in_every_body(t: Probe) -> None:
    """`segments` in every spelling Q-1 names (repeated `segments[]` raw or %5B%5D, indexed
    keys, a JSON array) in form, multipart and JSON, on POST and PUT; duplicates collapse in
    first-occurrence order (Q-3) in each body type and method."""
    own = segment_ids(t)
    if not own:
        t.skip("the first test list has no segments (config lists[0].segments)")
    _answer, ident = create(t, "q1 cells target")
    paths = {"POST": "/campaign", "PUT": f"/campaign/{ident}" if ident is not None else None}
    want = own[-2:][::-1] if len(own) > 1 else own[:1]  # out of id order, so order shows
    for method in METHODS:
        path = paths[method]
        if path is None:
            t.unexercised("Q-1", "no campaign could be created to PUT to")
            continue
        for body, spelling in SPELLINGS:
            t.begin()
            answer = send(t, method, path, _fields(t, method, want), body, spelling)
            rule, cells = _clauses(method, body, spelling)
            for clause, cell in cells:
                t.exercised(clause, **cell)
            _segments(t, rule, answer, want, f"{method} of segments ({body}, {spelling})")
        first, second = want[0], want[-1]
        sent = [first, second, first, second, first]
        for body in BODIES:
            t.begin()
            answer = send(t, method, path, _fields(t, method, sent), body)
            cell = {"method": method, "body": body}
            t.exercised("Q-3.may-repeat", **cell)
            if answer.success() is not True:
                rule = "Q-3" if body != "JSON" else "Q-3p"
                t.fail(rule, f"{method} of repeated segments ({body}) is refused", answer)
                continue
            t.exercised("Q-3.duplicates-collapsed", **cell)
            if first == second:
                t.cannot("Q-3.first-occurrence-order", "the first test list has one segment")
            else:
                t.exercised("Q-3.first-occurrence-order", **cell)
            what = f"{method} of segments {sent} ({body})"
            _segments(t, "Q-3p", answer, want, what)
