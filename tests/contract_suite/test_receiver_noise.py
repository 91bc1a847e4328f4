"""The callback receiver judges only callbacks the suite asked for, in bounded memory, and no
request's bytes reach the user's terminal raw."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from campaign_contract.config.model import parse_config
from campaign_contract.config.scaffold import CLOCK_LAG, config_from_state, fetch_mock_state
from campaign_contract.engine.outcome import CheckResult, Finding, RuleVerdict, Status
from campaign_contract.engine.run_report import RunMeta, RunReport
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report import render_terminal
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.receiver import NOISE_KEPT, TOTAL_BODY, Receiver
from serving import free_port, served_mock

SPEED = 600


@pytest.fixture(scope="module")
def fast_mock() -> Iterator[str]:
    with served_mock("--speed", str(SPEED), "--window", "5", "--seed", "3") as url:
        yield url


def spam(port: int, stop: threading.Event) -> None:
    """Garbage, unknown paths, other methods and big bodies, until told to stop."""
    base = f"http://127.0.0.1:{port}"
    while not stop.is_set():
        for send in (
            lambda: requests.post(f"{base}/cb/forged/token?k=v", data="event=delivered", timeout=2),
            lambda: requests.post(f"{base}/elsewhere", data=b"x" * (5 << 20), timeout=5),
            lambda: requests.get(f"{base}/cb/", timeout=2),
        ):
            with contextlib.suppress(requests.RequestException):
                send()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                raw.sendall(b"\x16\x03\x01garbage\x1b]0;owned\x07\r\n\r\n")
        except OSError:
            pass
        stop.wait(0.05)


def test_noise_beside_a_real_run_is_counted_not_judged(fast_mock: str, tmp_path: Path) -> None:
    port = free_port()
    document = config_from_state(fetch_mock_state(fast_mock), fast_mock)
    document["ledger"] = str(tmp_path / "ledger.json")
    document["callbacks"] = {"listen": {"host": "127.0.0.1", "port": port}}
    document["limits"] = {"request_timeout": 5, "rate_limit": 0, "cleanup_wait": 30,
                          "callback_wait": 30, "clock_speed": SPEED, "clock_skew": 120,
                          "clock_lag": CLOCK_LAG}  # fmt: skip
    stop = threading.Event()
    spammer = threading.Thread(target=spam, args=(port, stop), daemon=True)
    spammer.start()
    try:
        report = run_selection(
            parse_config(document, environ={}), selection=Selection(only=("callbacks",)), seed=3
        )
    finally:
        stop.set()
        spammer.join(10)
    failed = {v.rule: v.reason for v in report.verdicts if v.status is Status.FAIL}
    assert not failed, failed
    assert any("never handed out" in w and "not judged" in w for w in report.warnings)


def test_memory_for_bodies_is_bounded_over_the_run() -> None:
    with Receiver() as receiver:
        url = receiver.url_for("run/big")
        for _ in range(20):
            requests.post(url, data=b"e" * (4 << 20), timeout=10)
        for index in range(3 * NOISE_KEPT):
            requests.post(f"{receiver.base_url}/cb/other/{index}", data=b"n" * 5000, timeout=10)
        entries = receiver.received()
        mine = [e for e in entries if e.matched]
        assert len(mine) == 20
        assert sum(len(e.body) for e in entries) <= TOTAL_BODY + NOISE_KEPT * 1024
        assert any(e.truncated and not e.body for e in mine)
        assert receiver.noise() == 3 * NOISE_KEPT
        assert len(entries) - len(mine) == NOISE_KEPT


def test_a_servers_escape_sequences_reach_the_terminal_escaped() -> None:
    hostile = "\x1b]0;owned\x07\x1b[2J\u202e"
    body = f'{{"success": true, "data": "{hostile}"}}'.encode()
    evidence = Exchange("GET", "http://x/campaign/1", {}, status=200,
                        response_body=body)  # fmt: skip
    message = f"not the envelope: {hostile}"
    result = CheckResult(
        "robustness.x", "V-2", Status.FAIL, message, [Finding(message, (evidence,))]
    )
    meta = RunMeta("0", None, "http://x", 1, "all", (), (), 1, "t", "t", 0.0, "tag")
    report = RunReport(meta, [RuleVerdict("V-2", Status.FAIL, message, results=[result])],
                       warnings=[f"noise {hostile}"])  # fmt: skip
    text = render_terminal(report)
    assert "\x1b]0;owned" not in text and "\x07" not in text and "\u202e" not in text
    assert "\x1b[2J" not in text
    assert "\\x1b]0;owned\\x07" in text
