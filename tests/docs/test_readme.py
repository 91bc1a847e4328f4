"""The README's first session, run as written by a new user: fresh clone, `make serve`, curl."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ELLIPSIS = "…"


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
