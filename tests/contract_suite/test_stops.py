"""How a run ends when the target is not there, hangs, trickles, or the user stops it.

Through the real `campaign-contract` command (a subprocess, so signals and exit codes are the
ones CI sees) and through `run_selection`.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.serving import free_port, running, until_answering

from campaign_contract.config.model import parse_config
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

from .apps import create_app, serve
from .conftest import config_document
from .hostile import serve_poison

CLI = [sys.executable, "-m", "campaign_contract"]


def write_config(tmp_path: Path, **limits: float) -> Path:
    path = tmp_path / "contract.yaml"
    document = config_document(
        ledger=str(tmp_path / "ledger.json"),
        limits={"request_timeout": 2, "rate_limit": 0, "cleanup_wait": 1, **limits},
    )
    path.write_text(yaml.safe_dump(document), "utf-8")
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return done, time.monotonic() - began


@pytest.mark.parametrize("only", ["V-2", "M-4"])
def test_a_closed_port_exits_3_at_once_with_one_line(tmp_path: Path, only: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    done, took = run_cli("run", "--base-url", url, "--config", str(write_config(tmp_path)),
                         "--only", only)  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert took < 15
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unreachable" in lines[0] and url in lines[0]


def test_https_against_a_plain_http_server_exits_3(tmp_path: Path) -> None:
    with serve(create_app()) as url:
        secure = url.replace("http://", "https://")
        done, took = run_cli("run", "--base-url", secure, "--config", str(write_config(tmp_path)))
    assert done.returncode == 3, done.stdout + done.stderr
    assert took < 15
    assert len(done.stderr.strip().splitlines()) == 1 and "SSL" in done.stderr


def test_a_server_that_is_not_the_api_is_judged_and_the_report_asks_about_the_url(
    tmp_path: Path,
) -> None:
    """It answers HTTP, so it is judged (exit 1, not 3: test_preflight.py has the rest)."""
    from flask import Flask

    app = Flask("not-the-api")
    app.add_url_rule("/<path:anything>", "page", lambda anything: "<h1>Welcome</h1>")
    report = tmp_path / "report.json"
    with serve(app) as url:
        done, _took = run_cli("run", "--base-url", url, "--config", str(write_config(tmp_path)),
                              "--only", "robustness", "--json", str(report))  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no answer was the API's envelope: is the base URL right?" in done.stdout
    written = json.loads(report.read_text("utf-8"))
    assert written["ok"] is False and written["stopped"] is None
    assert "fail" in {r["status"] for r in written["rules"] if r["selected"]}


def test_wrong_credentials_exit_3_naming_the_user(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    document = config_document(ledger=str(tmp_path / "l.json"))
    document["auth"] = {"method": "basic", "username": "nobody", "password": "wrong"}
    path.write_text(yaml.safe_dump(document), "utf-8")
    with serve(create_app()) as url:
        done, _took = run_cli("run", "--base-url", url, "--config", str(path))
    assert done.returncode == 3
    assert "refuses the config's credentials" in done.stderr and "'nobody'" in done.stderr


def trickle(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
    while not stop.wait(0.5):
        conn.sendall(b" ")


@pytest.fixture
def trickling_url() -> Iterator[str]:
    """Answers preflight's probe as the API; every other answer trickles a byte every 0.5 s."""
    with serve_poison(trickle) as url:
        yield url


def test_a_trickling_body_costs_each_request_its_deadline_not_for_ever(
    trickling_url: str, tmp_path: Path
) -> None:
    config = parse_config(
        config_document(
            ledger=str(tmp_path / "l.json"),
            limits={"request_timeout": 1, "rate_limit": 0, "cleanup_wait": 0, "run_deadline": 8},
        ),
        environ={},
    )
    began = time.monotonic()
    report = run_selection(config, base_url=trickling_url, selection=Selection(only=("V-4",)))
    took = time.monotonic() - began
    # The run deadline (8 s) stops it between checks; one check's requests each take <= 3 s.
    assert took < 60, took
    assert report.stopped is not None and "deadline" in report.stopped
    assert not report.ok
    v4 = next(v for v in report.verdicts if v.rule == "V-4")
    assert v4.status is not Status.PASS
    assert any("no complete answer" in f.message or "still arriving" in f.message
               for f in v4.findings)  # fmt: skip


def test_ctrl_c_exits_130_and_writes_the_partial_report(tmp_path: Path) -> None:
    report = tmp_path / "partial.json"
    junit = tmp_path / "partial.xml"
    with serve(create_app()) as url, running(
        [*CLI, "run", "--base-url", url, "--config", str(write_config(tmp_path)),
         "--json", str(report), "--junitxml", str(junit), "--max-examples", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    ) as process:  # fmt: skip
        assert process.stderr is not None
        seen = ""
        while "[  2/" not in seen:
            line = process.stderr.readline()
            assert line, f"the run ended before its second check: {seen}"
            seen += line
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stdout + stderr
    written = json.loads(report.read_text("utf-8"))
    assert written["ok"] is False and "interrupted" in written["stopped"]
    statuses = {r["status"] for r in written["rules"] if r["selected"]}
    assert "not_exercised" in statuses
    assert junit.read_text("utf-8").startswith("<?xml")
    assert "this report is partial" in stdout


def hold_silent(conn: socket.socket, stop: threading.Event) -> None:
    """The connection is accepted and the request read, and nothing is ever answered."""
    stop.wait(120)


def test_a_server_that_goes_silent_after_preflight_ends_the_run_at_the_watchdog(
    tmp_path: Path,
) -> None:
    """It kept the run going until run_deadline (an hour by default): every request waited
    its timeout, check after check. Three unanswered in a row now end it, exit 1."""
    report = tmp_path / "partial.json"
    config = write_config(tmp_path, request_timeout=1)  # silent_requests: its default, 3
    with serve_poison(hold_silent) as url:
        done, took = run_cli(
            "run", "--base-url", url, "--config", str(config), "--json", str(report),
            timeout=300,
        )  # fmt: skip
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert took < 90, took  # run_deadline is its default, 3600 s
    written = json.loads(report.read_text("utf-8"))
    assert written["ok"] is False
    assert "went silent" in written["stopped"] and "limits.silent_requests" in written["stopped"]
    assert "this report is partial" in done.stdout
    status = {r["rule"]: r["status"] for r in written["rules"] if r["selected"]}
    assert status["V-4"] == "fail" and status["M-4"] == "not_exercised", status
    assert "went silent" in json.dumps(written["rules"])  # the parts it cut short say why


def test_ctrl_c_exits_within_the_bound_when_the_server_stops_answering_its_cleanup(
    tmp_path: Path,
) -> None:
    """A run interrupted after the server stopped answering (a mock stopped with SIGSTOP:
    connections accepted, nothing answered) had its cleanup wait 2 x request_timeout per
    campaign it made. It now gives the cleanup INTERRUPT_GRACE (10 s), writes the partial
    report naming what it left, and exits 130."""
    report = tmp_path / "partial.json"
    config = tmp_path / "contract.yaml"
    port = free_port()
    mock = subprocess.Popen(
        [sys.executable, "-m", "campaign_mock", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        until_answering(url)
        made = subprocess.run([*CLI, "init", "--from-mock", url, "-o", str(config)],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert made.returncode == 0, made.stderr
        document = yaml.safe_load(config.read_text("utf-8"))
        document["ledger"] = str(tmp_path / "ledger.json")
        document["limits"] = {**document.get("limits", {}), "request_timeout": 60,
                              "silent_requests": 100, "rate_limit": 0}  # fmt: skip
        config.write_text(yaml.safe_dump(document), "utf-8")
        with running(
            [*CLI, "run", "--base-url", url, "--config", str(config), "--json", str(report),
             "--only", "stateful"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        ) as process:  # fmt: skip
            assert process.stderr is not None
            seen = ""
            while "[  3/" not in seen:  # campaigns made by the first checks await their cleanup
                line = process.stderr.readline()
                assert line, f"the run ended before its third check: {seen}"
                seen += line
            mock.send_signal(signal.SIGSTOP)
            time.sleep(1)  # a request of the third check is now held
            interrupted = time.monotonic()
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=300)
            took = time.monotonic() - interrupted
    finally:
        mock.send_signal(signal.SIGCONT)
        mock.terminate()
        mock.wait(15)
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert took < 25, took  # INTERRUPT_GRACE, then the report; EXIT_BOUND is 30
    written = json.loads(report.read_text("utf-8"))
    assert "interrupted" in written["stopped"]
    assert "this report is partial" in stdout
