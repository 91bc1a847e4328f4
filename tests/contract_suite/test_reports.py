"""Reports: JUnit parses, JSON follows its schema, HTML stands alone, all carry the run facts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import click
import jsonschema
import pytest

from campaign_contract import rules
from campaign_contract.exchange import Exchange
from campaign_contract.outcome import CheckResult, Finding, RuleVerdict, Status
from campaign_contract.report import (
    RunMeta,
    RunReport,
    render_html,
    render_json,
    render_junit,
    render_terminal,
)
from campaign_contract.report.schema import REPORT_SCHEMA


def make_report() -> RunReport:
    crash = Exchange(
        method="POST",
        url="http://target.example/campaign",
        request_headers={
            "Authorization": "Basic YWxpY2U6c2VjcmV0",
            "Content-Type": "application/json",
        },
        request_body=b'{"name": ',
        status=500,
        response_headers=[("Content-Type", "text/html")],
        response_body=b"<h1>boom</h1>\x00\x01 <script>alert(1)</script>",
    )
    verdicts = []
    for part in rules.all_parts():
        if part.id == "V-4":
            result = CheckResult(
                "robustness.broken_json_is_400", "V-4", Status.FAIL, "expected 400"
            )
            result.findings = [Finding("expected HTTP 400, got HTTP 500", (crash,))]
            verdicts.append(RuleVerdict("V-4", Status.FAIL, "expected 400", results=[result]))
        elif part.id == "V-2":
            verdicts.append(RuleVerdict("V-2", Status.PASS))
        elif part.id == "V-1":
            verdicts.append(RuleVerdict("V-1", Status.WAIVED, waiver_reason="ticket 12"))
        elif part.level is rules.Level.PROFILE:
            verdicts.append(
                RuleVerdict(part.id, Status.NOT_EXERCISED, "not selected", selected=False)
            )
        else:
            verdicts.append(RuleVerdict(part.id, Status.NOT_EXERCISED, "no check yet"))
    meta = RunMeta(
        suite_version="0.1.0",
        openapi_sha256="0" * 64,
        base_url="http://target.example",
        seed=42,
        level="all",
        only=(),
        skip=(),
        max_examples=20,
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:00:01+00:00",
        duration_s=1.0,
        run_tag="[cc-abcd1234]",
    )
    return RunReport(
        meta, verdicts, warnings=["a warning"], waiver_notes=["V-2: waived, but passes"]
    )


@pytest.fixture
def report() -> RunReport:
    return make_report()


def test_junit_has_one_testcase_per_rule_part(report: RunReport) -> None:
    root = ET.fromstring(render_junit(report))
    cases = root.findall(".//testcase")
    assert len(cases) == len(rules.all_parts())
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name", "").split()[0] for c in failed] == ["V-4"]
    text = failed[0].find("failure").text or ""  # type: ignore[union-attr]
    assert "curl" in text and "REDACTED" in text and "secret" not in text
    assert "V-4 [profile] Failures before the application" in text
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["seed"] == "42" and props["openapi_sha256"] == "0" * 64
    assert props["base_url"] == "http://target.example" and props["suite_version"] == "0.1.0"


def test_json_follows_its_schema(report: RunReport) -> None:
    document = json.loads(render_json(report))
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["meta"]["seed"] == 42
    assert document["ok"] is False
    v4 = next(r for r in document["rules"] if r["id"] == "V-4")
    assert v4["findings"][0]["steps"][0]["curl"].startswith("curl ")
    assert v4["text"].startswith("V-4 [profile]")


def test_html_is_self_contained_and_escaped(report: RunReport) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "http-equiv" not in page and "<link" not in page and " src=" not in page
    assert "[cc-abcd1234]" in page and "0" * 64 in page and "seed" in page
    assert 'id="V-4"' in page


def test_terminal_groups_by_level_and_shows_failures(report: RunReport) -> None:
    text = click.unstyle(render_terminal(report))
    assert text.index("seed rules") < text.index("vendor rules") < text.index("profile rules")
    assert "FAIL    V-4" in text and "WAIVED  V-1" in text
    assert "$ curl -sS -i -X POST http://target.example/campaign" in text
    assert "! V-2: waived, but passes" in text
    assert "1 passed, 1 failed, 1 waived" in text


def test_report_ok_ignores_rules_left_out(report: RunReport) -> None:
    for verdict in report.verdicts:
        if verdict.selected and verdict.status is not Status.WAIVED:
            verdict.status = Status.PASS
    assert report.ok
