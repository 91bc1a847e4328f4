"""`campaign-mock` as a user runs it: help, fixtures files, start-up and a clean stop."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from tests.serving import running

COMMAND = [sys.executable, "-m", "campaign_mock"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=60)


def test_help_has_examples() -> None:
    for args in [["--help"], ["serve", "--help"], ["fixtures", "--help"]]:
        result = _run(*args)
        assert result.returncode == 0
        assert "Examples:" in result.stdout, args
    assert "campaign-mock serve --fixtures" in _run("serve", "--help").stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("accounts: [", "not valid YAML or JSON at line"),
        ("accounts: []\ndomains: []\n", "'lists' is a required property"),
        (
            "accounts: []\ndomains: []\nlists: [{id: 1, name: a, contacts: [{id: x}]}]\n",
            "fixtures.lists[0].contacts[0].id",
        ),
        (
            "accounts: []\ndomains: [{id: 1, name: a}, {id: 1, name: b}]\nlists: []\n",
            "domains: id 1 is used twice",
        ),
        (
            "accounts: []\ndomains: []\nlists: [{id: 1, name: a, segments: [{id: 1, name: s, "
            "contacts: [9]}]}]\n",
            "contacts [9] are not in list 1",
        ),
        ("accounts: []\ndomains: []\nlists: []\nsurprise: 1\n", "surprise"),
    ],
)
def test_bad_fixtures_are_refused_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    """A bad fixtures file is refused at start, with one line naming the problem."""
    path = tmp_path / "fixtures.yaml"
    path.write_text(content)
    serve = ["serve", "--port", "0", "--fixtures", str(path)]
    for args in [serve, ["fixtures", "check", str(path)]]:
        result = _run(*args)
        assert result.returncode == 3  # a refused file, not a crash (1)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert "Traceback" not in result.stderr


def test_missing_fixtures_file() -> None:
    result = _run("serve", "--fixtures", "/nonexistent/fixtures.yaml")
    assert result.returncode == 3 and "cannot read fixtures" in result.stderr


def test_fixtures_show_round_trips(tmp_path: Path) -> None:
    """`fixtures show` prints a file that `fixtures check` and `serve --fixtures` accept."""
    shown = _run("fixtures", "show")
    assert shown.returncode == 0
    path = tmp_path / "mine.yaml"
    path.write_text(shown.stdout)
    checked = _run("fixtures", "check", str(path))
    assert checked.returncode == 0 and "ok (1 accounts, 2 domains, 4 lists)" in checked.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_on_signals(signum: signal.Signals) -> None:
    """SIGTERM and SIGINT stop the server with exit 0 and no traceback."""
    with running([*COMMAND, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        banner = process.stderr.readline()
        match = re.search(r"serving on (http://\S+)", banner)
        assert match, banner
        url = match[1]
        campaign = {"name": "a", "domain": 1, "list": 1}
        auth = ("demo", "demo-password")
        answer = requests.post(f"{url}/campaign", auth=auth, data=campaign, timeout=5)
        assert answer.json()["success"] is True
        process.send_signal(signum)
        _, rest = process.communicate(timeout=15)
    assert process.returncode == 0
    assert "campaign-mock stopped" in rest and "Traceback" not in rest


def test_serve_survives_a_burst_of_signals() -> None:
    """`make serve` under killpg gets SIGTERM twice (the group's, then make's): it must still
    stop. A Python signal handler taking a lock deadlocked here about once in 30 bursts."""
    for _ in range(5):
        with running(
            [*COMMAND, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True
        ) as process:
            assert process.stderr is not None
            assert "serving on" in process.stderr.readline()
            for _ in range(2000):
                process.send_signal(signal.SIGTERM)
            _, rest = process.communicate(timeout=15)
        assert process.returncode == 0, rest
        assert "campaign-mock stopped (SIGTERM)" in rest and "Traceback" not in rest


def test_serve_survives_a_stop_and_continue() -> None:
    """SIGSTOP then SIGCONT (what Ctrl-Z then `fg` do) is not a stop: the mock serves on. The
    wait for SIGINT and SIGTERM ended with a number that is no signal, and serve crashed."""
    with running([*COMMAND, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        match = re.search(r"serving on (http://\S+)", process.stderr.readline())
        assert match
        process.send_signal(signal.SIGSTOP)
        time.sleep(
            1
        )  # stopped past the end of its 0.5 s wait for a signal: no condition to wait on
        process.send_signal(signal.SIGCONT)
        answer = requests.get(f"{match[1]}/_mock/store", timeout=5)
        assert answer.json()["success"] is True
        process.terminate()
        _, rest = process.communicate(timeout=15)
    assert process.returncode == 0, rest
    assert "campaign-mock stopped (SIGTERM)" in rest and "Traceback" not in rest, rest


def test_port_in_use_is_one_line() -> None:
    """A port already taken is a one-line error, not a traceback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = _run("serve", "--port", str(port))
    assert result.returncode == 5  # cannot listen; 1 stays a crash (test_cli_newcomer.py)
    assert "cannot listen on" in result.stderr and "Traceback" not in result.stderr


def test_built_in_fixtures_pass_the_full_check() -> None:
    """The shipped fixtures skip the JSON Schema pass at start-up; here they take it."""
    from campaign_mock.fixtures.document import (
        default_fixtures,
        fixtures_from_document,
        fixtures_to_document,
    )

    document = fixtures_to_document(default_fixtures())
    assert fixtures_from_document(document) == default_fixtures()
