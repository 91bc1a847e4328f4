"""The robustness layer against the real campaign-mock, started as a separate process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from campaign_contract.config import parse_config
from campaign_contract.outcome import Status
from campaign_contract.runner import run_selection
from campaign_contract.scaffold import config_from_state, fetch_mock_state
from campaign_contract.selection import Selection

SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "campaign_mock", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_the_mock_passes_the_robustness_layer(mock_url: str, tmp_path: Path) -> None:
    document = config_from_state(fetch_mock_state(mock_url), mock_url)
    document["ledger"] = str(tmp_path / "ledger.json")
    config = parse_config(document, environ={})
    report = run_selection(config, selection=Selection(only=("robustness",)), seed=11)
    failed = [(v.rule, v.reason) for v in report.verdicts if v.status is Status.FAIL]
    assert report.ok, failed
    assert {c.outcome for c in report.cleanup} <= {"deleted"}
