"""Clients generated once per session from the repo's openapi.yaml, and a mock to drive them.

Each generator runs as its users run it, from the package the dev extra installs; nothing
patches what it writes. A missing tool (Java for openapi-generator) is one line of skip
reason on a developer's machine and a failure in CI (`CI=true`), which must have it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from serving import served_mock

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
BIN = Path(sys.executable).parent


def need(tool: str) -> str:
    """The path of `tool`, or a one-line skip (a failure in CI, which must have it)."""
    found = shutil.which(tool) or (str(BIN / tool) if (BIN / tool).exists() else None)
    if found is None:
        message = f"{tool} is not installed (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _generate(command: list[str], cwd: Path, **extra_env: str) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra_env}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"


def import_generated(root: Path, package: str) -> ModuleType:
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return importlib.import_module(package)


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """`campaign-mock serve` with its built-in fixtures (account demo, domain 1 bouncing)."""
    with served_mock() as url:
        yield url


@pytest.fixture(scope="session")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """openapi-python-client's package, generated and imported as is."""
    tool = need("openapi-python-client")
    root = tmp_path_factory.mktemp("opc")
    out = root / "duo_opc"
    _generate(
        [tool, "generate", "--path", str(SPEC), "--output-path", str(out), "--meta", "none"], root
    )
    package = import_generated(root, "duo_opc")
    importlib.import_module("duo_opc.models")
    return package


@pytest.fixture(scope="session")
def generator_client(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """openapi-generator's `python` client (the jar in the openapi-generator-cli wheel)."""
    tool = need("openapi-generator-cli")
    need("java")
    root = tmp_path_factory.mktemp("og")
    command = [tool, "generate", "-i", str(SPEC), "-g", "python", "-o", str(root / "out")]
    _generate([*command, "--package-name", "duo_og"], root)
    return import_generated(root / "out", "duo_og")


@dataclass(frozen=True)
class NewestGenerator:
    """The openapi-python-client `pip install openapi-python-client` gives today."""

    version: str
    site: Path

    def generate(self, out: Path) -> None:
        """Generate a client of the repo's openapi.yaml into `out`, as the pinned one does."""
        command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC)]
        command += ["--output-path", str(out), "--meta", "none"]
        _generate(command, out.parent, PYTHONPATH=str(self.site))


@pytest.fixture(scope="session")
def newest_python_client(tmp_path_factory: pytest.TempPathFactory) -> NewestGenerator:
    """The newest release on the package index, installed apart (`pip --target`): the dev
    environment keeps the pinned one."""
    site = tmp_path_factory.mktemp("opc-newest")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--target", str(site), "openapi-python-client"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (dist,) = importlib.metadata.distributions(name="openapi-python-client", path=[str(site)])
    return NewestGenerator(dist.version, site)
