"""Per-clause, per-cell accounting: what `Probe.exercised`/`Probe.cannot` record, and how a
rule part's verdict turns PASS* when a clause cell was not exercised in the run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

import jsonschema
import pytest
import yaml

from campaign_contract import coverage
from campaign_contract.config.model import Config
from campaign_contract.engine.outcome import RuleVerdict, Status
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import CheckRegistry
from campaign_contract.engine.run_report import RunReport
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report import render_html, render_json, render_junit, render_terminal
from campaign_contract.report.schema import REPORT_SCHEMA

#: A clause table of its own for R-1 (the shipped one is other engineers' to convert).
TABLE = """
- id: R-1.cells
  part: R-1
  text: Routed on every method and path.
  checks: [routes]
  variants: [none]
  domain: {method: [GET, HEAD], path: ["/campaign/", "/campaign/{id}/"]}
  exclude: [{method: HEAD, path: "/campaign/"}]
  hint: configure a campaign
- id: R-1.strict
  part: R-1
  text: A strict clause without a domain.
  checks: [routes]
  variants: [none]
- id: R-1.reported
  part: R-1
  text: Another clause without a domain.
  checks: [routes]
  variants: [none]
- id: R-1.outside
  part: R-1
  text: Nobody can judge this.
  outside: a permission
- id: V-1.elsewhere
  part: V-1
  text: A clause of another part.
  checks: [other]
  variants: [none]
"""

ALL_CELLS = (("GET", "/campaign/"), ("GET", "/campaign/{id}/"), ("HEAD", "/campaign/{id}/"))


@pytest.fixture(autouse=True)
def table(monkeypatch: pytest.MonkeyPatch) -> None:
    clauses = coverage.parse_clauses(yaml.safe_load(TABLE), "test.yaml")
    monkeypatch.setattr(coverage, "all_clauses", lambda: clauses)


def run(config: Config, url: str, body: Callable[[Probe], None]) -> RunReport:
    registry = CheckRegistry()
    registry.check("R-1", name="routes")(body)
    return run_selection(
        config, base_url=url, registry=registry, selection=Selection(only=("R-1",))
    )


def r1(report: RunReport) -> RuleVerdict:
    return next(v for v in report.verdicts if v.rule == "R-1")


def test_a_domain_is_the_cross_product_less_the_excluded_cells() -> None:
    cells = coverage.clause("R-1.cells").cells()
    assert cells == tuple((("method", m), ("path", p)) for m, p in ALL_CELLS)
    assert coverage.clause("R-1.strict").cells() == ((),)
    assert coverage.clause("R-1.cells").hint == "configure a campaign"


def test_every_cell_reported_is_a_plain_pass(config: Config, conforming_url: str) -> None:
    def routes(t: Probe) -> None:
        t.get("/campaign/1")
        for method, path in ALL_CELLS:
            t.exercised("R-1.cells", method=method, path=path)
        t.exercised("R-1.strict")
        t.exercised("R-1.reported")

    verdict = r1(run(config, conforming_url, routes))
    assert verdict.status is Status.PASS and not verdict.partial, verdict
    accounts = {a.clause: a for a in verdict.clauses}
    assert list(accounts) == ["R-1.cells", "R-1.strict", "R-1.reported", "R-1.outside"]
    assert len(accounts["R-1.cells"].exercised) == 3 and not accounts["R-1.cells"].missing
    assert accounts["R-1.strict"].complete
    # An outside clause never makes a pass partial, though no check reported it.
    assert accounts["R-1.outside"].exempt and accounts["R-1.outside"].complete


def test_a_missing_cell_makes_the_pass_partial_with_why_and_hint(
    config: Config, conforming_url: str
) -> None:
    def routes(t: Probe) -> None:
        t.get("/campaign/1")
        t.exercised("R-1.cells", method="GET", path="/campaign/")
        t.exercised("R-1.cells", method="GET", path="/campaign/")
        t.cannot("R-1.cells", "no campaign to read", path="/campaign/{id}/")
        t.exercised("R-1.strict")
        t.exercised("R-1.reported")

    verdict = r1(run(config, conforming_url, routes))
    assert verdict.status is Status.PASS and verdict.partial
    cells = next(a for a in verdict.clauses if a.clause == "R-1.cells")
    assert [dict(c) for c in cells.missing] == [
        {"method": "GET", "path": "/campaign/{id}/"},
        {"method": "HEAD", "path": "/campaign/{id}/"},
    ]
    assert cells.reasons == ("routes: path=/campaign/{id}/: no campaign to read",)
    assert [a.clause for a in verdict.unexercised_clauses] == ["R-1.cells"]
    assert "R-1.cells (2 of 3 cells missing) [hint: configure a campaign]" in verdict.reason


def test_a_clause_gets_no_credit_for_a_pass(config: Config, conforming_url: str) -> None:
    def routes(t: Probe) -> None:
        t.get("/campaign/1")

    verdict = r1(run(config, conforming_url, routes))
    assert verdict.status is Status.PASS and verdict.partial
    missing = {a.clause: a.reasons for a in verdict.unexercised_clauses}
    assert set(missing) == {"R-1.cells", "R-1.strict", "R-1.reported"}
    assert "no check reported exercising it" in missing["R-1.strict"][0]


def test_cannot_says_why_a_clause_went_unexercised(config: Config, conforming_url: str) -> None:
    def routes(t: Probe) -> None:
        t.get("/campaign/1")
        for method, path in ALL_CELLS:
            t.exercised("R-1.cells", method=method, path=path)
        t.exercised("R-1.strict")
        t.cannot("R-1.reported", "the target has no such thing")

    verdict = r1(run(config, conforming_url, routes))
    assert verdict.partial
    (missing,) = verdict.unexercised_clauses
    assert missing.clause == "R-1.reported"
    assert missing.reasons == ("routes: the target has no such thing",)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.exercised("R-1.nope"), "no clause 'R-1.nope'"),
        (lambda t: t.exercised("V-1.elsewhere"), "does not declare V-1"),
        (lambda t: t.exercised("R-1.cells", method="GET"), "names every axis"),
        (lambda t: t.exercised("R-1.cells", method="PUT", path="/campaign/"), "'PUT' is not in"),
        (lambda t: t.exercised("R-1.cells", verb="GET", path="/campaign/"), "no axis 'verb'"),
        (lambda t: t.exercised("R-1.cells", method="HEAD", path="/campaign/"), "is excluded"),
        (lambda t: t.exercised("R-1.strict", method="GET"), "no axis 'method'"),
        (lambda t: t.cannot("R-1.cells", "why", method="PUT"), "'PUT' is not in"),
    ],
)
def test_a_wrong_report_is_a_crash_of_the_check(
    config: Config, conforming_url: str, call: Callable[[Probe], None], message: str
) -> None:
    def routes(t: Probe) -> None:
        t.get("/campaign/1")
        call(t)

    report = run(config, conforming_url, routes)
    verdict = r1(report)
    assert verdict.status is Status.NOT_EXERCISED
    assert "the check itself crashed" in verdict.reason and "ValueError" in verdict.reason
    assert message in verdict.reason


def partly(t: Probe) -> None:
    """Two of R-1.cells's three cells, R-1.strict not at all."""
    t.get("/campaign/1")
    t.exercised("R-1.cells", method="GET", path="/campaign/")
    t.cannot("R-1.cells", "no campaign to read", path="/campaign/{id}/")
    t.cannot("R-1.strict", "nothing to try it on")
    t.exercised("R-1.reported")


def test_terminal_names_the_unexercised_clauses_and_hints(
    config: Config, conforming_url: str
) -> None:
    text = render_terminal(run(config, conforming_url, partly))
    line = next(x for x in text.splitlines() if "R-1 " in x and "PASS*" in x)
    assert line
    told = " ".join(text.split())
    assert "R-1.cells (2 of 3 cells missing) [hint: configure a campaign]" in told
    assert "R-1.strict" in told and "R-1.reported" not in told
    assert "2 of 3 clauses of passed parts not wholly exercised" in told


def test_json_lists_every_clause_its_cells_and_why(config: Config, conforming_url: str) -> None:
    document = json.loads(render_json(run(config, conforming_url, partly)))
    jsonschema.validate(document, REPORT_SCHEMA)
    rule = next(r for r in document["rules"] if r["id"] == "R-1")
    assert rule["partial"] is True
    clauses = {c["id"]: c for c in rule["clauses"]}
    assert list(clauses) == ["R-1.cells", "R-1.strict", "R-1.reported", "R-1.outside"]
    cells = clauses["R-1.cells"]
    assert (cells["state"], cells["exercised"], cells["cells"], cells["cells_exercised"]) == (
        "partly exercised",
        False,
        3,
        1,
    )
    assert cells["axes"] == ["method", "path"]
    assert cells["missing"] == [
        {"method": "GET", "path": "/campaign/{id}/"},
        {"method": "HEAD", "path": "/campaign/{id}/"},
    ]
    assert cells["reasons"] == ["routes: path=/campaign/{id}/: no campaign to read"]
    assert cells["hint"] == "configure a campaign"
    assert clauses["R-1.strict"]["missing"] == [{}]
    assert clauses["R-1.strict"]["reasons"] == ["routes: nothing to try it on"]
    assert clauses["R-1.reported"]["exercised"] and clauses["R-1.reported"]["missing"] == []
    assert clauses["R-1.outside"]["state"] == "outside" and clauses["R-1.outside"]["exercised"]


def test_junit_and_html_carry_each_clause(config: Config, conforming_url: str) -> None:
    report = run(config, conforming_url, partly)
    case = next(
        c
        for c in ET.fromstring(render_junit(report)).iter("testcase")
        if c.get("name", "").startswith("R-1 ")
    )
    out = (case.findtext("system-out") or "").splitlines()
    assert "clauses (1 of 3 clauses exercised):" in out
    assert (
        "  R-1.cells: partly exercised (1/3 cells); missing method=GET path=/campaign/{id}/; "
        "method=HEAD path=/campaign/{id}/; why: routes: path=/campaign/{id}/: no campaign to "
        "read; hint: configure a campaign"
    ) in out
    assert "  R-1.strict: not exercised; why: routes: nothing to try it on" in out
    page = render_html(report)
    block = page[page.index('<details class="clauses" open>') :]
    block = block[: block.index("</details>")]
    assert "1 of 3 clauses exercised" in block
    assert 'id="clause-R-1.cells"' in block and "hint: configure a campaign" in block
    assert "method=HEAD path=/campaign/{id}/" in block


def test_a_plain_pass_shows_its_clauses_exercised(config: Config, conforming_url: str) -> None:
    def routes(t: Probe) -> None:
        t.get("/campaign/1")
        for method, path in ALL_CELLS:
            t.exercised("R-1.cells", method=method, path=path)
        t.exercised("R-1.strict")
        t.exercised("R-1.reported")

    report = run(config, conforming_url, routes)
    assert "PASS*" not in render_terminal(report)
    page = render_html(report)
    assert '<details class="clauses" open>' not in page
    assert "R-1.cells: exercised (3/3 cells)" in page
    rule = next(r for r in json.loads(render_json(report))["rules"] if r["id"] == "R-1")
    assert all(c["exercised"] and not c["missing"] for c in rule["clauses"])
