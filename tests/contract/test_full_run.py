"""The whole default run as a user types it: `init --from-mock`, then `run`, all subprocesses;
and every cell of every clause the suite can judge exercised by that one run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

import campaign_mock
import serving
from campaign_contract.coverage import all_clauses

#: The console scripts of the environment running the tests, as `pip install` made them.
BIN = Path(sys.executable).parent
#: The mock's sped-up clock: a send and its callbacks take a few real seconds.
SPEED = "600"
#: The mock's built-in fixtures (what `campaign-mock serve` starts with).
DEFAULT_FIXTURES = Path(campaign_mock.__file__).parent / "fixtures" / "default.yaml"


@dataclass(frozen=True)
class FullRun:
    """One `init --from-mock` and `run` against a served mock: what they left behind."""

    folder: Path
    init: subprocess.CompletedProcess[str]
    run: subprocess.CompletedProcess[str]
    wall: float
    reports: dict[str, Path]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullRun]:
    """`campaign-mock serve --port P --speed 600 --window 5`, as in the README, then the two
    commands a user types; made once for every test of this module (it takes a minute)."""
    folder = tmp_path_factory.mktemp("full-run")
    command = (str(BIN / "campaign-mock"),)
    fixtures = folder / "fixtures.yaml"
    fixtures.write_text(yaml.safe_dump(_fixtures()), "utf-8")
    options = ("--speed", SPEED, "--window", "5", "--fixtures", str(fixtures))
    with serving.served_mock(*options, command=command, log=folder / "mock.log") as url:
        # Every send holds SENDING a second and a half of real time after its last outcome
        # (a reading M-4 allows): on a busy machine a 600x send could end before the suite
        # saw it SENDING, and M-5's cells in SENDING would go unjudged.
        # Opens come late (M-4: `opened` and `clicked` may still come after DONE; each of the
        # two is a cell of M-4.opened-clicked-after-done, judged only when one provably did).
        settings = {"done_delay": HELD, "delays": {"opened": LATE_OPENS}}
        held = requests.put(f"{url}/_mock/settings", json=settings, timeout=30)
        assert held.json()["success"], held.text
        yield _run(url, folder)


#: Mock seconds a send stays SENDING after its last outcome (1.5 real seconds at SPEED).
HELD = 900
#: Mean mock seconds from delivery to open (default 1800; 15 real seconds at SPEED): a known
#: open must come past the suite's bound on the server's clock at DONE (HELD after the last
#: outcome, plus up to a second's poll, 600 mock seconds), which this mean passes with 84%
#: per send, and three sends reach a contact known to engage (below).
LATE_OPENS = 9000
#: A magic address that always opens and clicks (docs/simulation.md), added to list 1 so that
#: its sends too (list 1 and the race) can show an open after DONE, besides list 2's clicked@.
ENGAGED = {"email": "click@simulator.campaign-mock.dev"}
#: A list over C-2p's 1000 addresses per request, so the run can judge that limit.
LARGE = 1001
#: The mock's magic addresses that always bounce (docs/simulation.md): a default run's seeded
#: rates may bounce no SMS at all, and E-1 and C-1 speak of every event type of each channel.
BOUNCING = ({"email": "bounce@simulator.campaign-mock.dev"}, {"telephone": "+15005550001"})


def _fixtures() -> dict[str, Any]:
    """The mock's built-in fixtures, with what a vendor's config would add to exercise every
    cell (the clauses' `hint`s): bouncing addresses and over 1000 contacts in list 2, and a
    contact known to engage in list 1."""
    document: dict[str, Any] = yaml.safe_load(DEFAULT_FIXTURES.read_text("utf-8"))
    newsletter = next(lst for lst in document["lists"] if lst["id"] == 2)
    extra = [*BOUNCING, *({"email": f"reader{n}@example.com"} for n in range(LARGE))]
    newsletter["contacts"] += [{"id": 1000 + n, **c} for n, c in enumerate(extra)]
    customers = next(lst for lst in document["lists"] if lst["id"] == 1)
    customers["contacts"].append({"id": 999, **ENGAGED})
    return document


def _run(served_mock: str, tmp_path: Path) -> FullRun:
    config = tmp_path / "contract.yaml"
    init = subprocess.run(
        [str(BIN / "campaign-contract"), "init", "--from-mock", served_mock, "-o", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if init.returncode != 0:
        pytest.fail(init.stderr)
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
            "--work-dir",
            str(tmp_path / "work"),  # the default ledger and Hypothesis's cache
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.monotonic() - began
    return FullRun(tmp_path, init, run, wall, reports)


def test_init_from_mock_then_a_full_default_run_passes_every_rule(
    full_run: FullRun, capsys: pytest.CaptureFixture[str]
) -> None:
    run, reports, wall = full_run.run, full_run.reports, full_run.wall
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


def _missing_cells(report: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Every clause not declared outside with a cell the run left unexercised: its cells."""
    out: dict[str, list[dict[str, str]]] = {}
    for rule in report["rules"]:
        for clause in rule["clauses"]:
            if not clause["exempt"] and not clause["exercised"]:
                out[clause["id"]] = clause["missing"] or [{}]
    return out


def test_the_full_default_run_exercises_every_cell_of_every_clause(
    full_run: FullRun, record_property: Callable[[str, object], None]
) -> None:
    report = json.loads(full_run.reports["json"].read_text("utf-8"))
    accounts = [c for rule in report["rules"] for c in rule["clauses"]]
    # The table at the end of `make test` (tests/conftest.py): clauses and cells, per group.
    rows = [(c["id"], c["state"], c["cells_exercised"], c["cells"]) for c in accounts]
    record_property("contract.cells", rows)
    assert {c["id"] for c in accounts} == {c.id for c in all_clauses()}
    missing = _missing_cells(report)
    reasons = {c["id"]: c["reasons"] for c in accounts}
    told = [
        f"{clause}: {'; '.join(_cell_text(cell) for cell in cells)}\n    why: {reasons[clause]}"
        for clause, cells in missing.items()
    ]
    assert not missing, "cells no check exercised:\n" + "\n".join(told)


def _cell_text(cell: dict[str, str]) -> str:
    return " ".join(f"{axis}={value}" for axis, value in cell.items()) or "(whole clause)"
