"""The suite against servers that fight back: it finishes, writes its report, and passes nothing
it could not judge.

Each server answers preflight's probe as the API would (so the checks do run), then every other
request with one kind of poison.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from campaign_contract.config.model import parse_config
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report import render_html, render_json, render_junit, render_terminal

from .conftest import config_document
from .hostile import Poison, serve_poison

#: Parts that passed against such servers before a check needed an answer to vouch for.
ONCE_VACUOUS = ("R-2", "R-3", "M-1", "M-4", "M-5", "Q-5p", "V-3p")


def endless_body(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
    chunk = b'{"success": true, "data": {' + b" " * 65536
    while not stop.is_set():
        conn.sendall(chunk)


def many_headers(conn: socket.socket, _stop: threading.Event) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
    body = b'{"success": true, "data": {}}'
    conn.sendall(head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def deep_json(conn: socket.socket, _stop: threading.Event) -> None:
    body = b'{"success": true, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (len(body), body)
    )


def silent(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)


@pytest.mark.parametrize("poison", [endless_body, many_headers, deep_json, silent],
                         ids=lambda p: p.__name__)  # fmt: skip
def test_the_suite_finishes_with_a_report_and_passes_nothing_it_could_not_judge(
    poison: Poison, tmp_path: Path
) -> None:
    config = parse_config(
        config_document(
            ledger=str(tmp_path / "ledger.json"),
            limits={"request_timeout": 0.5, "rate_limit": 0, "cleanup_wait": 0,
                    "send_wait": 1, "run_deadline": 12},
        ),
        environ={},
    )  # fmt: skip
    began = time.monotonic()
    with serve_poison(poison) as url:
        report = run_selection(
            config, base_url=url, selection=Selection(skip=("callbacks",)), seed=5, max_examples=2
        )
    took = time.monotonic() - began
    assert took < 120, took
    assert not report.ok
    passed = {v.rule for v in report.verdicts if v.status is Status.PASS}
    assert not passed & set(ONCE_VACUOUS), sorted(passed)
    assert "V-4" in {v.rule for v in report.verdicts if v.status is Status.FAIL}
    for render in (render_terminal, render_json, render_junit, render_html):
        assert render(report)
