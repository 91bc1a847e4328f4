"""Q-6 in every cell: each reference that does not resolve (a domain not bouncing or unknown,
a list that is none, a segment of another list or of none), on POST and PUT, in each body
type, is `success: false` with `code: reference`."""

from __future__ import annotations

from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.schema.target import UNKNOWN_ID, base_json, create, segment_ids
from campaign_contract.transport.exchange import Exchange

METHODS: Final = ("POST", "PUT")


def _another_lists_segment(t: Probe) -> int | None:
    own = set(segment_ids(t))
    for other in t.ctx.config.lists[1:]:
        for segment in other.segments:
            if segment.id not in own:
                return segment.id
    return None


def _refused(t: Probe, rule: str, answer: Exchange, what: str) -> None:
    if t.expect(
        answer.success() is False, rule, f"{what} is accepted: {answer.describe()}", answer
    ):
        t.expect_code(rule, answer, "reference")


def _cases(t: Probe) -> list[tuple[str, str, dict[str, Any], list[tuple[str, dict[str, str]]]]]:
    """(rule, what, fields, clause cells without method and body) per unresolved reference."""
    domains = t.ctx.config.domains
    cases: list[tuple[str, str, dict[str, Any], list[tuple[str, dict[str, str]]]]] = []
    if domains.non_bouncing is not None:
        cases.append(("Q-6", "a domain that is not bouncing", {"domain": domains.non_bouncing},
                      [("bouncing", {}), ("Q-6.domain-failure-is-reference",
                                          {"domain": "not bouncing"})]))  # fmt: skip
    else:
        why = "the config names no domain that is not bouncing (domains.non_bouncing)"
        for clause in ("Q-6.domain-must-be-bouncing", "Q-6.put-domain-must-be-bouncing"):
            t.cannot(clause, why)
        t.cannot("Q-6.domain-failure-is-reference", why, domain="not bouncing")
    cases.append(("Q-6", "an unknown domain", {"domain": UNKNOWN_ID},
                  [("Q-6.unknown-domain-is-reference", {}),
                   ("Q-6.domain-failure-is-reference", {"domain": "unknown"})]))  # fmt: skip
    cases.append(("Q-6s", "an unknown list", {"list": UNKNOWN_ID},
                  [("Q-6.list-must-be-a-contact-list", {})]))  # fmt: skip
    stray = _another_lists_segment(t)
    if stray is not None:
        cases.append(("Q-6s", f"segment {stray} of another list", {"segments": [stray]},
                      [("segment", {"segment": "another list's"})]))  # fmt: skip
    else:
        why = "no other test list has a segment (lists[1].segments)"
        for clause in ("Q-6.segment-within-the-list", "Q-6.put-segment-within-the-list"):
            t.cannot(clause, why, segment="another list's")
    cases.append(("Q-6s", "a segment nobody holds", {"segments": [UNKNOWN_ID]},
                  [("segment", {"segment": "unknown"})]))  # fmt: skip
    own = segment_ids(t)
    if own:
        cases.append(("Q-6s", "an own segment, then one nobody holds",
                      {"segments": [own[0], UNKNOWN_ID]},
                      [("Q-6.each-segment-within-the-list", {})]))  # fmt: skip
    else:
        t.cannot("Q-6.each-segment-within-the-list", "the first test list has no segments")
    return cases


def _clause(name: str, method: str) -> str:
    """The per-method clauses the cases name by their subject."""
    if name == "bouncing":
        return (
            "Q-6.domain-must-be-bouncing" if method == "POST" else "Q-6.put-domain-must-be-bouncing"
        )
    if name == "segment":
        return (
            "Q-6.segment-within-the-list" if method == "POST" else "Q-6.put-segment-within-the-list"
        )
    return name


@check("Q-6", "Q-6s")
def references_in_every_cell(t: Probe) -> None:
    """Each unresolved reference is a `reference` failure, on POST and PUT, in each body type."""
    _answer, ident = create(t, "q6 cells target")
    paths = {"POST": "/campaign", "PUT": f"/campaign/{ident}" if ident is not None else None}
    for rule, what, change, cells in _cases(t):
        for method in METHODS:
            path = paths[method]
            if path is None or (method == "PUT" and "list" in change):
                continue  # PUT has no `list`
            for body in BODIES:
                fields = {**base_json(t, "q6 cells"), **change} if method == "POST" else change
                t.begin()
                answer = send(t, method, path, fields, body)
                for name, cell in cells:
                    clause = _clause(name, method)
                    axes = {"body": body, **cell}
                    if clause in ("Q-6.unknown-domain-is-reference",
                                  "Q-6.domain-failure-is-reference",
                                  "Q-6.each-segment-within-the-list"):  # fmt: skip
                        axes["method"] = method
                    t.exercised(clause, **axes)
                _refused(t, rule, answer, f"{method} of {what} ({body})")
