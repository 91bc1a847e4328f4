"""The README's first session, run as written by a new user: fresh clone, `make serve`, curl."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import requests

from .conftest import SERVED_PACKAGES

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


def test_make_serve_installs_the_base_package_only(make_serve: str, fresh_clone: Path) -> None:
    """`make serve` installs the mock alone; the dev extra's tools come with `make test`."""
    listed = json.loads((fresh_clone / SERVED_PACKAGES).read_text())
    names = {p["name"].lower() for p in listed}
    assert {"campaign-kit", "flask", "waitress"} <= names
    dev_only = {"pytest", "playwright", "mypy", "ruff", "schemathesis", "openapi-python-client"}
    assert not names & dev_only, sorted(names & dev_only)

    def dry_run(*overrides: str) -> str:
        done = subprocess.run(
            ["make", "-n", "serve", *overrides], cwd=fresh_clone, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    # Served once, nothing more to install; a venv with the dev extra serves as it is.
    assert "pip install" not in dry_run()
    (fresh_clone / ".venv" / ".installed").touch()
    try:
        assert "pip install" not in dry_run(f"BASE_STAMP={fresh_clone / 'no-such-stamp'}")
    finally:
        (fresh_clone / ".venv" / ".installed").unlink()
