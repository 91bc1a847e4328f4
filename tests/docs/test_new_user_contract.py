"""The contract suite as a new user first runs it: in a fresh clone, against its own mock."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from serving import served_mock, user_env

#: Small: this proves the commands work end to end, tests/contract/test_full_run.py the rules.
MAX_EXAMPLES = "3"


@pytest.fixture
def fast_mock(make_serve: str, fresh_clone: Path) -> Iterator[str]:
    """Terminal one: `.venv/bin/campaign-mock serve --speed 600 --window 5` in the clone.

    `make_serve` is asked for only because it makes the clone's `.venv`.
    """
    with served_mock(
        "--speed",
        "600",
        "--window",
        "5",
        command=(".venv/bin/campaign-mock",),
        cwd=fresh_clone,
        log=fresh_clone / "fast-mock.log",
        env=user_env(),
        startup=60,
    ) as url:
        yield url


def test_init_from_mock_then_run_in_a_fresh_clone(fast_mock: str, fresh_clone: Path) -> None:
    """Terminal two: the suite's extra, `init --from-mock`, then `run`: exit 0, no failure."""

    def terminal(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [".venv/bin/campaign-contract", *command],
            cwd=fresh_clone,
            capture_output=True,
            text=True,
            timeout=600,
            env=user_env(),
        )

    # `make serve` installed the mock alone: the suite is the `contract` extra (README).
    extra = subprocess.run(
        [".venv/bin/python", "-m", "pip", "install", "--quiet", "-e", ".[contract]"],
        cwd=fresh_clone,
        capture_output=True,
        text=True,
        timeout=600,
        env=user_env(),
    )
    assert extra.returncode == 0, extra.stdout + extra.stderr
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
