"""The docs run: every fenced block of docs/*.md is executed, so a walkthrough cannot rot.

A comment before each block names its role:

- `<!-- test: file=NAME [check=KIND] -->` writes the block to NAME in the walkthrough's
  fresh project; `test_*.py` files are run by pytest at the end (all must pass); YAML is
  checked by its own loader (`fixtures`, `contract-config`, `waivers`), and a
  `github-actions` job is parsed and its `run:` steps executed in order;
- `<!-- test: install -->` a pip command run in a fresh virtual environment outside the repo,
  `/path/to/campaign-kit` standing for a copy of this checkout; the blocks after it (and the
  walkthrough's tests) use that environment's tools, so the guide runs on what it installs;
- `<!-- test: server -->` a command that serves the mock: the test starts it, on a free port;
- `<!-- test: sh -->` runs with bash in the project, against that mock; it must succeed.

`127.0.0.1:8080` and `--port 8080` in blocks stand for the port the test chose.
docs/simulation.md predates the markers; `test_simulation_md` runs its blocks its own way.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from tests.serving import running

from campaign_contract.config.model import load_config
from campaign_contract.engine.waiver import load_waivers
from campaign_mock.fixtures.document import default_fixtures, fixtures_from_document, load_fixtures

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGHS = ["integrator.md", "qa.md", "vendor.md"]
BIN = Path(sys.executable).parent
MARKED = re.compile(
    r"<!-- test: (?P<spec>[^>]*?) -->\n```(?P<lang>\w+)\n(?P<code>.*?)^```$", re.S | re.M
)
FENCE = re.compile(r"^```", re.M)
CREDENTIALS = {"CAMPAIGN_USERNAME": "demo", "CAMPAIGN_PASSWORD": "demo-password"}
#: Where the guides say "your checkout of campaign-kit".
CHECKOUT_PLACEHOLDER = "/path/to/campaign-kit"
#: What a fresh clone does not hold (.gitignore), left out of the copies installed from.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".hypothesis", "build", "dist", "reports", ".node", "node_modules",
)  # fmt: skip


@dataclass
class Block:
    role: str
    attrs: dict[str, str]
    lang: str
    code: str
    line: int


def blocks(text: str) -> list[Block]:
    found = []
    for match in MARKED.finditer(text):
        words = match["spec"].split()
        attrs = dict(w.split("=", 1) for w in words if "=" in w)
        role = "file" if "file" in attrs else words[0]
        line = text.count("\n", 0, match.start()) + 2
        found.append(Block(role, attrs, match["lang"], match["code"], line))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(bin_dir: Path = BIN, **extra: str) -> dict[str, str]:
    """The tests' own tools first; with a fresh venv's `bin_dir`, nothing of the test run's."""
    if bin_dir == BIN:
        return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}
    kept = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    path = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN]
    return {**kept, "PATH": os.pathsep.join([str(bin_dir), *path]), **extra}


def _clone(where: Path) -> Path:
    """This checkout's files as a clone holds them (a copy: a build writes into its tree)."""
    shutil.copytree(ROOT, where, ignore=NOT_IN_A_CLONE, symlinks=True)
    return where


def _fresh_python(where: Path) -> Path:
    """A new virtual environment (actions/setup-python, a user's venv); its bin directory."""
    made = subprocess.run([sys.executable, "-m", "venv", str(where)], capture_output=True)
    assert made.returncode == 0, made.stderr
    return where / "bin"


class Project:
    """A walkthrough's fresh directory, its mock (if it starts one) and the port it uses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = _free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.bin = BIN  # whose campaign-mock, python and pytest the blocks run

    def install(self, code: str) -> None:
        """The guide's install command, in a venv of its own, from a copy of this checkout."""
        base = self.path.parent / self.path.name
        self.bin = _fresh_python(Path(f"{base}-python"))
        source = _clone(Path(f"{base}-campaign-kit"))
        self.sh(code.replace(CHECKOUT_PLACEHOLDER, str(source)), timeout=1200)

    def here(self, code: str, port: int | None = None) -> str:
        port = port or self.port
        return code.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace(
            "--port 8080", f"--port {port}"
        )

    def serve(self, code: str) -> None:
        process = subprocess.Popen(
            shlex.split(self.here(code)), cwd=self.path, env=_env(self.bin), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.processes.append(process)
        self.wait_up(f"http://127.0.0.1:{self.port}")

    def wait_up(self, url: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/_mock/state", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)  # a server process starting up; nothing to long-poll yet
        raise AssertionError(f"the mock did not start at {url}")

    def sh(self, code: str, timeout: float = 240, **env: str) -> str:
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", self.here(code)], cwd=self.path,
            env=_env(self.bin, **env), capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert run.returncode == 0, f"{code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
        return run.stdout

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):  # its group has already ended
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Iterator[Project]:
    found = Project(pytester.path)
    yield found
    found.stop()


@pytest.mark.parametrize("name", WALKTHROUGHS)
def test_every_block_is_marked(name: str) -> None:
    text = (ROOT / "docs" / name).read_text("utf-8")
    fences = len(FENCE.findall(text)) // 2
    assert fences == len(blocks(text)) > 0, f"{name}: a fenced block has no <!-- test: ... -->"
    for block in blocks(text):
        assert block.role in {"file", "sh", "server", "install"}, f"{name}:{block.line}"
        assert block.lang in {"python", "sh", "yaml"}, f"{name}:{block.line}: {block.lang}"


@pytest.mark.parametrize("name", WALKTHROUGHS)
# A walkthrough installs campaign-kit in a fresh virtual environment (its steps allow 1200 s)
# and runs its guide's commands (240 s each): the suite-wide 300 s cut it off on a loaded
# machine (qa.md: 66 s idle, over 300 s beside a CPU hog) while every step was in bounds.
@pytest.mark.timeout(1800)
def test_walkthrough_runs(name: str, project: Project, pytester: pytest.Pytester) -> None:
    tests = []
    for block in blocks((ROOT / "docs" / name).read_text("utf-8")):
        where = f"docs/{name}:{block.line}"
        if block.role == "install":
            project.install(block.code)
        elif block.role == "server":
            project.serve(block.code)
        elif block.role == "sh":
            project.sh(block.code, **CREDENTIALS)
        else:
            path = project.path / block.attrs["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(project.here(block.code), "utf-8")
            if path.name.startswith("test_") and path.suffix == ".py":
                tests.append(path.name)
            check = block.attrs.get("check")
            if check:
                CHECKS[check](project, path, where, block.code)
    if tests:
        # From another directory: the guide's relative fixtures paths ("magic.yaml") mean the
        # file beside the test, for the marker and intercept() alike, wherever pytest runs.
        elsewhere = project.path.parent / f"{project.path.name}-elsewhere"
        elsewhere.mkdir()
        run = subprocess.run(
            [str(project.bin / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-q",
             *(str(project.path / t) for t in tests)],
            cwd=elsewhere, env=_env(project.bin), capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        result = pytest.RunResult(run.returncode, run.stdout.splitlines(), [], 0)
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) > 0 and set(outcomes) <= {"passed"}, (
            run.stdout + run.stderr
        )


def _check_fixtures(project: Project, path: Path, where: str, code: str) -> None:
    assert load_fixtures(path).accounts, where


def _check_contract_config(project: Project, path: Path, where: str, code: str) -> None:
    config = load_config(path, environ=CREDENTIALS)
    assert config.auth.username == "demo", where


def _check_waivers(project: Project, path: Path, where: str, code: str) -> None:
    assert load_waivers(path), where


def _check_github_actions(project: Project, path: Path, where: str, code: str) -> None:
    """Parsed; `uses:` pinned; every `run:` step executed in order in one shell, the install
    included, on a runner of our making: `actions/checkout` of campaign-kit copies this
    checkout, `actions/setup-python` is a fresh venv. Fast (`--only robustness`); then the
    report is where the publishing steps look, one suite with the level in each class name."""
    document = yaml.safe_load(code)  # as written: the job gets a port of its own below
    assert document.get("on", document.get(True)), f"{where}: no trigger"
    (job,) = document["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    workspace = project.path / "runner"  # a fresh one, as the runner's
    workspace.mkdir()
    runner_bin: Path | None = None
    script = []
    for step in steps:
        assert ("uses" in step) != ("run" in step), f"{where}: {step}"
        if "run" in step:
            script.append(step["run"])
            continue
        action, _, version = step["uses"].partition("@")
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", action) and re.fullmatch(r"v\d+", version), step
        given = step.get("with", {})
        if action == "actions/checkout":
            assert not script, f"{where}: a checkout after a run step"
            if "campaign-kit" in given.get("repository", ""):
                _clone(workspace / given.get("path", "."))
        elif action == "actions/setup-python":
            assert not script, f"{where}: setup-python after a run step"
            runner_bin = _fresh_python(project.path / "runner-python")
        else:
            assert step.get("if") == "always()", f"{where}: {action} only after a success"
    assert runner_bin is not None, f"{where}: no actions/setup-python"
    assert any("pip install" in s and "campaign-kit" in s for s in script), f"{where}: install"
    port = _free_port()  # the job starts a mock of its own, beside the walkthrough's
    env = {k: project.here(str(v), port) for k, v in job.get("env", {}).items()}
    env["CONTRACT_ARGS"] = "--only robustness"
    with running(
        ["bash", "-euo", "pipefail", "-c", project.here("\n".join(script), port)],
        cwd=workspace, env=_env(runner_bin, **env), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    ) as process:  # fmt: skip
        project.processes.append(process)  # the background mock dies with its process group
        output, _ = process.communicate(timeout=1200)
    assert process.returncode == 0, output.decode()
    assert requests.get(f"http://127.0.0.1:{port}/_mock/state", timeout=5).ok  # its own mock
    published = [s["with"] for s in steps if "with" in s and "report_paths" in s["with"]]
    (report,) = [workspace / p["report_paths"] for p in published]
    root = ET.parse(report).getroot()
    assert [s.get("name") for s in root.iter("testsuite")] == ["campaign-contract"]
    cases = list(root.iter("testcase"))
    assert len(cases) >= 10
    classes = [c.get("classname", "") for c in cases]  # campaign_contract.<level>.<group>
    matched = [re.fullmatch(r"campaign_contract\.(seed|vendor|profile)\.[A-Z]", n) for n in classes]
    assert all(matched) and len({m[1] for m in matched if m}) > 1, sorted(set(classes))
    kept = [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload")]
    assert kept and all((workspace / p).is_dir() for p in kept)


CHECKS = {
    "fixtures": _check_fixtures,
    "contract-config": _check_contract_config,
    "waivers": _check_waivers,
    "github-actions": _check_github_actions,
}


# -- docs/simulation.md --------------------------------------------------------------


def test_simulation_md(project: Project) -> None:
    """Its python block runs, its YAML is a valid fixtures fragment, and every console
    command answers `success: true` from a mock started with `--frozen` as it says."""
    text = (ROOT / "docs" / "simulation.md").read_text("utf-8")
    (python,) = re.findall(r"```python\n(.*?)```", text, re.S)
    exec(compile(python, "docs/simulation.md", "exec"), {})
    (fragment,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    document = _default_document()
    document["lists"] = document["lists"] + yaml.safe_load(fragment)["lists"]
    assert fixtures_from_document(document).contact_list(10)
    project.serve("campaign-mock serve --port 8080 --frozen --start-time 2030-01-01T09:00:00Z")
    url = f"http://127.0.0.1:{project.port}"
    commands = [
        line[2:]
        for block in re.findall(r"```console\n(.*?)```", text, re.S)
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith("$ ")
    ]
    assert len(commands) >= 8
    for command in commands:
        if "/abort" in command:
            _sending_campaign(url, 3)
        answer = json.loads(project.sh(command.replace("localhost:8080", url)))
        assert answer["success"] is True, (command, answer)


def _sending_campaign(url: str, ident: int) -> None:
    """Campaigns up to `ident`, the last one SENDING for a long while (a slow send rate)."""
    requests.put(f"{url}/_mock/settings", json={"send_rate": 0.001}, timeout=10)
    now = requests.get(f"{url}/_mock/clock", timeout=10).json()["data"]["now"]
    for _ in range(ident):
        created = requests.post(f"{url}/campaign", auth=("demo", "demo-password"), timeout=10,
            data={"name": "n", "domain": 1, "list": 1, "state": "READY", "when": int(now)},
        ).json()  # fmt: skip
        assert created["success"], created
    assert created["data"]["id"] == ident and created["data"]["state"] == "SENDING"


def _default_document() -> dict[str, Any]:
    from campaign_mock.fixtures.document import fixtures_to_document

    return fixtures_to_document(default_fixtures())
