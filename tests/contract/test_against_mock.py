"""The real mock passes every rule of the robustness, schema and stateful layers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from campaign_contract.cli import main
from campaign_contract.engine.layers import load_layers
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.registry import REGISTRY, CheckRegistry
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.stateful.sending import (
    a_send_that_cannot_go_on_ends_in_error,
    error_state_is_final,
)

from .conftest import MAX_EXAMPLES, suite_config


def test_the_mock_passes_every_layer_but_callbacks(mock_url: str, tmp_path: Path) -> None:
    report = run_selection(
        suite_config(mock_url, tmp_path),
        selection=Selection(only=("robustness", "schema", "stateful")),
        seed=5,
        max_examples=MAX_EXAMPLES * 2,
    )
    failed = [(v.rule, v.reason) for v in report.verdicts if v.status is Status.FAIL]
    assert report.ok, failed
    passed = {v.rule for v in report.verdicts if v.status is Status.PASS}
    assert {
        "R-2",
        "R-3",
        "Q-1",
        "Q-2",
        "Q-3",
        "Q-4",
        "Q-5",
        "Q-6",
        "M-1",
        "M-2",
        "M-3",
        "M-4",
        "M-5",
    } <= passed
    assert {c.outcome for c in report.cleanup} <= {"deleted", "gone"}


def test_the_cli_exits_zero_for_the_mock(mock_url: str, tmp_path: Path) -> None:
    config = tmp_path / "contract.yaml"
    result = CliRunner().invoke(main, ["init", "--from-mock", mock_url, "-o", str(config)])
    assert result.exit_code == 0, result.output
    with config.open("a") as handle:
        handle.write(f"ledger: {tmp_path / 'ledger.json'}\n")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--config",
            str(config),
            "--only",
            "schema",
            "--max-examples",
            "2",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output


def _error_checks() -> CheckRegistry:
    load_layers()
    registry = CheckRegistry()
    for each in REGISTRY:
        if each.func in (a_send_that_cannot_go_on_ends_in_error, error_state_is_final):
            registry.register(each)
    return registry


def test_error_list_exercises_m4_and_m5_in_error(mock_url: str, tmp_path: Path) -> None:
    config = suite_config(mock_url, tmp_path)
    assert config.error_list is not None
    assert config.error_list not in {c.id for c in config.lists}
    report = run_selection(config, selection=Selection(only=("M",)), registry=_error_checks())
    results = {(r.check.rsplit(".", 1)[-1], r.rule): r.status for v in report.verdicts
               for r in v.results}  # fmt: skip
    assert results == {
        ("a_send_that_cannot_go_on_ends_in_error", "M-4"): Status.PASS,
        ("error_state_is_final", "M-5"): Status.PASS,
    }, [(v.rule, v.reason) for v in report.verdicts if v.status is Status.FAIL]


def test_without_error_list_error_is_not_exercised_naming_the_key(
    mock_url: str, tmp_path: Path
) -> None:
    config = replace(suite_config(mock_url, tmp_path), error_list=None)
    report = run_selection(config, selection=Selection(only=("M",)), registry=_error_checks())
    verdicts = {v.rule: v for v in report.verdicts}
    for rule in ("M-4", "M-5"):
        assert verdicts[rule].status is Status.NOT_EXERCISED
        assert "error_list" in verdicts[rule].reason
