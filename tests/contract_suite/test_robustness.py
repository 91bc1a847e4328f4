"""The robustness layer against a conforming server and against servers with planted bugs."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign_contract.config.model import Config, parse_config
from campaign_contract.engine.layers import load_layers
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.registry import REGISTRY
from campaign_contract.engine.run_report import RunReport
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

from .apps import create_app, serve
from .conftest import config_document
from .hostile import serve_poison

ROBUSTNESS = Selection(only=("robustness",))
#: V-4 as the robustness layer judges it (the schema and stateful layers judge it too).
ROBUSTNESS_V4 = Selection(only=("V-4",), skip=("schema", "stateful", "callbacks"))


def verdicts(report: RunReport) -> dict[str, Status]:
    return {v.rule: v.status for v in report.verdicts if v.selected}


def test_the_layer_covers_the_envelope_and_resource_path_rules() -> None:
    load_layers()
    covered = {r for c in REGISTRY if c.layer == "robustness" for r in c.rules}
    assert covered == {"V-1", "V-1p", "V-2", "V-3", "V-3p", "V-4", "V-5", "V-5p", "R-1", "R-1p"}


def test_a_conforming_server_passes_every_robustness_rule(
    conforming_url: str, config: Config
) -> None:
    report = run_selection(config, base_url=conforming_url, selection=ROBUSTNESS, seed=3)
    assert set(verdicts(report).values()) == {Status.PASS}, [
        (v.rule, v.reason) for v in report.verdicts if v.status is Status.FAIL
    ]
    assert report.ok


def test_the_run_deletes_what_it_created(conforming_url: str, config: Config) -> None:
    report = run_selection(config, base_url=conforming_url, selection=ROBUSTNESS, seed=3)
    assert report.cleanup and {c.outcome for c in report.cleanup} == {"deleted"}
    assert "[cc-" in report.meta.run_tag


def test_level_core_runs_no_profile_rule(conforming_url: str, config: Config) -> None:
    core = Selection(level="core", only=("robustness",))
    report = run_selection(config, base_url=conforming_url, selection=core)
    selected = [v.rule for v in report.verdicts if v.selected]
    assert selected and not any(r.endswith("p") or r in {"V-4", "R-2"} for r in selected)
    assert {"V-1", "V-2", "V-3", "V-5", "R-1"} <= set(selected)


@pytest.mark.parametrize(
    ("bug", "failing"),
    [
        ("json500", {"V-4"}),
        ("no_challenge", {"V-4"}),
        ("html_404", {"V-1", "V-1p", "V-4"}),
        ("auth_first", {"V-4"}),
        ("session_sticks", {"V-5", "V-5p"}),
    ],
)
def test_a_planted_bug_fails_its_rule(bug: str, failing: set[str], config: Config) -> None:
    with serve(create_app(frozenset({bug}))) as url:
        report = run_selection(config, base_url=url, selection=ROBUSTNESS, seed=3)
    failed = {rule for rule, status in verdicts(report).items() if status is Status.FAIL}
    assert failing <= failed
    assert not report.ok
    finding = next(v for v in report.verdicts if v.rule in failing).findings[0]
    assert finding.evidence and finding.message


def test_broken_json_crash_is_shown_with_its_request(config: Config) -> None:
    with serve(create_app(frozenset({"json500"}))) as url:
        report = run_selection(config, base_url=url, selection=ROBUSTNESS_V4, seed=3)
    v4 = next(v for v in report.verdicts if v.rule == "V-4")
    crash = next(f for f in v4.findings if "500" in f.message)
    assert crash.evidence[-1].status == 500
    assert crash.evidence[-1].request_headers["Content-Type"] == "application/json"


def test_a_hanging_server_costs_at_most_the_time_limit(tmp_path: Path) -> None:
    config = parse_config(
        config_document(
            ledger=str(tmp_path / "l.json"),
            limits={"request_timeout": 0.5, "rate_limit": 0, "cleanup_wait": 0},
        ),
        environ={},
    )
    with serve(create_app(frozenset({"hang"}))) as url:
        started = time.monotonic()
        report = run_selection(config, base_url=url, selection=ROBUSTNESS_V4, seed=1)
    assert time.monotonic() - started < 30
    v4 = next(v for v in report.verdicts if v.rule == "V-4")
    assert v4.status is Status.FAIL
    assert any("no answer" in f.message or "Timeout" in f.message for f in v4.findings)


@pytest.fixture
def garbage_url() -> Iterator[str]:
    """A server that answers every connection with bytes that are not HTTP, or hangs up."""
    connections = itertools.count(1)

    def garbage(conn: socket.socket, _stop: threading.Event) -> None:
        if next(connections) % 2:
            conn.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")

    with serve_poison(garbage, probe=False) as url:
        yield url


def test_garbage_and_resets_stop_the_run_at_preflight_with_a_report(
    garbage_url: str, config: Config
) -> None:
    """A server that is not HTTP cannot be judged: no check runs, none passes, none fails."""
    report = run_selection(config, base_url=garbage_url, selection=ROBUSTNESS, seed=1)
    assert report.unreachable and not report.ok
    assert report.stopped is not None and "NOT HTTP AT ALL" in report.stopped
    selected = [v for v in report.verdicts if v.selected]
    assert selected and {v.status for v in selected} == {Status.NOT_EXERCISED}
