"""`serve --workers N`: granian processes on one store act as one mock."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import pytest
import requests
from tests.serving import THIS_PYTHON

from .instances import AUTH, free_port, start


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


def _first_answer(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[bytes], dict]:
    """`serve` on a SQLite store, and its first answer to `GET /_mock/store`, read as soon
    as it listens."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/_mock/store"
    with (tmp_path / "mock.log").open("w") as output:
        process = subprocess.Popen(
            [*THIS_PYTHON, "serve", "--port", str(port), *options,
             "--state", f"sqlite:///{tmp_path / 'mock.db'}"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(requests.ConnectionError):
            return process, requests.get(url, timeout=5).json()["data"]
        time.sleep(0.002)
    process.kill()
    process.wait()
    pytest.fail(f"serve did not answer: {(tmp_path / 'mock.log').read_text()}")


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["waitress", "granian-x2"])
def test_the_first_answer_already_shows_the_sends_holder(
    workers: list[str], tmp_path: Path
) -> None:
    """Each instance has taken the sends' lease, or seen its holder, before it answers."""
    process, first = _first_answer(tmp_path, *workers)
    try:
        assert first["lease_holder"] is not None, first
        assert first["sending"] == (first["lease_holder"] == first["instance"]), first
    finally:
        process.terminate()
        assert process.wait(20) == 0


def test_a_stop_while_a_worker_starts_ends_every_worker(tmp_path: Path) -> None:
    """SIGTERM at the first answer, while the other worker may still be building its mock
    (granian's own signal handling is not set yet there): every process ends, at once."""
    for attempt in range(8):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        process, _ = _first_answer(folder, "--workers", "2")
        process.terminate()
        try:
            # Within granian's 10 s kill: a SIGTERM before the factory sets the default action
            # (the worker still forking, loading) is lost until then (loaded run s353).
            assert process.wait(15) == 0
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"attempt {attempt}: a worker outlived SIGTERM by 15 s")


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
