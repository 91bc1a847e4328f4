"""The suite passes, with zero failures, servers that send and call back in other ways
CONTRACT.md allows, and a server on the standard library's http.server."""

from __future__ import annotations

import http.client
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from campaign_contract.engine.outcome import Status
from campaign_contract.engine.run_report import RunReport
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.report.evidence import failure_text
from campaign_contract.transport.http import BasicAuth, Client

from .callback_variants import SETTINGS, SPEED, callbacks_config, served
from .conforming import Conforming
from .conforming_sending import SENDING_VARIANTS, SHOWN, SLOW_REAL
from .conftest import CONFORMING, MAX_EXAMPLES, mock_app
from .stdlib_served import stdlib_served

#: Rules of the callbacks layer, each of which must be judged (pass), not only not failed.
CALLBACK_RULES = ("A-1", "A-2", "E-1", "E-2", "C-1", "C-2", "C-3", "C-4", "M-4", "M-5")
#: The rules the other three layers judge, each of which must pass on the http.server variant.
SERVER_RULES = ("V-2", "V-3", "V-4", "R-2", "R-3", "Q-1", "Q-2", "Q-4", "M-1", "M-2", "M-4")
AUTH = BasicAuth("demo", "demo-password")


def _record(name: str, reading: str, report: RunReport, must_pass: tuple[str, ...]) -> None:
    """Adds the variant's row to the false-failure table, then asserts it passed: no rule
    failed, and each of `must_pass` was judged and passed (not merely not failed)."""
    failed = {v.rule: failure_text(v) for v in report.verdicts if v.status is Status.FAIL}
    verdicts = {v.rule: v for v in report.verdicts}
    unjudged = {
        r: verdicts[r].reason if r in verdicts else "not in the report"
        for r in must_pass
        if r not in verdicts or verdicts[r].status is not Status.PASS
    }
    parts = ",".join(sorted(failed)) or ("not judged: " + ",".join(sorted(unjudged)))
    CONFORMING.append((name, not failed and not unjudged, parts, reading))
    assert not failed, "\n\n".join(failed.values())
    assert not unjudged, unjudged


def _states_over_time(url: str, seconds: float) -> list[tuple[float, str]]:
    """POSTs a READY campaign due now (no callback) and notes each state it is seen in."""
    with Client(url, auth=AUTH) as client:
        began = time.monotonic()
        form = {"name": "watch", "domain": "1", "list": "2", "state": "READY"}
        created = client.post("/campaign", form={**form, "when": str(int(time.time()))})
        ident = created.data()["id"]
        seen = [(0.0, str(created.data()["state"]))]
        while seen[-1][1] != "DONE" and time.monotonic() - began < seconds:
            time.sleep(0.05)
            state = str(client.get(f"/campaign/{ident}").data().get("state"))
            if state != seen[-1][1]:
                seen.append((time.monotonic() - began, state))
        client.delete(f"/campaign/{ident}")
    return seen


def _slow_shown(name: str, url: str) -> str | None:
    """slow_start: READY that long before SENDING; slow_done: SENDING that long before DONE."""
    seen = {state: at for at, state in reversed(_states_over_time(url, 6 * SLOW_REAL))}
    if "DONE" not in seen or "SENDING" not in seen:
        return f"states seen: {seen}"
    took = seen["SENDING"] if name == "slow_start" else seen["DONE"] - seen["SENDING"]
    return None if took >= 0.75 * SLOW_REAL else f"{name}: only {took:.2f} s ({seen})"


@pytest.mark.parametrize("variant", SENDING_VARIANTS, ids=[v.name for v in SENDING_VARIANTS])
def test_the_suite_passes_the_conforming_variant(variant: Conforming, tmp_path: Path) -> None:
    apps: list[Flask] = []

    def prepare(app: Flask) -> None:
        variant.apply(app)
        apps.append(app)

    with served(prepare) as url:
        report = run_selection(
            callbacks_config(url, tmp_path, wait=20),
            selection=Selection(only=variant.only, skip=variant.skip),
            seed=7,
            max_examples=MAX_EXAMPLES,
        )
        if variant.name in ("slow_start", "slow_done"):
            shown = _slow_shown(variant.name, url)
        else:
            shown = SHOWN[variant.name](apps[0])
    _record(variant.name, variant.reading, report, CALLBACK_RULES)
    assert shown is None, f"{variant.name} did not take its reading: {shown}"


def test_there_are_seven_sending_variants_each_showing_its_reading() -> None:
    names = [v.name for v in SENDING_VARIANTS]
    assert len(set(names)) == len(names) >= 7
    assert set(SHOWN) | {"slow_start", "slow_done"} == set(names)


HTTP_SERVER_READING = (
    "served by wsgiref on http.server (threaded, keep-alive), which writes each answer in "
    "several sends with Nagle on: a keep-alive client that delays ACKs waits 40 ms each"
)


def test_the_suite_passes_a_server_on_stdlib_http_server(tmp_path: Path) -> None:
    with stdlib_served(mock_app(SPEED, SETTINGS)) as url:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=5)
        connection.request("GET", "/campaign/1")
        software = connection.getresponse().getheader("Server") or ""
        connection.close()
        assert software.startswith("WSGIServer/"), software  # the stdlib answers, not waitress
        report = run_selection(
            callbacks_config(url, tmp_path),
            selection=Selection(only=("robustness", "schema", "stateful", "callbacks")),
            seed=7,
            max_examples=MAX_EXAMPLES,
        )
    _record("stdlib_http_server", HTTP_SERVER_READING, report, SERVER_RULES + CALLBACK_RULES)
