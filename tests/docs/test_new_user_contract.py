"""The contract suite as a new user first runs it: in a fresh clone, against its own mock."""

from __future__ import annotations

import os
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import free_port

#: Small: this proves the commands work end to end, tests/contract/test_full_run.py the rules.
MAX_EXAMPLES = "3"


def _clean_env() -> dict[str, str]:
    """The user's shell: nothing of the environment running these tests leaks in."""
    return {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}


@pytest.fixture
def fast_mock(make_serve: str, fresh_clone: Path) -> Iterator[str]:
    """Terminal one: `.venv/bin/campaign-mock serve --speed 600 --window 5` in the clone.

    `make_serve` is asked for only because it makes the clone's `.venv`.
    """
    port = free_port()
    log = (fresh_clone / "fast-mock.log").open("w")
    process = subprocess.Popen(
        [
            ".venv/bin/campaign-mock",
            "serve",
            "--port",
            str(port),
            "--speed",
            "600",
            "--window",
            "5",
        ],
        cwd=fresh_clone,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_clean_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/_mock/state", timeout=1).close()
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"campaign-mock serve did not start: {log.name}")
                time.sleep(0.2)  # waiting for a subprocess to come up
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_init_from_mock_then_run_in_a_fresh_clone(fast_mock: str, fresh_clone: Path) -> None:
    """Terminal two: `init --from-mock`, then `run` with a JUnit report; exit 0, no failure."""

    def terminal(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [".venv/bin/campaign-contract", *command],
            cwd=fresh_clone,
            capture_output=True,
            text=True,
            timeout=600,
            env=_clean_env(),
        )

    init = terminal("init", "--from-mock", fast_mock, "-o", "contract.yaml", "--force")
    assert init.returncode == 0, init.stderr
    run = terminal(
        "run",
        "--base-url",
        fast_mock,
        "--config",
        "contract.yaml",
        "--junitxml",
        "report.xml",
        "--max-examples",
        MAX_EXAMPLES,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    junit = ET.parse(fresh_clone / "report.xml").getroot()
    assert junit.findall(".//testcase")
    assert not junit.findall(".//failure") and not junit.findall(".//error")
    assert not junit.findall(".//skipped"), "some rule parts were not exercised"
