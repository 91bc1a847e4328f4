"""Shared test settings: Hypothesis profiles chosen by HYPOTHESIS_PROFILE; the contract suite's
kill, false-failure and clause-coverage tables printed at the end of the run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from tests.chromium import browser  # noqa: F401 (the one session fixture, see tests/chromium.py)
from tests.serving import free_port

# Every mock a test serves leaves its `?secrets=1` token in a folder of this test process
# (serving/announce.py), never in the user's ~/.cache; the mocks and tools it starts read it.
os.environ.setdefault(
    "CAMPAIGN_MOCK_RUNTIME_DIR", tempfile.mkdtemp(prefix="campaign-kit-tests-run-")
)

settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# A real `redis-server` for the Redis store's tests (tests/store, tests/doors): one per test
# process, emptied per test.
REDIS_MISSING = "redis-server is not installed: apt-get install redis-server (Redis store tests)"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """`redis://127.0.0.1:PORT` of a redis-server this session started (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(REDIS_MISSING)
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    import redis

    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)  # a subprocess coming up
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        process.terminate()
        process.wait(10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """Database 0 of the session's redis-server, emptied for this test."""
    import redis

    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return f"{redis_server}/0"


#: Rows reported by tests/contract (kills and conforming variants), gathered from the reports
#: in the process that prints the summary (the xdist controller, or the only process).
KILLS: list[tuple[str, str, bool, str]] = []
CONFORMING: list[tuple[str, bool, str, str]] = []
#: Per clause of a full default run (tests/contract/test_full_run.py): id, state, cells
#: exercised, cells in its domain, whether only reported cells count.
CELLS: list[tuple[str, str, int, int, bool]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return  # setup and teardown reports carry the same properties
    for name, value in report.user_properties:
        if name == "contract.kill":
            KILLS.append(tuple(value))  # type: ignore[arg-type]
        elif name == "contract.conforming":
            CONFORMING.append(tuple(value))  # type: ignore[arg-type]
        elif name == "contract.cells":
            CELLS[:] = [tuple(row) for row in value]  # type: ignore[misc]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if KILLS:
        killed = sum(1 for _n, _r, k, _w in KILLS if k)
        terminalreporter.section("contract suite: broken variants")
        for name, rules, kill, why in sorted(KILLS):
            terminalreporter.write_line(
                f"{'killed' if kill else 'SURVIVED':<9} {name:<28} {rules:<10} {why}"
            )
        terminalreporter.write_line(f"kill rate: {killed}/{len(KILLS)}")
    if CONFORMING:
        falsely = sum(1 for _n, passed, _f, _r in CONFORMING if not passed)
        terminalreporter.section("contract suite: conforming variants")
        for name, passed, failed, reading in sorted(CONFORMING):
            verdict = "passed" if passed else f"FAILED {failed}"
            terminalreporter.write_line(f"{verdict:<9} {name:<28} {reading}")
        terminalreporter.write_line(
            f"false-failure rate: {falsely}/{len(CONFORMING)} conforming variants failed"
        )
    if KILLS or CONFORMING or CELLS:
        from campaign_contract.coverage import all_clauses
        from campaign_contract.coverage.table import summary

        terminalreporter.section("contract suite: clause coverage")
        terminalreporter.write_line(f"clause coverage: {summary(all_clauses())}")
    if CELLS:
        _cell_coverage(terminalreporter)


def _cell_coverage(terminalreporter: Any) -> None:
    """Per rule group: clauses wholly exercised by the full default run, and their cells."""
    terminalreporter.section("contract suite: clauses and cells exercised by a full default run")
    groups: dict[str, list[tuple[str, str, int, int]]] = {}
    for row in CELLS:
        groups.setdefault(row[0].split("-", 1)[0], []).append(row)
    totals = [0, 0, 0, 0]
    for group, rows in groups.items():
        judged = [r for r in rows if r[1] != "outside"]
        done = [r for r in judged if r[1] == "exercised"]
        cells = sum(r[2] for r in judged), sum(r[3] for r in judged)
        terminalreporter.write_line(
            f"{group}: {len(done)}/{len(judged)} clauses exercised, "
            f"{cells[0]}/{cells[1]} cells, {len(rows) - len(judged)} outside"
        )
        for index, value in enumerate((len(done), len(judged), *cells)):
            totals[index] += value
        for clause, state, got, of in judged:
            if state != "exercised":
                terminalreporter.write_line(f"  {state:<17} {clause} ({got}/{of} cells)")
    terminalreporter.write_line(
        f"cell coverage: {totals[0]}/{totals[1]} clauses and {totals[2]}/{totals[3]} cells "
        "exercised (each cell reported by the check that judged it)"
    )
