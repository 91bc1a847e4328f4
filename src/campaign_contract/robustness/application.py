"""Application-level failures are HTTP 200 with `success: false` (V-3): every wrong field,
unresolved reference and forbidden state, on POST and PUT, in every body type, sent twice."""

from __future__ import annotations

from typing import Any, Final

from campaign_contract.engine.envelope import errors_problem
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.refused import REQUESTS, expect_same_refusal
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.schema.target import FUTURE, UNKNOWN_ID, base_json, create, foreign_segment
from campaign_contract.transport.exchange import Exchange

#: A well-formed list id that no test server holds.
UNKNOWN_LIST = str(UNKNOWN_ID)
#: Per failure code: the clauses each of its requests exercises, with the axis its cases fill.
CLAUSES: Final = {
    "invalid": (("V-3.wrong-field-is-200", "V-3.code-invalid"), "field"),
    "reference": (("V-3.reference-is-200", "V-3.code-reference"), "reference"),
    "conflict": (("V-3.state-violation-is-200", "V-3.code-conflict"), "asked"),
}
EVERY_FAILURE: Final = ("V-3.failure-is-success-false", "V-3.error-is-a-text")
NAMED_FIELDS: Final = ("V-3.errors-maps-fields-to-lists", "V-3.errors-names-each-offending-field")
#: (code, case, methods, the offending field or None, the fields a request changes).
Case = tuple[str, str, tuple[str, ...], str | None, dict[str, Any]]


def _cases(t: Probe) -> list[Case]:
    config = t.ctx.config
    both = ("POST", "PUT")
    cases: list[Case] = [
        ("invalid", "name", ("POST",), "name", {"name": None}),  # None: left out (missing)
        ("invalid", "name", ("PUT",), "name", {"name": ""}),
        ("invalid", "domain", both, "domain", {"domain": "not-a-number"}),
        ("invalid", "list", both, "list", {"list": "not-a-number"}),
        ("invalid", "when", both, "when", {"when": "not-a-time"}),
        ("invalid", "segments", both, "segments", {"segments": ["not-a-number"]}),
        ("reference", "unknown domain", both, "domain", {"domain": UNKNOWN_ID}),
        ("reference", "unknown list", ("POST",), "list", {"list": UNKNOWN_ID}),
        ("reference", "foreign segment", both, "segments", {"segments": [foreign_segment(t)]}),
        ("conflict", "READY", ("PUT",), None, {"state": "READY"}),
    ]
    if config.domains.non_bouncing is not None:
        domain = config.domains.non_bouncing
        cases.append(("reference", "non-bouncing domain", both, "domain", {"domain": domain}))
    else:
        reason = "the config names no domain that is not bouncing (domains.non_bouncing)"
        for clause in CLAUSES["reference"][0]:
            t.cannot(clause, reason, reference="non-bouncing domain")
    for state in ("SENDING", "DONE", "ERROR"):
        cases.append(("conflict", state, both, None, {"state": state}))
    return cases


def _fields(t: Probe, method: str, change: dict[str, Any]) -> dict[str, Any]:
    base = base_json(t, "rejected") if method == "POST" else {}
    merged = {**base, **change}
    return {k: v for k, v in merged.items() if v is not None or k != "name"}


def _names_field(answer: Exchange, field: str) -> str | None:
    """`data.errors` maps fields to lists and names `field` (`segments[]` or an index too)."""
    problem = errors_problem(answer)
    if problem is not None:
        return problem
    errors = answer.data().get("errors") or {}
    if any(key == field or key.startswith(f"{field}[") for key in errors):
        return None
    return f"`data.errors` does not name the offending field {field!r}: {sorted(errors)}"


def _judge(t: Probe, answer: Exchange, code: str, field: str | None) -> None:
    if t.expect_status("V-3", answer, 200):
        t.expect_failure("V-3", answer)
    if answer.success() is False:
        t.expect_code("V-3p", answer, code)
        problem = errors_problem(answer) if field is None else _names_field(answer, field)
        t.expect(problem is None, "V-3p", problem or "", answer)


@check("V-3", "V-3p")
def application_failures_are_200(t: Probe) -> None:
    """Every wrong field, unresolved reference and forbidden state is an HTTP 200 failure with
    its code and `data.errors`, on POST and PUT, in form, multipart and JSON, sent twice."""
    _created, ident = create(t, "application failures", when=str(FUTURE))
    paths = {"POST": "/campaign", "PUT": f"/campaign/{ident}" if ident is not None else None}
    for code, case, methods, field, change in _cases(t):
        clauses, axis = CLAUSES[code]
        for method in methods:
            path = paths[method]
            if path is None:
                for clause in clauses:
                    t.cannot(clause, "no campaign could be created to PUT to", method="PUT")
                continue
            for body in BODIES:
                t.begin()
                answers = []
                for request in REQUESTS:
                    answer = send(t, method, path, _fields(t, method, change), body)
                    _judge(t, answer, code, field)
                    answers.append(answer)
                    cell = {"method": method, "body": body, "request": request}
                    for clause in clauses:
                        t.exercised(clause, **{axis: case}, **cell)
                    for clause in EVERY_FAILURE:
                        t.exercised(clause, failure=code, **cell)
                    if field is not None:
                        for clause in NAMED_FIELDS:
                            t.exercised(clause, failure=code, **cell)
                expect_same_refusal(t, answers, "V-3")
        t.exercised("V-3.code-is-present", code=code)
