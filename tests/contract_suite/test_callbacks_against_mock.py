"""The callbacks layer against `campaign-mock serve --speed 600 --window 5`, a separate process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign_contract.config.model import parse_config
from campaign_contract.config.scaffold import CLOCK_LAG, config_from_state, fetch_mock_state
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report.evidence import failure_text
from serving import served_mock

SPEED = 600
RULES = ("A-1", "A-2", "A-2p", "E-1", "E-2", "C-1", "C-2", "C-2p", "C-3", "C-3p", "C-4", "M-4")


@pytest.fixture(scope="module")
def fast_mock() -> Iterator[str]:
    """A mock sped up 600 times; its callback timeout shrinks with the speed (C-4 retries)."""
    with served_mock("--speed", str(SPEED), "--window", "5", "--seed", "3") as url:
        yield url


def test_the_mock_passes_every_callbacks_rule(fast_mock: str, tmp_path: Path) -> None:
    document = config_from_state(fetch_mock_state(fast_mock), fast_mock)
    document["ledger"] = str(tmp_path / "ledger.json")
    document["callbacks"] = {"listen": {"host": "127.0.0.1", "port": 0}}
    document["limits"] = {
        "request_timeout": 5,
        "rate_limit": 0,
        "cleanup_wait": 30,
        "callback_wait": 30,
        "clock_speed": SPEED,
        "clock_skew": 120,
        "clock_lag": CLOCK_LAG,  # what `init --from-mock` writes: a braked mock's lag
    }
    report = run_selection(
        parse_config(document, environ={}), selection=Selection(only=("callbacks",)), seed=3
    )
    verdicts = {v.rule: v for v in report.verdicts}
    failed = [failure_text(v) for v in verdicts.values() if v.status is Status.FAIL]
    assert not failed, "\n\n".join(failed)
    assert {r: verdicts[r].status for r in RULES} == dict.fromkeys(RULES, Status.PASS), {
        r: verdicts[r].reason for r in RULES
    }
    # The magic clicked@ contact (engages, init --from-mock): its opens and clicks judged.
    check = "callbacks.known_opens_and_clicks_are_reported"
    known = [r for r in verdicts["C-1"].results if r.check == check]
    assert [r.status for r in known] == [Status.PASS], [r.message for r in known]
    assert {c.outcome for c in report.cleanup} <= {"deleted", "gone"}
