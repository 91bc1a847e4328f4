"""ARCHITECTURE.md is the map: its import rules hold (import-linter) and it names every folder
of `src/`, and only folders that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = ("campaign_mock", "campaign_contract")
#: A table row's first cell: the folders (`name/`) and modules (`name.py`) it names.
_NAMED = re.compile(r"`([A-Za-z_][\w]*(?:/|\.py))`")


def _sections() -> dict[str, str]:
    """The text of ARCHITECTURE.md under each product's heading."""
    text = (ROOT / "ARCHITECTURE.md").read_text("utf-8")
    parts = re.split(r"^## (\w+)\s*$", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _named(section: str) -> set[str]:
    """What the first cell of each table row names."""
    found: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| folder"):
            first = line.split("|")[1]
            found |= set(_NAMED.findall(first))
    return found


@pytest.mark.parametrize("product", PRODUCTS)
def test_the_map_names_every_folder_and_only_real_ones(product: str) -> None:
    named = _named(_sections()[product])
    package = ROOT / "src" / product
    folders = {
        f"{p.name}/"
        for p in package.iterdir()
        if p.is_dir() and p.name != "__pycache__" and not p.name.endswith(".egg-info")
    }
    modules = {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    assert folders - named == set(), f"ARCHITECTURE.md does not name {sorted(folders - named)}"
    assert modules - named == set(), f"ARCHITECTURE.md does not name {sorted(modules - named)}"
    stale = named - folders - modules
    assert stale == set(), f"ARCHITECTURE.md names what {product} lacks: {sorted(stale)}"


def test_the_import_rules_hold() -> None:
    """`lint-imports` (the contracts in pyproject.toml) passes on the tree as it is."""
    tool = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert tool is not None, "import-linter is not installed: pip install -e '.[dev]'"
    ran = subprocess.run(
        [tool, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert "0 broken" in ran.stdout


def test_a_door_importing_the_store_breaks_the_rules(tmp_path: Path) -> None:
    """The rules can fail: a copy of the tree whose `http/` imports `store/` is refused."""
    tool = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert tool is not None
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    envelope = copy / "src" / "campaign_mock" / "http" / "envelope.py"
    envelope.write_text(
        envelope.read_text("utf-8") + "\nfrom campaign_mock.store import store_errors  # noqa\n"
    )
    ran = subprocess.run(
        [tool, "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(copy / "src"), "PATH": str(Path(sys.executable).parent)},
    )
    assert ran.returncode != 0, ran.stdout[-4000:]
    assert "campaign_mock.http.envelope -> campaign_mock.store" in ran.stdout
