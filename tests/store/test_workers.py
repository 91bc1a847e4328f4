"""`serve --workers N`: granian processes on one store act as one mock."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests
from tests.serving import THIS_PYTHON

from .instances import AUTH, start


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_two_worker_processes_are_one_mock(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    state = (
        f"sqlite:///{tmp_path / 'mock.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    mock = start(state, tmp_path, "--workers", "2")
    try:
        assert "with granian, 2 worker processes" in mock.log.read_text()
        ids = [
            mock.data(mock.post("/campaign", data={"name": f"c{n}", "domain": 1, "list": 1}))["id"]
            for n in range(20)
        ]
        assert ids == list(range(1, 21)), "one id sequence across the processes"
        seen = {}
        for _ in range(40):  # granian spreads connections over its workers
            with requests.Session() as fresh:
                status = fresh.get(f"{mock.url}/_mock/store", timeout=10).json()["data"]
            seen[status["instance"]] = status["sending"]
            if len(seen) == 2:
                break
        assert len(seen) == 2, f"only one worker answered: {seen}"
        assert sorted(seen.values()) == [False, True], "one worker holds the sends"
        for ident in ids:
            assert requests.get(f"{mock.url}/campaign/{ident}", auth=AUTH, timeout=10).ok
    finally:
        mock.process.terminate()
        assert mock.process.wait(20) == 0, mock.log.read_text()
        mock.stop()


def test_several_workers_in_memory_are_refused_in_one_line() -> None:
    done = subprocess.run(
        [*THIS_PYTHON, "serve", "--port", "0", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a store they share" in lines[0], done.stderr


def test_isolated_worlds_on_a_store_are_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*THIS_PYTHON, "serve", "--port", "0", "--isolate", "accounts",
         "--state", f"sqlite:///{tmp_path / 'mock.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
