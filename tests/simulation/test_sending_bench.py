"""`bench/sending.py` runs as its README says (a small list; the figures are the bench's
business, not a test's): each state's runs alternate, and the summary gives their medians
and the ratio to the first state, with the mock's CPU time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(
    r"^wall time (\S+) +[\d.]+ s +[\d.]+x memory +\(runs [\d.]+, [\d.]+; mock CPU [\d.]+ s\)$"
)


def test_the_sending_bench_alternates_its_states_and_prints_their_medians(
    tmp_path: Path,
) -> None:
    sqlite = f"sqlite:///{tmp_path / 'bench.db'}"
    done = subprocess.run(
        [sys.executable, "bench/sending.py", "--contacts", "2000", "--repeats", "2",
         "--states", f"memory,{sqlite}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    runs = [line.removeprefix("== state: ") for line in lines if line.startswith("== state:")]
    assert runs == [
        "memory (run 1 of 2)",
        f"{sqlite} (run 1 of 2)",
        f"{sqlite} (run 2 of 2)",
        "memory (run 2 of 2)",
    ], done.stdout
    assert lines.count("contacts                 2,000 (Email + SMS), final state DONE") == 4
    summary = [m[1] for line in lines if (m := SUMMARY.match(line))]
    assert summary == ["memory", sqlite], done.stdout


def test_the_sending_bench_refuses_a_count_of_runs_below_one() -> None:
    """A median of no runs is nothing: refused before any mock starts."""
    done = subprocess.run(
        [sys.executable, "bench/sending.py", "--repeats", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout
    assert "argument --repeats: not a whole number of runs, at least 1: '0'" in done.stderr
    assert "== state" not in done.stdout
