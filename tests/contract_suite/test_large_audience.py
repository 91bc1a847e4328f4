"""C-2p's "at most 1000 addresses" is judged only on a run that sent to more than 1000: a
mock whose fixtures generate a large list, configured by `init --from-mock` or by hand."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from campaign_contract.config.model import parse_config
from campaign_contract.config.scaffold import config_from_state, fetch_mock_state
from campaign_contract.engine.outcome import RuleVerdict, Status
from campaign_contract.engine.run_report import RunReport
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report import render_json, render_terminal
from campaign_contract.report.evidence import failure_text
from serving import THIS_PYTHON, served_mock

SPEED = 600
BIG = 1001
HINT = "no audience over 1000 addresses: add a list of at least 1001 contacts"


@pytest.fixture(scope="module")
def mock_with_a_large_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The built-in fixtures, and list 50 of 1001 generated email-only contacts."""
    shown = subprocess.run([*THIS_PYTHON, "fixtures", "show"], capture_output=True, check=True)
    fixtures = yaml.safe_load(shown.stdout)
    fixtures["lists"].insert(0, {
        "id": 50, "name": "large", "contacts": [], "segments": [],
        "generate": {"count": BIG, "first_id": 100_000, "email": "big{n}@example.com"},
    })  # fmt: skip
    path = tmp_path_factory.mktemp("fixtures") / "large.yaml"
    path.write_text(yaml.safe_dump(fixtures), encoding="utf-8")
    with served_mock("--fixtures", str(path), "--speed", str(SPEED), "--window", "5",
                     "--seed", "3") as url:  # fmt: skip
        yield url


def judge_c2(document: dict[str, Any], tmp_path: Path) -> RunReport:
    document["ledger"] = str(tmp_path / "ledger.json")
    document["callbacks"] = {"listen": {"host": "127.0.0.1", "port": 0}}
    document["limits"] = {
        "request_timeout": 10, "rate_limit": 0, "cleanup_wait": 30, "callback_wait": 30,
        "clock_speed": SPEED, "clock_skew": 120, "callback_outage": 0,
    }  # fmt: skip
    return run_selection(
        parse_config(document, environ={}), selection=Selection(only=("C-2p",)), seed=3
    )


def c2p(report: RunReport) -> RuleVerdict:
    verdict = next(v for v in report.verdicts if v.rule == "C-2p")
    assert verdict.status is not Status.FAIL, failure_text(verdict)
    return verdict


def test_init_from_mock_describes_the_generated_list_by_pattern(
    mock_with_a_large_list: str,
) -> None:
    document = config_from_state(fetch_mock_state(mock_with_a_large_list), "http://x")
    large = next(item for item in document["lists"] if item["id"] == 50)
    assert large["contacts"] == [{"count": BIG, "pattern": "big{n}@example.com"}]


def test_small_lists_leave_the_limit_unjudged_and_say_what_to_add(
    mock_with_a_large_list: str, tmp_path: Path
) -> None:
    document = config_from_state(fetch_mock_state(mock_with_a_large_list), mock_with_a_large_list)
    document["lists"] = [item for item in document["lists"] if item["id"] != 50]
    report = judge_c2(document, tmp_path)
    verdict = c2p(report)
    assert verdict.status is Status.PASS and verdict.partial, verdict.reason
    assert [a.clause for a in verdict.unexercised_clauses] == ["C-2.at-most-1000"]
    line = " ".join(click.unstyle(render_terminal(report)).split())
    assert "PASS* C-2p" in line and "C-2.at-most-1000" in line and HINT in line
    rule = next(r for r in json.loads(render_json(report))["rules"] if r["id"] == "C-2p")
    limit = next(c for c in rule["clauses"] if c["id"] == "C-2.at-most-1000")
    assert limit["state"] == "not exercised" and limit["hint"].startswith(HINT)
    assert any("no audience over 1000 addresses in this run" in r for r in limit["reasons"])


def test_a_configured_large_list_judges_the_limit_plainly(
    mock_with_a_large_list: str, tmp_path: Path
) -> None:
    document = config_from_state(fetch_mock_state(mock_with_a_large_list), mock_with_a_large_list)
    assert document["lists"][0]["id"] == 50  # the sends go to the first two lists
    report = judge_c2(document, tmp_path)
    verdict = c2p(report)
    assert verdict.status is Status.PASS and not verdict.partial, verdict.reason
    limit = next(a for a in verdict.clauses if a.clause == "C-2.at-most-1000")
    assert limit.complete
