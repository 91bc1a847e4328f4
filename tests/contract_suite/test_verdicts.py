"""Per-check verdicts inside a rule part: partial passes, check waivers, no vacuous passes."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

from campaign_contract.config.model import Config
from campaign_contract.engine.outcome import CheckResult, RuleVerdict, Status
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import CheckRegistry
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.engine.waiver import WaiverError, apply_waivers, parse_waivers
from campaign_contract.report import render_json, render_junit, render_terminal

TODAY = dt.date(2026, 6, 1)


def two_checks_on_r1() -> CheckRegistry:
    registry = CheckRegistry()

    @registry.check("R-1", name="routes")
    def routes(t: Probe) -> None:
        """Routes."""
        t.expect(t.get("/campaign/abc").status == 404, "R-1", "not routed")

    @registry.check("R-1", name="cannot")
    def cannot(t: Probe) -> None:
        """Cannot run here."""
        t.skip("this target has no such thing")

    return registry


def test_a_part_with_a_check_not_exercised_says_so_in_every_report(
    conforming_url: str, config: Config
) -> None:
    report = run_selection(
        config,
        base_url=conforming_url,
        registry=two_checks_on_r1(),
        selection=Selection(only=("R-1",)),
    )
    r1 = next(v for v in report.verdicts if v.rule == "R-1")
    assert r1.status is Status.PASS and r1.partial
    assert "cannot: this target has no such thing" in r1.reason
    assert "PASS*" in render_terminal(report) and "passed only in part" in render_terminal(report)
    rule = next(r for r in json.loads(render_json(report))["rules"] if r["id"] == "R-1")
    assert rule["partial"] is True
    assert {c["check"]: c["status"] for c in rule["checks"]} == {
        "routes": "pass",
        "cannot": "not_exercised",
    }
    case = next(
        c
        for c in ET.fromstring(render_junit(report)).iter("testcase")
        if c.get("name", "").startswith("R-1 ")
    )
    out = case.find("system-out")
    assert out is not None and "PASSED ONLY IN PART" in (out.text or "")


def test_a_check_that_got_no_answer_passes_nothing(conforming_url: str, config: Config) -> None:
    registry = CheckRegistry()

    @registry.check("R-1", name="no_answer")
    def no_answer(t: Probe) -> None:
        """Its only request gets no answer: its silence vouches for nothing."""
        t.request("GET", "http://127.0.0.1:9/")

    report = run_selection(config, base_url=conforming_url, registry=registry,
                           selection=Selection(only=("R-1",)))  # fmt: skip
    r1 = next(v for v in report.verdicts if v.rule == "R-1")
    assert r1.status is Status.NOT_EXERCISED, r1
    assert "nothing to judge" in r1.reason


def results(*pairs: tuple[str, Status]) -> list[CheckResult]:
    return [CheckResult(check, "Q-1p", status, f"{check} says {status}") for check, status in pairs]


def check_waiver(name: str) -> list:  # type: ignore[type-arg]
    return parse_waivers([{"rule": name, "reason": "noisy", "expires": "2026-12-31"}])


def test_a_waiver_naming_a_check_waives_only_that_check() -> None:
    both = RuleVerdict(
        "Q-1p",
        Status.FAIL,
        "x",
        results=results(("schema.generated_requests", Status.FAIL), ("schema.arrays", Status.FAIL)),
    )
    apply_waivers([both], check_waiver("Q-1p:schema.generated_requests"), TODAY)
    assert both.status is Status.FAIL
    assert "schema.arrays" in both.reason and "generated_requests" not in both.reason
    assert [r.status for r in both.results] == [Status.WAIVED, Status.FAIL]

    alone = RuleVerdict(
        "Q-1p",
        Status.FAIL,
        "x",
        results=results(("schema.generated_requests", Status.FAIL), ("schema.arrays", Status.PASS)),
    )
    apply_waivers([alone], check_waiver("Q-1p:schema.generated_requests"), TODAY)
    assert alone.status is Status.WAIVED and alone.ok


def test_a_check_waiver_must_name_a_real_check_of_that_rule() -> None:
    try:
        check_waiver("Q-1p:schema.no_such_check")
    except WaiverError as error:
        assert "no check of Q-1p" in str(error) and "schema.generated_requests" in str(error)
    else:
        raise AssertionError("an unknown check was accepted")
