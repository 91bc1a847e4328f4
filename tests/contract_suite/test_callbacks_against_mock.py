"""The callbacks layer against `campaign-mock serve --speed 600 --window 5`, a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from campaign_contract.config import parse_config
from campaign_contract.outcome import Status
from campaign_contract.report.evidence import failure_text
from campaign_contract.runner import run_selection
from campaign_contract.scaffold import config_from_state, fetch_mock_state
from campaign_contract.selection import Selection

from .test_against_mock import SRC, _free_port

SPEED = 600
RULES = ("A-1", "A-2", "A-2p", "E-1", "E-2", "C-1", "C-2", "C-2p", "C-3", "C-3p", "C-4", "M-4")


@pytest.fixture(scope="module")
def fast_mock() -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "campaign_mock",
        "serve",
        "--port",
        str(port),
        "--speed",
        str(SPEED),
        "--window",
        "5",
        "--seed",
        "3",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(url + "/_mock/state", timeout=1).close()
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("campaign-mock serve did not start")
                time.sleep(0.1)
        # Test setup, not the suite: at 600x the mock's real 10 s callback timeout would outlast
        # its one-hour retry window (6 s), so C-4's unanswered callback could never be retried.
        requests.put(url + "/_mock/settings", json={"timeout": 2}, timeout=5).raise_for_status()
        yield url
    finally:
        process.terminate()
        process.wait(10)


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
    }
    began = time.monotonic()
    report = run_selection(
        parse_config(document, environ={}), selection=Selection(only=("callbacks",)), seed=3
    )
    assert time.monotonic() - began < 60
    verdicts = {v.rule: v for v in report.verdicts}
    failed = [failure_text(v) for v in verdicts.values() if v.status is Status.FAIL]
    assert not failed, "\n\n".join(failed)
    assert {r: verdicts[r].status for r in RULES} == dict.fromkeys(RULES, Status.PASS), {
        r: verdicts[r].reason for r in RULES
    }
    assert {c.outcome for c in report.cleanup} <= {"deleted", "gone"}
