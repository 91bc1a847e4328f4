"""Fixture files that once ate the machine are refused fast, small, on one line (issue 12, item 4).

Through the CLI (`fixtures check`, `serve --fixtures`) in a child process whose CPU time and
peak RSS are measured, and through `PUT /_mock/fixtures` over a socket. Before the fix: the
alias bomb took 58 s and 3.9 GB, a 50 MB file over 180 s and 3.6 GB, deep nesting printed a
2,993-line RecursionError, and duplicate keys or a 100,000,000-wide pattern were accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from campaign_mock import create_app
from campaign_mock.serving.server import MockServer

#: `campaign-mock` exits 3 for a refused fixtures file (1 is a crash, 2 a usage error).
REFUSED = 3
DEMO = ("demo", "demo-password")
CAMPAIGN = {"name": "x", "domain": 1, "list": 1}
HEAD = "accounts: [{username: u, password: p}]\ndomains: [{id: 1, name: d}]\n"


def alias_bomb(levels: int = 9) -> str:
    """9**9 strings from ~560 bytes, where a text is required (jsonschema printed it whole)."""
    lines = [HEAD.rstrip("\n"), "x0: &x0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]" for i in range(1, levels)]
    lines.append(f"lists: [{{id: 1, name: *x{levels - 1}}}]")
    return "\n".join(lines) + "\n"


def generating(pattern: str) -> str:
    """A list whose contacts' email addresses are made from `pattern`."""
    spec = f"{{count: 2, first_id: 1, email: {json.dumps(pattern)}}}"
    return HEAD + f"lists: [{{id: 1, name: a, generate: {spec}}}]\n"


BOMBS = {
    "alias bomb": (alias_bomb(), "YAML aliases (*x0) are refused"),
    "merge key": (
        HEAD + "base: &b {id: 1, name: a}\nlists: [{<<: *b}]\n",
        "fixtures.lists[0]: YAML merge keys (<<) are refused (line 4)",
    ),
    "deep nesting": (HEAD + "lists: " + "[" * 40 + "]" * 40 + "\n", "nested more than 32 deep"),
    "deeper than libyaml": (HEAD + "lists: " + "[" * 5000 + "]" * 5000 + "\n", "at line 3"),
    "duplicate key": (
        HEAD + "lists: [{id: 1, name: a, name: b}]\n",
        "fixtures.lists[0].name: given more than once (line 3)",
    ),
    "duplicate top-level key": (
        HEAD + "lists: []\ndomains: []\n",
        "fixtures.domains: given more than once (line 4)",
    ),
    "wide pattern": (
        generating("{n:>100000000}@x"),
        "a width over 32",
    ),
    "attribute in a pattern": (
        generating("{n.__class__}@x"),
        "only {n} may be formatted",
    ),
    "huge integer": (HEAD + "lists: [{id: " + "9" * 5000 + ", name: a}]\n", "lists[0].id"),
    "lone surrogate": (HEAD.replace("u,", '"\\ud800",') + "lists: []\n", "at line 1"),
    "object where text goes": (
        HEAD + "lists: [{id: 1, name: {" + ", ".join(f"k{i}: {i}" for i in range(5000)) + "}}]\n",
        "fixtures.lists[0].name: must be a text",
    ),
}


@dataclass
class Run:
    returncode: int
    stderr: str
    cpu_s: float
    wall_s: float
    rss_mib: float


#: Runs the command and samples its peak RSS (VmHWM, /proc) until it exits. Not ru_maxrss:
#: a child exec'd after vfork folds its parent's peak into that figure, so under a big pytest
#: process (a full run) every child "used" ~800 MiB.
MEASURE = """
import json, resource, subprocess, sys, time
def peak(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
highest = 0.0
while child.poll() is None and time.perf_counter() - started < 120:
    highest = max(highest, peak(child.pid))
    time.sleep(0.002)
stderr = child.communicate(timeout=30)[1]
wall = time.perf_counter() - started
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([child.returncode, stderr, used.ru_utime + used.ru_stime, wall, highest]))
"""


def run_cli(*args: str) -> Run:
    """`campaign-mock ARGS` in a child process, measured."""
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "campaign_mock", *args],
        capture_output=True,
        text=True,
        timeout=150,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=True,
    )
    return Run(*json.loads(measured.stdout))


@pytest.mark.parametrize("name", sorted(BOMBS))
@pytest.mark.parametrize("command", ["check", "serve"])
def test_bombs_are_refused_fast_small_and_on_one_line(
    tmp_path: Path, name: str, command: str
) -> None:
    content, message = BOMBS[name]
    path = tmp_path / "fixtures.yaml"
    path.write_text(content)
    args = (
        ["fixtures", "check", str(path)]
        if command == "check"
        else ["serve", "--port", "0", "--fixtures", str(path)]
    )
    run = run_cli(*args)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == REFUSED, run.stderr[-2000:]
    assert len(lines) == 1 and message in lines[0] and len(lines[0]) < 400, run.stderr[:2000]
    # CPU time, not wall time, so a loaded machine cannot fail it; the wall bound finds hangs.
    assert run.cpu_s < 1.0 and run.wall_s < 20, (run.cpu_s, run.wall_s)
    assert run.rss_mib < 100, run.rss_mib


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """Over 10 MiB is refused unread: a 50 MB file took more than 180 s and 3.6 GB."""
    path = tmp_path / "big.yaml"
    with path.open("w") as file:
        file.write(HEAD + "lists:\n  - id: 1\n    name: big\n    contacts:\n")
        row = 0
        while file.tell() < 11 * 2**20:
            row += 1
            file.write(f"      - {{id: {row}, email: user{row}@example.com}}\n")
    run = run_cli("fixtures", "check", str(path))
    assert run.returncode == REFUSED
    assert run.stderr.strip().endswith("larger than 10 MiB; make big lists with `generate`")
    assert run.cpu_s < 1.0 and run.rss_mib < 100, (run.cpu_s, run.rss_mib)


def test_a_file_from_a_device_is_read_no_further_than_the_limit() -> None:
    run = run_cli("fixtures", "check", "/dev/zero")
    assert run.returncode == REFUSED and "larger than 10 MiB" in run.stderr
    assert run.rss_mib < 100


def test_good_fixtures_still_pass(tmp_path: Path) -> None:
    """Anchors without aliases, comments, flow and block style: what users write."""
    path = tmp_path / "ok.yaml"
    path.write_text(
        HEAD + "lists:\n  - &first  # an anchor no alias uses is harmless\n    id: 1\n"
        "    name: a\n    generate: {count: 3, first_id: 10, email: 'u{n:04d}@x.test'}\n"
    )
    run = run_cli("fixtures", "check", str(path))
    assert run.returncode == 0, run.stderr
    assert path.name in run.stderr or run.stderr == ""


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    server = MockServer(create_app(), port=0).start()
    yield server.url
    server.stop()


def _state(url: str) -> object:
    answer = requests.get(f"{url}/_mock/state", timeout=10).json()
    return {k: v for k, v in answer["data"].items() if k not in {"now", "clock"}}


BODIES = {
    "surrogate username": (
        '{"accounts":[{"username":"\\ud800","password":"p"}],"domains":[],"lists":[]}',
        200,
        "accounts[0].username",
    ),
    "wide pattern": (
        '{"accounts":[],"domains":[],"lists":[{"id":1,"name":"l","generate":'
        '{"count":2,"first_id":1,"email":"{n:>100000000}@x"}}]}',
        200,
        "a width over 32",
    ),
    "duplicate key": (
        '{"accounts":[],"domains":[],"lists":[{"id":1,"name":"a","name":"b"}]}',
        200,
        "lists[0].name",
    ),
    "deep nesting": ('{"accounts":' + "[" * 100_000 + "]" * 100_000 + "}", 400, "nested"),
    "non-finite number": (
        '{"accounts":[],"domains":[{"id":1e400,"name":"d"}],"lists":[]}',
        400,
        "out of range",
    ),
    "object where text goes": (
        '{"accounts":[],"domains":[],"lists":[{"id":1,"name":{'
        + ",".join(f'"k{i}":{i}' for i in range(20_000))
        + "}}]}",
        200,
        "fixtures.lists[0].name: must be a text",
    ),
}


@pytest.mark.parametrize("name", sorted(BODIES))
def test_put_fixtures_refuses_and_changes_nothing(mock: str, name: str) -> None:
    body, status, message = BODIES[name]
    made = requests.post(f"{mock}/campaign", json=CAMPAIGN, auth=DEMO, timeout=10)
    assert made.json()["success"] is True
    before = _state(mock)
    response = requests.put(
        f"{mock}/_mock/fixtures",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    answer = response.json()
    assert response.status_code == status and answer["success"] is False, answer
    assert message in answer["data"]["error"] and len(answer["data"]["error"]) < 400, answer
    assert _state(mock) == before
    requests.post(f"{mock}/_mock/reset", timeout=10)
    # The fixtures the mock had are still those it resets to: the demo account still logs in.
    after_reset = requests.get(f"{mock}/campaign/1", auth=DEMO, timeout=10)
    assert after_reset.status_code == 404 and after_reset.json()["data"]["code"] == "not_found"
