"""The robustness layer against the real campaign-mock, started as a separate process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign_contract.config.model import parse_config
from campaign_contract.config.scaffold import config_from_state, fetch_mock_state
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from serving import served_mock


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with served_mock() as url:
        yield url


def test_the_mock_passes_the_robustness_layer(mock_url: str, tmp_path: Path) -> None:
    document = config_from_state(fetch_mock_state(mock_url), mock_url)
    document["ledger"] = str(tmp_path / "ledger.json")
    config = parse_config(document, environ={})
    report = run_selection(config, selection=Selection(only=("robustness",)), seed=11)
    failed = [(v.rule, v.reason) for v in report.verdicts if v.status is Status.FAIL]
    assert report.ok, failed
    assert {c.outcome for c in report.cleanup} <= {"deleted"}
