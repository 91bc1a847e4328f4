"""The package as people install it (issue 9, item 2): `python -m build` makes a wheel and an
sdist, and the wheel, installed into a fresh virtual environment outside the repo, serves the
mock, its CLI and its pytest plugin without the suite's dependencies; the `contract` extra
brings the suite, and without it `campaign-contract` says which extra to install.

Slow by nature (a build, a venv, two installs from the package index): built once, one venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The suite's dependencies and theirs: none may come with the base install.
SUITE_ONLY = frozenset(
    {"schemathesis", "hypothesis", "jsonschema", "graphql-core", "hypothesis-graphql", "rich"}
)
#: Installs reach the package index (pip's own configuration); give them room on a slow day.
pytestmark = pytest.mark.timeout(1800)

USER_TESTS = """
import sys
from pathlib import Path

import pytest
import requests

import campaign_mock

API = "https://api.shop.test"


def test_it_is_the_installed_package():
    assert Path(campaign_mock.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())


@pytest.mark.campaign_mock(fixtures="shop.yaml")
def test_the_live_fixture(campaign_mock, callback_sink):
    answer = requests.post(
        campaign_mock.url + "/campaign", auth=campaign_mock.auth, timeout=10,
        data={"name": "n", "domain": 3, "list": 5, "event_callback": callback_sink.url},
    ).json()
    assert answer["success"] and answer["data"]["id"] == 1, answer
    spec = requests.get(campaign_mock.url + "/openapi.yaml", timeout=10)
    assert spec.ok and spec.text.startswith("openapi: 3.1")


def test_the_dashboard(campaign_mock):
    page = requests.get(campaign_mock.url + "/", headers={"Accept": "text/html"}, timeout=10)
    assert page.ok and "<h1>Campaigns</h1>" in page.text, page.text[:500]
    style = requests.get(campaign_mock.url + "/_mock/ui/static/dashboard.css", timeout=10)
    assert style.ok and "font" in style.text


def test_in_process():
    with campaign_mock.intercept(API, fixtures="shop.yaml") as mock:
        data = {"name": "n", "domain": 3, "list": 5}
        answer = requests.post(API + "/campaign", auth=mock.auth, data=data).json()
        assert answer["success"], answer
"""
FIXTURES = """\
accounts: [{username: shop, password: shop-secret}]
domains: [{id: 3, name: mail.shop.example}]
lists: [{id: 5, name: Five, contacts: [{id: 1, email: a@example.com}]}]
"""


@dataclass
class Venv:
    """A fresh virtual environment, and what it held right after the base install."""

    path: Path
    wheel: Path
    base_packages: frozenset[str]
    contract_without_extra: subprocess.CompletedProcess[str]
    help_without_extra: subprocess.CompletedProcess[str]

    def run(
        self, *args: str | Path, cwd: Path, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return _run([str(a) for a in args], cwd=cwd, env=self.env(), timeout=timeout)

    def bin(self, name: str) -> Path:
        return self.path / "bin" / name

    def env(self) -> dict[str, str]:
        """A user's shell with this venv active: nothing of the test run's environment."""
        kept = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
        return {**kept, "VIRTUAL_ENV": str(self.path), "PATH": f"{self.bin('')}:{os.defpath}"}

    def packages(self, cwd: Path) -> frozenset[str]:
        listed = self.run(self.bin("python"), "-m", "pip", "list", "--format=json", cwd=cwd)
        assert listed.returncode == 0, listed.stderr
        return frozenset(p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout))


def _run(
    args: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


#: What a checkout may hold that is no part of the source.
NOT_SOURCE = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".mypy_cache",
              ".ruff_cache", ".pytest_cache", ".hypothesis", ".campaign-contract")  # fmt: skip


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # `python -m build` writes into the tree it builds: build a copy, so builds in parallel
    # (xdist workers, a developer's editor) never clobber each other's files.
    source = tmp_path_factory.mktemp("source") / "campaign-kit"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    built = _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=out)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """The wheel and pytest (the user's own test runner) installed as a user would."""
    where = tmp_path_factory.mktemp("user")
    (wheel,) = dist.glob("campaign_kit-*.whl")
    made = _run([sys.executable, "-m", "venv", str(where / "venv")], cwd=where)
    assert made.returncode == 0, made.stderr
    env = Venv(where / "venv", wheel, frozenset(), made, made)
    pip = (env.bin("python"), "-m", "pip", "install", "--quiet")
    installed = env.run(*pip, wheel, "pytest", cwd=where)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env.base_packages = env.packages(where)
    env.contract_without_extra = env.run(env.bin("campaign-contract"), "rules", cwd=where)
    env.help_without_extra = env.run(env.bin("campaign-contract"), "--help", cwd=where)
    return env


def test_the_wheel_and_the_sdist_carry_what_runs(dist: Path) -> None:
    (wheel,) = dist.glob("campaign_kit-*.whl")
    (sdist,) = dist.glob("campaign_kit-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in [
        "campaign_mock/openapi.yaml",
        "campaign_mock/fixtures/default.yaml",
        "campaign_mock/pytest_plugin.py",
        "campaign_mock/templates/dashboard/base.html",
        "campaign_mock/templates/dashboard/_campaign.html",
        "campaign_mock/static/dashboard.css",
        "campaign_mock/static/dashboard.js",
        "campaign_mock/static/favicon.svg",
        "campaign_contract/openapi.yaml",
        "campaign_contract/rules.yaml",
        "campaign_contract/coverage/V.yaml",
    ]:
        assert needed in names, needed
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        carried = {n.removeprefix(f"{top}/") for n in archive.getnames()}
    assert {"pyproject.toml", "README.md", "CONTRACT.md", "openapi.yaml"} <= carried
    assert "src/campaign_mock/cli.py" in carried


def test_the_base_install_brings_no_suite_dependency(venv: Venv) -> None:
    assert {"campaign-kit", "flask", "waitress", "responses", "pyyaml"} <= venv.base_packages
    assert not venv.base_packages & SUITE_ONLY, sorted(venv.base_packages & SUITE_ONLY)


def test_campaign_mock_runs_from_the_wheel(venv: Venv, tmp_path: Path) -> None:
    shown = venv.run(venv.bin("campaign-mock"), "--help", cwd=tmp_path)
    assert shown.returncode == 0 and "Examples:" in shown.stdout, shown.stderr
    (tmp_path / "shop.yaml").write_text(FIXTURES)
    (tmp_path / "bad.yaml").write_text(FIXTURES.replace("id: 3", "id: three"))
    checked = venv.run(venv.bin("campaign-mock"), "fixtures", "check", "shop.yaml", cwd=tmp_path)
    assert checked.returncode == 0 and "ok (1 accounts" in checked.stdout, checked.stderr
    refused = venv.run(venv.bin("campaign-mock"), "fixtures", "check", "bad.yaml", cwd=tmp_path)
    assert refused.returncode == 3, refused.stderr
    assert refused.stderr.strip() == "Error: bad.yaml: fixtures.domains[0].id: must be an integer"


def test_campaign_contract_without_the_extra_names_it(venv: Venv) -> None:
    told = venv.contract_without_extra
    assert told.returncode == 2, told.stdout + told.stderr
    (line,) = told.stderr.strip().splitlines()
    assert "pip install 'campaign-kit[contract]'" in line and "schemathesis" in line
    # Help needs no extra: it prints, with the same hint below it.
    shown = venv.help_without_extra
    assert shown.returncode == 0 and "Examples:" in shown.stdout, shown.stderr
    assert shown.stderr.strip() == line


def test_the_plugin_runs_a_users_tests(venv: Venv, tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(FIXTURES)
    (tmp_path / "test_shop.py").write_text(USER_TESTS)
    ran = venv.run(venv.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert ran.returncode == 0 and "4 passed" in ran.stdout, ran.stdout + ran.stderr


def test_the_contract_extra_brings_the_suite(venv: Venv, tmp_path: Path) -> None:
    pip = (venv.bin("python"), "-m", "pip", "install", "--quiet")
    installed = venv.run(*pip, f"{venv.wheel}[contract]", cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert {"schemathesis", "hypothesis", "jsonschema"} <= venv.packages(tmp_path)
    shown = venv.run(venv.bin("campaign-contract"), "--help", cwd=tmp_path)
    assert shown.returncode == 0 and "Examples:" in shown.stdout, shown.stderr
    rules = venv.run(venv.bin("campaign-contract"), "rules", "--level", "core", cwd=tmp_path)
    assert rules.returncode == 0 and any(
        line.startswith("V-2 ") for line in rules.stdout.splitlines()
    ), rules.stdout + rules.stderr
