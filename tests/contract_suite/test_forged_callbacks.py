"""A forged callback during a run (issue 18, item 10b): anyone who reads a campaign's
`event_callback` from the server's own state can POST to the suite's receiver. From an
address the target's host does not resolve to it is answered 403 and not judged, so the
server is not blamed for it; listed in `callbacks.sources`, it is judged again.

The mock runs on 127.0.0.1 (`campaign-mock serve`, a separate process); the forger's
connections leave from 127.0.0.2 (Linux routes all of 127/8 to lo).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from campaign_contract.config.model import parse_config
from campaign_contract.config.scaffold import CLOCK_LAG, config_from_state, fetch_mock_state
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.run_report import RunReport
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from serving import served_mock

SPEED = 600
FORGER = "127.0.0.2"
#: The callbacks layer's rules a conforming server passes here (C-4 needs an outage: 0 s).
CALLBACK_RULES = ("A-1", "A-2", "E-1", "E-2", "C-1", "C-2", "C-2p", "C-3", "C-3p")
#: An event for an address no campaign has, dated far after the run, in one request.
FORGED = b"event=clicked&when=4102444800&email%5B0%5D=forger%40elsewhere.example"


@pytest.fixture(scope="module")
def fast_mock() -> Iterator[str]:
    with served_mock("--speed", str(SPEED), "--window", "5", "--seed", "3") as url:
        yield url


class Forger:
    """Reads each campaign's `event_callback` from the mock's state and POSTs a forged
    callback to it from FORGER, until stopped; keeps what the receiver answered."""

    def __init__(self, mock: str) -> None:
        self.mock = mock
        self.answers: dict[str, int] = {}
        self.refused: set[str] = set()
        self.hung: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Forger:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            state = requests.get(f"{self.mock}/_mock/state", timeout=5).json()["data"]
            for campaign in state["campaigns"]:
                url = campaign.get("event_callback")
                if url and url not in self.answers and url not in self.refused | self.hung:
                    try:
                        self.answers[url] = self._forge(url)
                    except ConnectionRefusedError:
                        # C-4's refusing URL: nobody listens there yet, forger or server.
                        self.refused.add(url)
                    except TimeoutError:
                        # A listed source is answered as the server would be: a forgery that
                        # comes while the suite scripts that URL to hang (C-4's timeouts)
                        # meets the hang. Not an answer, so not counted in `answers`.
                        self.hung.add(url)

    def _forge(self, url: str) -> int:
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.port
        connection = HTTPConnection(
            parts.hostname, parts.port, timeout=10, source_address=(FORGER, 0)
        )
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            connection.request("POST", target, FORGED, headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


def run_forged(mock: str, tmp_path: Path, **callbacks: Any) -> tuple[RunReport, Forger]:
    document = config_from_state(fetch_mock_state(mock), mock)
    document["ledger"] = str(tmp_path / "ledger.json")
    document["callbacks"] = {"listen": {"host": "127.0.0.1", "port": 0}, **callbacks}
    document["limits"] = {
        "request_timeout": 5,
        "rate_limit": 0,
        "cleanup_wait": 30,
        "callback_wait": 30,
        "clock_speed": SPEED,
        "clock_skew": 120,
        "clock_lag": CLOCK_LAG,  # what `init --from-mock` writes: a braked mock's lag
        "callback_outage": 0,
    }
    config = parse_config(document, environ={})
    only = Selection(only=("callbacks",))
    with Forger(mock) as forger:
        report = run_selection(config, selection=only, seed=3)
    assert forger.answers, "no campaign with a callback URL was seen to forge to"
    return report, forger


def test_a_forged_callback_is_refused_and_the_server_passes(fast_mock: str, tmp_path: Path) -> None:
    report, forger = run_forged(fast_mock, tmp_path)
    assert set(forger.answers.values()) == {403}, forger.answers
    status = {v.rule: v.status for v in report.verdicts}
    assert {r: status[r] for r in CALLBACK_RULES} == dict.fromkeys(CALLBACK_RULES, Status.PASS)
    failed = [
        (v.rule, [f.message for f in v.findings])
        for v in report.verdicts
        if v.status is Status.FAIL
    ]
    assert not failed, failed  # each failed rule with its reason, not the statuses alone
    ignored = [w for w in report.warnings if "ignored" in w and FORGER in w]
    assert ignored and "callbacks.sources" in ignored[0], report.warnings


def test_listed_in_callbacks_sources_the_same_forgery_is_judged(
    fast_mock: str, tmp_path: Path
) -> None:
    report, forger = run_forged(fast_mock, tmp_path, sources=[FORGER])
    assert 403 not in forger.answers.values(), forger.answers  # answered as a callback
    failed = {v.rule for v in report.verdicts if v.status is Status.FAIL}
    # Blamed on the server: a `when` years ahead (C-3), and more (A-1, E-2, M-4 here).
    assert "C-3" in failed and len(failed) >= 2, failed
    assert not [w for w in report.warnings if "ignored" in w], report.warnings
