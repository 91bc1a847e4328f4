"""`bench/proxy_latency.py` runs as its README says (a few requests; the figures are the
bench's business, not a test's): a line per method with p50, p99 and their ratios."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(
    r"^(GET|POST): direct p50 [\d.]+ ms p99 [\d.]+ ms; proxy p50 [\d.]+ ms p99 [\d.]+ ms; "
    r"added p50 -?[\d.]+ ms; ratio p50 [\d.]+ p99 [\d.]+ \(\d+ requests each\)$"
)


def test_the_proxy_latency_bench_prints_its_ratios() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "bench/proxy_latency.py",
            "--gets",
            "20",
            "--posts",
            "10",
            "--rounds",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [m[1] for line in lines if (m := LINE.match(line))] == ["GET", "POST"], done.stdout
    assert "round 2/2 done" in done.stderr
