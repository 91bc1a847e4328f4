"""`campaign-contract` as a process, as users meet it: where a run's files go, `init` pointed
at something that is no mock, and `--help` in an install without the `contract` extra."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from .conftest import config_document

SRC = Path(__file__).resolve().parents[2] / "src"
#: `entry.py` finds the extra with importlib.util.find_spec, which says "not installed" for a
#: module whose sys.modules entry is None: the base install, without uninstalling anything.
WITHOUT_THE_EXTRA = (
    "import sys\n"
    "for name in ('schemathesis', 'hypothesis', 'jsonschema', 'h11'):\n"
    "    sys.modules[name] = None\n"
    "sys.argv[0] = 'campaign-contract'\n"
    "from campaign_contract.entry import main\n"
    "main()\n"
)
HINT = "pip install 'campaign-kit[contract]'"


def contract(
    *args: str, cwd: Path, env: dict[str, str] | None = None, without_extra: bool = False
) -> subprocess.CompletedProcess[str]:
    start = ["-c", WITHOUT_THE_EXTRA] if without_extra else ["-m", "campaign_contract"]
    base = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, *start, *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_run_leaves_the_directory_it_started_in_empty(
    tmp_path: Path, conforming_url: str
) -> None:
    """The ledger and Hypothesis's files go to the user's cache, or to --work-dir."""
    start, cache, elsewhere = tmp_path / "start", tmp_path / "cache", tmp_path / "elsewhere"
    for folder in (start, elsewhere):
        folder.mkdir()
    config = elsewhere / "contract.yaml"  # no `ledger`: the default one
    config.write_text(yaml.safe_dump(config_document()), "utf-8")
    run = ["run", "--base-url", conforming_url, "--config", str(config), "--seed", "1"]
    run += ["--only", "schema.generated_requests", "--max-examples", "2"]

    done = contract(*run, cwd=start, env={"XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert list(start.iterdir()) == []
    assert (cache / "campaign-contract" / "ledger.json").is_file()
    assert (cache / "campaign-contract" / "hypothesis").is_dir()

    work = tmp_path / "work"
    done = contract(*run, "--work-dir", str(work), cwd=start, env={"XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert list(start.iterdir()) == []
    assert (work / "ledger.json").is_file() and (work / "hypothesis").is_dir()
    cleaned = contract("clean", "--config", str(config), "--base-url", conforming_url,
                       "--work-dir", str(work), cwd=start)  # fmt: skip
    assert cleaned.returncode == 0 and f"in {work / 'ledger.json'}" in cleaned.stdout


class _Website(BaseHTTPRequestHandler):
    """A web page at every path: what a wrong URL (a proxy, an app) answers."""

    def do_GET(self) -> None:
        body = b"<!DOCTYPE html>\n<html><body>Welcome to nginx!</body></html>\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def website() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Website)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_init_from_something_that_is_no_mock_says_what_answered(
    tmp_path: Path, website: str
) -> None:
    done = contract("init", "--from-mock", website, "-o", "contract.yaml", cwd=tmp_path)
    assert done.returncode == 4, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("campaign-contract: error: ") and "Expecting value" not in line
    assert f"{website}/_mock/state is not a campaign-mock" in line
    assert "200" in line and "text/html" in line and "<!DOCTYPE html>" in line
    assert done.stdout == "" and list(tmp_path.iterdir()) == []


def test_help_works_without_the_contract_extra(tmp_path: Path) -> None:
    """The help prints, then the install hint below it; a command still needs the extra."""
    for asked in (["--help"], ["run", "--help"], ["proxy", "--help"], ["judge", "--help"], ["-h"]):
        shown = contract(*asked, cwd=tmp_path, without_extra=True)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith("Usage: campaign-contract") and "Examples:" in shown.stdout
        (line,) = shown.stderr.splitlines()
        assert HINT in line and "schemathesis" in line and "h11" in line
    refused = contract("rules", cwd=tmp_path, without_extra=True)
    assert (refused.returncode, refused.stdout) == (2, "")
    (line,) = refused.stderr.splitlines()
    assert HINT in line
