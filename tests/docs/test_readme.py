"""The README's first session, run as written by a new user: fresh clone, `make serve`, curl."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ELLIPSIS = "…"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def readme_session(text: str) -> list[tuple[str, str]]:
    """The first ```console block: each `$ command` with the output printed under it."""
    block = re.search(r"```console\n(.*?)```", text, re.S)
    assert block, "README.md has no ```console session"
    steps: list[tuple[str, str]] = []
    for line in block[1].splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], ""))
        elif steps:
            command, output = steps[-1]
            steps[-1] = (command, output + line + "\n")
    return steps


def matches(expected: Any, actual: Any) -> bool:
    """JSON equality where the README's "…" stands for any value (a token, say)."""
    if expected == ELLIPSIS:
        return True
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            matches(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(matches, expected, actual))
    return bool(expected == actual)


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository's committed HEAD, as a new user would get it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the README test needs git and a git checkout of campaign-kit")
    target = tmp_path_factory.mktemp("clone") / "campaign-kit"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def make_serve(fresh_clone: Path) -> Iterator[str]:
    """`make serve` in the clone: it builds its own .venv, installs, and serves."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    log = (fresh_clone / "serve.log").open("w")
    process = subprocess.Popen(
        ["make", "serve", f"PORT={port}"],
        cwd=fresh_clone,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # the first install downloads the dependencies
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make serve exited: {(fresh_clone / 'serve.log').read_text()[-2000:]}")
        try:
            requests.get(f"{url}/_mock/state", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.5)  # waiting for a subprocess to come up, not for the mock's clock
    else:
        pytest.fail("make serve did not answer within 600 s")
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    log.close()


def test_readme_opens_with_the_two_commands() -> None:
    """The first lines a new user reads are `make serve` and `make test`."""
    head = README.read_text().splitlines()[:12]
    assert any(line.startswith("make serve") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_readme_curl_session_works_as_written(make_serve: str, tmp_path: Path) -> None:
    """Every command of the README's session prints what the README says it prints."""
    port = make_serve.rsplit(":", 1)[1]
    steps = readme_session(README.read_text())
    assert len(steps) >= 8
    for command, expected in steps:
        runnable = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        result = subprocess.run(
            ["bash", "-c", runnable], cwd=tmp_path, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, (command, result.stderr)
        assert matches(json.loads(expected), json.loads(result.stdout)), (
            f"\n$ {command}\nREADME says: {expected}\nserver said: {result.stdout}"
        )


def test_make_serve_prints_the_demo_account(make_serve: str, fresh_clone: Path) -> None:
    """The served mock prints its demo credentials and answers the control API."""
    state = requests.get(f"{make_serve}/_mock/state", timeout=5).json()
    assert state["success"] is True
    log = (fresh_clone / "serve.log").read_text()
    assert "demo-password" in log  # the demo account is printed at start-up
