"""The whole default run as a user types it: `init --from-mock`, then `run`, all subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

import serving

#: The console scripts of the environment running the tests, as `pip install` made them.
BIN = Path(sys.executable).parent
#: The mock's sped-up clock: a send and its callbacks take a few real seconds.
SPEED = "600"


@pytest.fixture
def served_mock(tmp_path: Path) -> Iterator[str]:
    """`campaign-mock serve --port P --speed 600 --window 5`, as in the README."""
    command = (str(BIN / "campaign-mock"),)
    options = ("--speed", SPEED, "--window", "5")
    with serving.served_mock(*options, command=command, log=tmp_path / "mock.log") as url:
        yield url


def test_init_from_mock_then_a_full_default_run_passes_every_rule(
    served_mock: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "contract.yaml"
    init = subprocess.run(
        [str(BIN / "campaign-contract"), "init", "--from-mock", served_mock, "-o", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    reports = {name: tmp_path / f"report.{name}" for name in ("xml", "json", "html")}
    began = time.monotonic()
    run = subprocess.run(
        [
            str(BIN / "campaign-contract"),
            "run",
            "--base-url",
            served_mock,
            "--config",
            str(config),
            "--max-examples",
            "25",
            "--junitxml",
            str(reports["xml"]),
            "--json",
            str(reports["json"]),
            "--html",
            str(reports["html"]),
        ],
        cwd=tmp_path,  # the default ledger, .campaign-contract/, goes here
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.monotonic() - began
    with capsys.disabled():
        print(f"\nfull default run against campaign-mock --speed {SPEED}: {wall:.1f} s wall")
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]

    report = json.loads(reports["json"].read_text("utf-8"))
    assert report["meta"]["level"] == "all"
    not_passed = {r["id"]: (r["status"], r["reason"]) for r in report["rules"]}
    not_passed = {k: v for k, v in not_passed.items() if v[0] != "pass"}
    assert not not_passed, not_passed
    assert report["counts"]["pass"] == len(report["rules"]) > 0

    junit = ET.parse(reports["xml"]).getroot()
    cases = junit.findall(".//testcase")
    assert len(cases) == len(report["rules"])
    assert not junit.findall(".//failure") and not junit.findall(".//skipped")

    html = reports["html"].read_text("utf-8")
    HTMLParser().feed(html)
    assert "<html" in html.lower() and all(r["id"] in html for r in report["rules"])
